package integration

import (
	"fmt"
	"strconv"
	"testing"
	"time"
)

// masterProc is a running `agora master` on 127.0.0.1.
type masterProc struct {
	*proc
	port    int
	workDir string
	addr    string // host:port
	url     string // http://host:port
}

// agentProc is a running `agora agent` registered with a master.
type agentProc struct {
	*proc
	id       string // agent ID the master gave it
	hostname string
	workDir  string
	args     []string // the command line, to restart it the same way
}

// Short timers keep the tests fast: an agent is unreachable ~2 s after it
// stops answering pings.
var fastMasterFlags = []string{
	// Plain HTTP keeps these tests about what they test; security_test.go
	// runs the default, TLS with joined agents.
	"--tls=false",
	// The tests run tasks as the user running them, often root.
	"--allow_root_tasks",
	"--allocation_interval=100ms",
	"--agent_ping_timeout=1secs",
	"--max_agent_ping_timeouts=2",
}

// agentResources are fixed so the tests do not depend on the host.
const agentResources = "cpus:2;mem:1024;disk:1024;ports:[31000-31100]"

// startMaster starts a master on a free port with a fresh work dir.
func startMaster(t *testing.T, extra ...string) *masterProc {
	t.Helper()
	return startMasterAt(t, freePort(t), t.TempDir(), extra...)
}

// startMasterAt starts a master on the given port and work dir and waits
// until it is healthy.
func startMasterAt(t *testing.T, port int, workDir string, extra ...string) *masterProc {
	t.Helper()
	args := []string{"master", "--ip=127.0.0.1", "--advertise_ip=127.0.0.1",
		"--port=" + strconv.Itoa(port), "--work_dir=" + workDir}
	args = append(append(args, fastMasterFlags...), extra...)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	m := &masterProc{
		proc: startProc(t, "master@"+addr, agoraBin, args...),
		port: port, workDir: workDir, addr: addr, url: "http://" + addr,
	}
	waitHealthy(t, m.proc, m.url)
	return m
}

// startAgent starts an agent named hostname (also its reported hostname)
// with extra flags and waits until the master lists it as active.
func startAgent(t *testing.T, m *masterProc, hostname string, extra ...string) *agentProc {
	t.Helper()
	port := freePort(t)
	a := &agentProc{hostname: hostname, workDir: t.TempDir()}
	a.args = append([]string{"agent",
		"--master=" + m.addr, "--work_dir=" + a.workDir, "--resources=" + agentResources,
		"--ip=127.0.0.1", "--advertise_ip=127.0.0.1", "--port=" + strconv.Itoa(port),
		"--hostname=" + hostname, "--kill_grace_period=1secs"}, extra...)
	a.proc = startProc(t, "agent "+hostname, agoraBin, a.args...)
	waitHealthy(t, a.proc, "http://127.0.0.1:"+strconv.Itoa(port))
	eventually(t, 10*time.Second, "agent "+hostname+" registered", func() error {
		s, err := masterState(m)
		if err != nil {
			return err
		}
		for _, sl := range s.Slaves {
			if sl.Hostname == hostname && sl.Active {
				a.id = sl.ID
				return nil
			}
		}
		return fmt.Errorf("no active agent %q in /master/state", hostname)
	})
	return a
}

// The parts of /master/state the tests read.
type (
	clusterState struct {
		ID                  string           `json:"id"`
		ActivatedSlaves     int              `json:"activated_slaves"`
		UnreachableSlaves   int              `json:"unreachable_slaves"`
		Slaves              []agentState     `json:"slaves"`
		Frameworks          []frameworkState `json:"frameworks"`
		CompletedFrameworks []frameworkState `json:"completed_frameworks"`
	}
	agentState struct {
		ID       string `json:"id"`
		Hostname string `json:"hostname"`
		Active   bool   `json:"active"`
	}
	frameworkState struct {
		ID             string      `json:"id"`
		Name           string      `json:"name"`
		Active         bool        `json:"active"`
		Recovered      bool        `json:"recovered"`
		Tasks          []taskState `json:"tasks"`
		CompletedTasks []taskState `json:"completed_tasks"`
	}
	taskState struct {
		ID          string `json:"id"`
		FrameworkID string `json:"framework_id"`
		SlaveID     string `json:"slave_id"`
		State       string `json:"state"`
	}
)

func masterState(m *masterProc) (clusterState, error) {
	var s clusterState
	err := getJSON(m.url+"/master/state", &s)
	return s, err
}

// framework finds a framework, current or completed, by ID.
func (s clusterState) framework(id string) (frameworkState, bool) {
	for _, f := range append(s.Frameworks, s.CompletedFrameworks...) {
		if f.ID == id {
			return f, true
		}
	}
	return frameworkState{}, false
}

// metrics reads /metrics/snapshot.
func metrics(m *masterProc) (map[string]float64, error) {
	out := map[string]float64{}
	err := getJSON(m.url+"/metrics/snapshot", &out)
	return out, err
}
