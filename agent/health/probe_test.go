package health

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// These tests run real probes: commands, HTTP servers and listeners on
// 127.0.0.1.

func commandCheck(c *mesos.CommandInfo) *mesos.HealthCheck {
	return &mesos.HealthCheck{Type: mesos.HealthCheck_COMMAND.Enum(), Command: c}
}

func shell(script string) *mesos.CommandInfo { return &mesos.CommandInfo{Value: proto.String(script)} }

func probeOnce(t *testing.T, hc *mesos.HealthCheck, task Task) error {
	t.Helper()
	p, err := NewProber(hc, task)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return p.Probe(ctx)
}

func TestCommandProbe(t *testing.T) {
	sandbox := t.TempDir()
	if err := os.WriteFile(filepath.Join(sandbox, "ready"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	task := Task{Sandbox: sandbox, Env: []string{"PATH=/usr/bin:/bin", "MESOS_TASK_ID=t1", "MODE=task"}}
	withEnv := shell(`test "$MESOS_TASK_ID/$MODE" = t1/check`)
	withEnv.Environment = &mesos.Environment{Variables: []*mesos.Environment_Variable{{Name: proto.String("MODE"), Value: proto.String("check")}}}
	cases := []struct {
		name string
		cmd  *mesos.CommandInfo
		want string // "" healthy, else part of the error
	}{
		{"in the sandbox", shell("test -f ready"), ""},
		{"missing file", shell("test -f nope"), "exited with status 1"},
		{"exit code and output", shell("echo not ready yet >&2; exit 3"), "exited with status 3: not ready yet"},
		{"signal", shell("kill -9 $$"), "terminated with signal killed"},
		{"task env, overridden by the check's", withEnv, ""},
		{"exec form", &mesos.CommandInfo{Shell: proto.Bool(false), Value: proto.String("test"), Arguments: []string{"test", "-f", "ready"}}, ""},
		{"exec form failing", &mesos.CommandInfo{Shell: proto.Bool(false), Value: proto.String("false")}, "exited with status 1"},
		{"not found", &mesos.CommandInfo{Shell: proto.Bool(false), Value: proto.String("no-such-program")}, "not found in PATH"},
		{"long output keeps its tail", shell("seq 1 100000; exit 1"), "\n100000"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := probeOnce(t, commandCheck(c.cmd), task)
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("unhealthy: %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("error %v, want one containing %q", err, c.want)
			case err != nil && len(err.Error()) > outputTail+64:
				t.Fatalf("message of %d bytes: output must be cut", len(err.Error()))
			}
		})
	}
}

// TestCommandProbeCancelKillsItsProcesses cancels a check that forked a
// child: the whole process group dies and Probe returns at once.
func TestCommandProbeCancelKillsItsProcesses(t *testing.T) {
	sandbox := t.TempDir()
	p, err := NewProber(commandCheck(shell("sleep 600 & echo $! > child; sleep 600")), Task{Sandbox: sandbox, Env: []string{"PATH=/usr/bin:/bin"}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Probe(ctx) }()
	var pid int
	deadline := time.Now().Add(10 * time.Second)
	for pid == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the check never started its child")
		}
		b, _ := os.ReadFile(filepath.Join(sandbox, "child"))
		pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		time.Sleep(5 * time.Millisecond) // waiting on a real process
	}
	cancel()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("a cancelled check reported healthy")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Probe did not return after cancel")
	}
	for !gone(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("the check's child %d survived", pid)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// gone reports whether pid has exited (a zombie nobody reaped counts).
func gone(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil {
		return true
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	return len(fields) > 0 && fields[0] == "Z"
}

func port(t *testing.T, rawURL string) uint32 {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := strconv.Atoi(u.Port())
	return uint32(p)
}

func httpCheck(port uint32, scheme, path string) *mesos.HealthCheck {
	h := &mesos.HealthCheck_HTTPCheckInfo{Port: proto.Uint32(port)}
	if scheme != "" {
		h.Scheme = proto.String(scheme)
	}
	if path != "" {
		h.Path = proto.String(path)
	}
	return &mesos.HealthCheck{Type: mesos.HealthCheck_HTTP.Enum(), Http: h}
}

func TestHTTPProbe(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, _ *http.Request) {})
	mux.HandleFunc("/moved", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/ok", http.StatusFound) })
	mux.HandleFunc("/to-broken", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/broken", http.StatusFound) })
	mux.HandleFunc("/broken", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) })
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
		}
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	tlsSrv := httptest.NewTLSServer(mux) // self-signed: not verified, as curl -k
	defer tlsSrv.Close()
	closed := closedPort(t)
	cases := []struct {
		name string
		hc   *mesos.HealthCheck
		want string
	}{
		{"200", httpCheck(port(t, srv.URL), "", "/ok"), ""},
		{"no path", httpCheck(port(t, srv.URL), "", ""), ""},
		{"redirect followed", httpCheck(port(t, srv.URL), "http", "/moved"), ""},
		{"https", httpCheck(port(t, tlsSrv.URL), "https", "/ok"), ""},
		{"404", httpCheck(port(t, srv.URL), "", "/missing"), "404 Not Found"},
		{"503", httpCheck(port(t, srv.URL), "", "/broken"), "503 Service Unavailable"},
		{"redirect to 503", httpCheck(port(t, srv.URL), "", "/to-broken"), "503"},
		{"nothing listening", httpCheck(closed, "", "/"), "connection refused"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := probeOnce(t, c.hc, Task{})
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("unhealthy: %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

func TestTCPProbe(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	tcp := func(p uint32) *mesos.HealthCheck {
		return &mesos.HealthCheck{Type: mesos.HealthCheck_TCP.Enum(), Tcp: &mesos.HealthCheck_TCPCheckInfo{Port: proto.Uint32(p)}}
	}
	if err := probeOnce(t, tcp(uint32(l.Addr().(*net.TCPAddr).Port)), Task{}); err != nil {
		t.Errorf("listening port: %v", err)
	}
	if err := probeOnce(t, tcp(closedPort(t)), Task{}); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Errorf("closed port: %v", err)
	}
}

// closedPort returns a port nothing listens on.
func closedPort(t *testing.T) uint32 {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return uint32(p)
}

func TestNewProberRefusesInvalidChecks(t *testing.T) {
	if _, err := NewProber(&mesos.HealthCheck{Type: mesos.HealthCheck_TCP.Enum()}, Task{}); err == nil {
		t.Fatal("a TCP check without tcp was accepted")
	}
}
