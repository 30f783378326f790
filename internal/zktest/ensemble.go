package zktest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Ensemble is a replicated ZooKeeper of n servers on 127.0.0.1.
type Ensemble struct {
	servers []*Server
}

// StartEnsemble starts n servers (n ≥ 1, usually 3) that form one ensemble,
// and waits until each of them serves clients, i.e. a quorum has elected a
// leader. They are killed when the test ends.
func StartEnsemble(t testing.TB, n int) *Ensemble {
	t.Helper()
	if n < 1 {
		t.Fatalf("zktest: ensemble of %d servers", n)
	}
	requireInstalled(t)
	e := &Ensemble{}
	var quorum strings.Builder
	for i := range n {
		s := &Server{dir: t.TempDir()}
		s.Addr = fmt.Sprintf("127.0.0.1:%d", freePort(t))
		e.servers = append(e.servers, s)
		fmt.Fprintf(&quorum, "server.%d=127.0.0.1:%d:%d\n", i+1, freePort(t), freePort(t))
	}
	for i, s := range e.servers {
		writeConfig(t, s.dir, s.Addr, quorum.String())
		if err := os.WriteFile(filepath.Join(s.dir, "data", "myid"), fmt.Appendf(nil, "%d\n", i+1), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A member answers ruok before the quorum exists, so start them all
	// without waiting, then wait for each to report its role.
	for _, s := range e.servers {
		s.launch(t)
		t.Cleanup(func() { s.stopAndReport(t) })
	}
	for _, s := range e.servers {
		s.wait(t, serving)
	}
	return e
}

// Servers returns the client addresses, "127.0.0.1:port", in server order.
func (e *Ensemble) Servers() []string {
	out := make([]string, len(e.servers))
	for i, s := range e.servers {
		out[i] = s.Addr
	}
	return out
}

// Server returns the i-th server (0-based), for Stop and Restart.
func (e *Ensemble) Server(i int) *Server { return e.servers[i] }

// Kill kills server i (0-based) as in a crash.
func (e *Ensemble) Kill(i int) { e.servers[i].Stop() }

// Restart starts server i again with its data and waits until it serves.
func (e *Ensemble) Restart(t testing.TB, i int) {
	t.Helper()
	s := e.servers[i]
	s.Stop()
	s.launch(t)
	s.wait(t, serving)
}

// Mode reports a server's role ("leader", "follower", "standalone"), or ""
// when it does not serve clients.
func Mode(addr string) string {
	for _, line := range strings.Split(fourLetter(addr, "srvr"), "\n") {
		if m, ok := strings.CutPrefix(line, "Mode: "); ok {
			return strings.TrimSpace(m)
		}
	}
	return ""
}

// serving reports whether a member has joined a quorum and serves clients.
func serving(addr string) bool { return Mode(addr) != "" }
