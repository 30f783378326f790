package integration

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// netLab is a private network on this machine: a bridge in the root
// network namespace (where the master runs, on the bridge's address) and
// hosts, each a network namespace joined to the bridge by a veth pair.
// Every name carries a random prefix, and t.Cleanup removes all of it,
// whether the test passed or not.
type netLab struct {
	t      *testing.T
	prefix string // "agp" + 4 hex digits: interface names stay ≤ 15 bytes
	bridge string
	subnet string // "10.77.N", a /24
	ip     string // the bridge's (and the master's) address
	hosts  int
}

// netHost is one namespace on a netLab.
type netHost struct {
	lab  *netLab
	ns   string // network namespace name
	veth string // the pair's end on the bridge, in the root namespace
	ip   string // the address inside the namespace
}

// newNetLab creates the bridge. Without network namespaces (not root, no
// ip(8)) the test is skipped, or fails under CI=true.
func newNetLab(t *testing.T) *netLab {
	t.Helper()
	l := &netLab{t: t, prefix: fmt.Sprintf("agp%04x", rand.IntN(1<<16))}
	if err := netnsUsable(l.prefix + "-probe"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("network namespaces are unavailable: %v", err)
		}
		t.Skipf("network namespaces are unavailable: %v", err)
	}
	addrs, err := exec.Command("ip", "-o", "addr").Output()
	if err != nil {
		t.Fatalf("ip addr: %v", err)
	}
	for i := 0; ; i++ {
		l.subnet = fmt.Sprintf("10.77.%d", rand.IntN(256))
		if !strings.Contains(string(addrs), " "+l.subnet+".") {
			break
		}
		if i == 20 {
			t.Fatalf("no free 10.77.x.0/24 subnet")
		}
	}
	l.bridge, l.ip = l.prefix+"br", l.subnet+".1"
	l.run("ip", "link", "add", l.bridge, "type", "bridge")
	t.Cleanup(func() { l.quiet("ip", "link", "del", l.bridge) })
	l.run("ip", "addr", "add", l.ip+"/24", "dev", l.bridge)
	l.run("ip", "link", "set", l.bridge, "up")
	// With dockerd's FORWARD policy DROP, hosts on the bridge could not
	// reach each other; this rule is only ever about our bridge.
	l.run("iptables", "-I", "FORWARD", "-i", l.bridge, "-o", l.bridge, "-j", "ACCEPT")
	t.Cleanup(func() { l.quiet("iptables", "-D", "FORWARD", "-i", l.bridge, "-o", l.bridge, "-j", "ACCEPT") })
	return l
}

// netnsUsable creates and deletes a namespace named probe.
func netnsUsable(probe string) error {
	if _, err := exec.LookPath("ip"); err != nil {
		return err
	}
	if _, err := exec.LookPath("nsenter"); err != nil {
		return err
	}
	if out, err := exec.Command("ip", "netns", "add", probe).CombinedOutput(); err != nil {
		return fmt.Errorf("ip netns add: %v: %s", err, out)
	}
	if out, err := exec.Command("ip", "netns", "del", probe).CombinedOutput(); err != nil {
		return fmt.Errorf("ip netns del: %v: %s", err, out)
	}
	return nil
}

// addHost creates a namespace with loopback and a veth on the bridge.
func (l *netLab) addHost() *netHost {
	l.t.Helper()
	l.hosts++
	n := l.hosts
	h := &netHost{lab: l, ns: fmt.Sprintf("%s-h%d", l.prefix, n), veth: fmt.Sprintf("%sv%d", l.prefix, n),
		ip: fmt.Sprintf("%s.%d", l.subnet, n+1)}
	peer := h.veth + "p"
	l.run("ip", "netns", "add", h.ns)
	// Deleting the namespace deletes the veth pair with it; processes
	// still inside are stopped by their own cleanups, which run first.
	l.t.Cleanup(func() { l.quiet("ip", "netns", "del", h.ns) })
	l.run("ip", "link", "add", h.veth, "type", "veth", "peer", "name", peer)
	l.t.Cleanup(func() { l.quiet("ip", "link", "del", h.veth) })
	l.run("ip", "link", "set", peer, "netns", h.ns)
	l.run("ip", "link", "set", h.veth, "master", l.bridge)
	l.run("ip", "link", "set", h.veth, "up")
	l.run("ip", "-n", h.ns, "link", "set", "lo", "up")
	l.run("ip", "-n", h.ns, "addr", "add", h.ip+"/24", "dev", peer)
	l.run("ip", "-n", h.ns, "link", "set", peer, "up")
	return h
}

// cut takes the host's bridge port down: packets both ways are dropped
// silently, as in a real partition (no reset, no ICMP).
func (h *netHost) cut() { h.lab.run("ip", "link", "set", h.veth, "down") }

// heal brings the bridge port back.
func (h *netHost) heal() { h.lab.run("ip", "link", "set", h.veth, "up") }

// command runs bin inside the host's network namespace only (nsenter
// keeps the mount namespace, so cgroups stay visible; `ip netns exec`
// would remount /sys).
func (h *netHost) command(bin string, args ...string) (string, []string) {
	return "nsenter", append([]string{"--net=/run/netns/" + h.ns, "--", bin}, args...)
}

func (l *netLab) run(name string, args ...string) {
	l.t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		l.t.Fatalf("%s %s: %v: %s", name, strings.Join(args, " "), err, out)
	}
}

// quiet runs a cleanup command, logging a failure without failing.
func (l *netLab) quiet(name string, args ...string) {
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil && !strings.Contains(string(out), "Cannot find") {
		l.t.Logf("cleanup: %s %s: %v: %s", name, strings.Join(args, " "), err, out)
	}
}

// startLabMaster starts a master listening on the lab bridge's address.
func startLabMaster(t *testing.T, l *netLab, extra ...string) *masterProc {
	t.Helper()
	port := freePort(t)
	workDir := t.TempDir()
	args := []string{"master", "--ip=" + l.ip, "--advertise_ip=" + l.ip,
		"--port=" + strconv.Itoa(port), "--work_dir=" + workDir}
	args = append(append(args, fastMasterFlags...), extra...)
	addr := l.ip + ":" + strconv.Itoa(port)
	m := &masterProc{
		proc: startProc(t, "master@"+addr, agoraBin, args...),
		port: port, workDir: workDir, addr: addr, url: "http://" + addr,
	}
	waitHealthy(t, m.proc, m.url)
	return m
}

// startHostAgent starts an agent inside h and waits until m lists it.
func startHostAgent(t *testing.T, m *masterProc, h *netHost, hostname string, extra ...string) *agentProc {
	t.Helper()
	port := 5051
	a := &agentProc{hostname: hostname, workDir: t.TempDir()}
	a.args = append([]string{"agent",
		"--master=" + m.addr, "--work_dir=" + a.workDir, "--resources=" + agentResources,
		"--ip=" + h.ip, "--advertise_ip=" + h.ip, "--port=" + strconv.Itoa(port),
		"--hostname=" + hostname, "--kill_grace_period=1secs"}, extra...)
	bin, args := h.command(agoraBin, a.args...)
	a.proc = startProc(t, "agent "+hostname+" in "+h.ns, bin, args...)
	waitHealthy(t, a.proc, "http://"+h.ip+":"+strconv.Itoa(port))
	eventually(t, 10*time.Second, "agent "+hostname+" registered", func() error {
		got, err := activeAgents(m)
		if err != nil {
			return err
		}
		if a.id = got[hostname]; a.id == "" {
			return fmt.Errorf("no active agent %q in /master/state", hostname)
		}
		return nil
	})
	return a
}
