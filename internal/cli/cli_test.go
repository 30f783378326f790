package cli

import (
	"bytes"
	"context"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// fakeCluster serves a master's /master/state and an agent's /state and
// /files/read from fixtures, with the agent's address patched in.
type fakeCluster struct {
	srv    *httptest.Server
	stdout map[string]string // sandbox path → file content
}

func newFakeCluster(t *testing.T) *fakeCluster {
	t.Helper()
	state, err := os.ReadFile("testdata/master_state.json")
	if err != nil {
		t.Fatal(err)
	}
	fc := &fakeCluster{stdout: map[string]string{
		"/frameworks/f-1/executors/web.1/runs/latest/stdout": "hello from web.1\nsecond line\n",
		"/frameworks/f-1/executors/web.1/runs/latest/stderr": "a warning\n",
	}}
	mux := http.NewServeMux()
	mux.HandleFunc("/master/state", func(w http.ResponseWriter, r *http.Request) {
		addr := strings.TrimPrefix(fc.srv.URL, "http://")
		w.Write(bytes.ReplaceAll(state, []byte("AGENT_ADDR"), []byte(addr)))
	})
	// The master's files proxy to the agent a-1.
	mux.HandleFunc("/agents/a-1/files/read", func(w http.ResponseWriter, r *http.Request) {
		content, ok := fc.stdout[r.URL.Query().Get("path")]
		if !ok {
			http.Error(w, "file not found", http.StatusNotFound)
			return
		}
		var off int
		if _, err := fmtSscan(r.URL.Query().Get("offset"), &off); err != nil || off > len(content) {
			off = len(content)
		}
		end := min(len(content), off+8) // small chunks exercise the read loop
		writeJSONTest(w, map[string]any{"data": content[off:end], "offset": off})
	})
	fc.srv = httptest.NewServer(mux)
	t.Cleanup(fc.srv.Close)
	return fc
}

func run(t *testing.T, verb string, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := Env{Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }}
	for _, v := range Verbs(env) {
		if v.Name == verb {
			err := v.Run(context.Background(), args)
			return out.String(), errOut.String(), err
		}
	}
	t.Fatalf("no verb %q", verb)
	return "", "", nil
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create)", err)
	}
	if got != string(want) {
		t.Errorf("%s: output differs from %s\n--- got ---\n%s\n--- want ---\n%s", name, path, got, want)
	}
}

func TestClusterTablesMatchGolden(t *testing.T) {
	fc := newFakeCluster(t)
	for _, tc := range []struct {
		name string
		verb string
		args []string
	}{
		{"status", "status", nil},
		{"agents", "agents", nil},
		{"frameworks", "frameworks", nil},
		{"tasks", "tasks", nil},
		{"tasks_all", "tasks", []string{"--all"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, _, err := run(t, tc.verb, append(tc.args, "--master", fc.srv.URL)...)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name, out)
		})
	}
}

func TestStatusJSONIsMachineReadable(t *testing.T) {
	fc := newFakeCluster(t)
	out, _, err := run(t, "status", "--json", "--master", fc.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"active": 1`, `"inactive": 1`, `"TASK_RUNNING": 1`, `"TASK_FINISHED": 1`, `"total": 6`} {
		if !strings.Contains(out, want) {
			t.Errorf("status --json lacks %s:\n%s", want, out)
		}
	}
}

func TestTaskLogReadsTheSandbox(t *testing.T) {
	fc := newFakeCluster(t)
	out, _, err := run(t, "task", "log", "web.1", "--master", fc.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if out != fc.stdout["/frameworks/f-1/executors/web.1/runs/latest/stdout"] {
		t.Errorf("stdout = %q", out)
	}
	out, _, err = run(t, "task", "log", "--stderr", "--master", fc.srv.URL, "web.1")
	if err != nil || out != "a warning\n" {
		t.Errorf("stderr = %q, %v", out, err)
	}
}

func TestErrorsNameWhatFailed(t *testing.T) {
	fc := newFakeCluster(t)
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	for _, tc := range []struct {
		verb string
		args []string
		want string
	}{
		{"status", []string{"--master", dead.URL}, "master at " + dead.URL + " is not reachable"},
		{"task", []string{"log", "nope", "--master", fc.srv.URL}, `no task "nope" is known`},
		{"task", []string{"log", "web.", "--master", fc.srv.URL}, "matches 2 tasks"},
		{"task", []string{"log", "web.0", "--master", fc.srv.URL}, "task web.0 has no stdout in its sandbox"},
		{"task", []string{"tail"}, "usage: agora task log"},
		{"apps", []string{"scale", "web", "many", "--marathon", fc.srv.URL}, `instances "many"`},
		{"apps", []string{"frobnicate"}, `unknown subcommand "frobnicate"`},
		{"jobs", []string{"add", "/does/not/exist.json"}, "no such file"},
	} {
		_, _, err := run(t, tc.verb, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %v: error %v, want it to contain %q", tc.verb, tc.args, err, tc.want)
		}
	}
}
