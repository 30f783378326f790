// Package zktest starts real ZooKeeper servers for tests: a standalone
// server (Start), a three-node ensemble on 127.0.0.1 (StartEnsemble) and a
// TCP proxy that can cut a client off without closing its connection
// (NewProxy), which is how a session is lost in a network partition.
//
// It runs Debian's zookeeper package (/usr/share/zookeeper). When ZooKeeper
// is not installed tests are skipped, except under CI=true where they fail:
// CI installs it through scripts/ensure-deps.sh. It is not a mock.
package zktest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// ServerScript is the launcher from Debian's zookeeper package.
const ServerScript = "/usr/share/zookeeper/bin/zkServer.sh"

// TickTime is the servers' tick. ZooKeeper expires sessions in buckets a
// tick wide, rounding each deadline up: a dead client's session ends
// between the session timeout and a tick after it. A short tick keeps
// failover tests close to their session timeout (with 500 ms a 1 s session
// ended up to 1.5 s after the client's last ping).
const TickTime = 100 * time.Millisecond

// MinSessionTimeout and MaxSessionTimeout are the timeouts the servers
// grant. ZooKeeper's defaults, 2 and 20 ticks, would cap sessions at 2 s
// with this tick; the bounds are set instead.
const (
	MinSessionTimeout = 200 * time.Millisecond
	MaxSessionTimeout = 40 * time.Second
)

// startTimeout bounds a JVM start on a busy machine.
const startTimeout = 60 * time.Second

// Server is one running ZooKeeper server.
type Server struct {
	// Addr is the client address, "127.0.0.1:port".
	Addr string

	dir  string // holds zoo.cfg, data/ and the log
	cmd  *exec.Cmd
	done chan struct{}
}

// Start starts a standalone ZooKeeper on a free port with its data under
// t.TempDir(), waits until it answers "ruok", and stops it when the test
// ends.
func Start(t testing.TB) *Server {
	t.Helper()
	requireInstalled(t)
	s := &Server{dir: t.TempDir()}
	s.Addr = fmt.Sprintf("127.0.0.1:%d", freePort(t))
	writeConfig(t, s.dir, s.Addr, "")
	s.start(t)
	t.Cleanup(func() { s.stopAndReport(t) })
	return s
}

// stopAndReport stops the server and, when the test failed, shows the end
// of its log.
func (s *Server) stopAndReport(t testing.TB) {
	s.Stop()
	if t.Failed() {
		t.Logf("zktest: end of the log of %s:\n%s", s.Addr, tail(filepath.Join(s.dir, "zookeeper.log")))
	}
}

// Stop kills the server (SIGKILL: no clean shutdown, as in a crash). Its
// data directory stays for Restart. Stopping a stopped server is a no-op.
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	<-s.done
	s.cmd = nil
}

// Restart stops the server if it runs and starts it again on the same port
// with the same data, so sessions that have not expired resume.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.Stop()
	s.start(t)
}

func (s *Server) start(t testing.TB) {
	t.Helper()
	s.launch(t)
	// ruok answers as soon as the JVM listens; srvr tells when the server
	// has loaded its data and serves clients.
	s.wait(t, func(addr string) bool { return Ruok(addr) && serving(addr) })
}

// launch starts the JVM without waiting for it.
func (s *Server) launch(t testing.TB) {
	t.Helper()
	logf, err := os.OpenFile(filepath.Join(s.dir, "zookeeper.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command(ServerScript, "start-foreground", filepath.Join(s.dir, "zoo.cfg"))
	cmd.Dir = s.dir
	cmd.Env = append(os.Environ(),
		"JMXDISABLE=true",
		// A small heap and the serial collector: tests run several servers
		// on a two-core machine. The log directory is the test's own.
		"SERVER_JVMFLAGS=-Xmx512m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Dzookeeper.log.dir="+s.dir,
	)
	cmd.Stdout, cmd.Stderr = logf, logf
	// Its own process group, so Stop reaches the JVM even if the script
	// does not exec it; killed with the test binary if that dies first
	// (a -timeout panic runs no Cleanup).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("zktest: start %s: %v", ServerScript, err)
	}
	s.cmd, s.done = cmd, make(chan struct{})
	go func() { _ = cmd.Wait(); close(s.done) }()
}

// wait polls ready(s.Addr) until it holds; it fails the test if the server
// exits or does not get ready within startTimeout.
func (s *Server) wait(t testing.TB, ready func(addr string) bool) {
	t.Helper()
	deadline := time.Now().Add(startTimeout)
	for !ready(s.Addr) {
		select {
		case <-s.done:
			s.cmd = nil
			t.Fatalf("zktest: zookeeper exited at start; log:\n%s", tail(filepath.Join(s.dir, "zookeeper.log")))
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.Stop()
			t.Fatalf("zktest: zookeeper on %s not ready after %v; log:\n%s", s.Addr, startTimeout, tail(filepath.Join(s.dir, "zookeeper.log")))
		}
	}
}

// Ruok sends ZooKeeper's "ruok" four-letter word and reports whether the
// server answered "imok".
func Ruok(addr string) bool {
	return fourLetter(addr, "ruok") == "imok"
}

// fourLetter sends a four-letter word and returns the answer ("" on error).
func fourLetter(addr, cmd string) string {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return ""
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write([]byte(cmd)); err != nil {
		return ""
	}
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(c)
	return buf.String()
}

func requireInstalled(t testing.TB) {
	t.Helper()
	if _, err := os.Stat(ServerScript); err == nil {
		if _, err := exec.LookPath("java"); err == nil {
			return
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("zktest: ZooKeeper is not installed (%s and java); scripts/ensure-deps.sh installs Debian's zookeeper package", ServerScript)
	}
	t.Skipf("zktest: ZooKeeper is not installed (%s); apt-get install zookeeper", ServerScript)
}

// writeConfig writes zoo.cfg; quorum is the server.N lines of an ensemble.
func writeConfig(t testing.TB, dir, addr, quorum string) {
	t.Helper()
	_, port, _ := net.SplitHostPort(addr)
	data := filepath.Join(dir, "data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := strings.Join([]string{
		fmt.Sprintf("tickTime=%d", TickTime.Milliseconds()),
		fmt.Sprintf("minSessionTimeout=%d", MinSessionTimeout.Milliseconds()),
		fmt.Sprintf("maxSessionTimeout=%d", MaxSessionTimeout.Milliseconds()),
		// initLimit and syncLimit count ticks: 10 s and 5 s, room for a
		// JVM on a busy machine.
		fmt.Sprintf("initLimit=%d", 10*time.Second/TickTime),
		fmt.Sprintf("syncLimit=%d", 5*time.Second/TickTime),
		"dataDir=" + data,
		"clientPortAddress=127.0.0.1",
		"clientPort=" + port,
		"admin.enableServer=false",
		"4lw.commands.whitelist=ruok,srvr,stat,mntr",
		// Tests write and delete quickly; no need to keep snapshots.
		"autopurge.purgeInterval=0",
		"maxClientCnxns=0",
	}, "\n") + "\n" + quorum
	if err := os.WriteFile(filepath.Join(dir, "zoo.cfg"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func tail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}
