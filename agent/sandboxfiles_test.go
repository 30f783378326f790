package agent

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// TestSandboxFiles reads a real task's output through the agent's /files
// endpoints at the path the master derives from the work_dir the agent
// reports, and checks that a symlink the task planted to /etc leads
// nowhere.
func TestSandboxFiles(t *testing.T) {
	m := newFakeMaster(t)
	cfg := testConfig(t, m)
	a := startAgent(t, cfg)
	s := m.subscribe("M-S0", 30)
	if got := s.call.GetSubscribe().GetWorkDir(); got != cfg.WorkDir || !filepath.IsAbs(got) {
		t.Fatalf("SUBSCRIBE work_dir %q, want %q", got, cfg.WorkDir)
	}
	seen := map[string]bool{}
	s.events <- runTask(frameworkInfo("fw"), shellTask("t1", "echo hello from the sandbox; ln -s /etc escape"))
	for _, state := range []mesos.TaskState{mesos.TaskState_TASK_STARTING, mesos.TaskState_TASK_RUNNING, mesos.TaskState_TASK_FINISHED} {
		m.expectUpdate(s, "fw", "t1", state, seen)
	}
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()
	get := func(endpoint, path string, extra ...string) (int, string) {
		t.Helper()
		q := url.Values{"path": {path}}
		for i := 0; i+1 < len(extra); i += 2 {
			q.Set(extra[i], extra[i+1])
		}
		resp, err := http.Get(srv.URL + endpoint + "?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	// The layout of master/api's sandboxDirectory.
	dir := filepath.Join(s.call.GetSubscribe().GetWorkDir(), "slaves", "M-S0", "frameworks", "fw", "executors", "t1", "runs", "latest")

	code, body := get("/files/read", dir+"/stdout", "offset", "0")
	var read struct {
		Data   string
		Offset int64
	}
	if err := json.Unmarshal([]byte(body), &read); code != 200 || err != nil || read.Data != "hello from the sandbox\n" {
		t.Fatalf("read stdout: %d %s", code, body)
	}
	if code, body := get("/files/browse", dir); code != 200 || !strings.Contains(body, `"path":"`+dir+`/stdout"`) {
		t.Errorf("browse: %d %s", code, body)
	}
	for _, p := range []string{dir + "/escape/passwd", dir + "/escape", dir + "/../../../../../../../../../etc/passwd"} {
		if code, body := get("/files/read", p, "offset", "0"); code != http.StatusForbidden || strings.Contains(body, "root:") {
			t.Errorf("read %s: %d %q, want 403", p, code, body)
		}
	}
	if code, _ := get("/files/download", "/etc/passwd"); code != http.StatusNotFound {
		t.Errorf("download /etc/passwd: %d, want 404", code)
	}
	if code, body := get("/files/debug", ""); code != 200 || !strings.Contains(body, dir) {
		t.Errorf("debug: %d %s", code, body)
	}
}
