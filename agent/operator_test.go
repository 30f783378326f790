package agent

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// TestOperatorAPI checks the cheap calls, GET_CONTAINERS with the posix
// containerizer, and Mesos's answers to malformed requests.
func TestOperatorAPI(t *testing.T) {
	m := newFakeMaster(t)
	a := startAgent(t, testConfig(t, m))
	s := m.subscribe("M-S0", 30)
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()
	post := func(path, contentType, accept, body string) (int, string, string) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(body))
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
	}
	for _, tc := range []struct {
		name, ct, accept, body string
		status                 int
		want                   string
	}{
		{"health", "application/json", "", `{"type":"GET_HEALTH"}`, 200, `{"type":"GET_HEALTH","get_health":{"healthy":true}}`},
		{"version", "application/json", "application/json", `{"type":"GET_VERSION"}`, 200, `"version_info":{"version":"` + Version + `"}`},
		{"flags", "application/json", "", `{"type":"GET_FLAGS"}`, 200, `{"name":"hostname","value":"agent.test"}`},
		{"no containers", "application/json", "", `{"type":"GET_CONTAINERS"}`, 200, `{"type":"GET_CONTAINERS","get_containers":{}}`},
		{"no type", "application/json", "", `{}`, 400, "type"},
		{"not implemented", "application/json", "", `{"type":"GET_STATE"}`, 501, "GET_STATE"},
		{"no content type", "", "", `{"type":"GET_HEALTH"}`, 400, "Content-Type"},
		{"bad content type", "text/plain", "", `{"type":"GET_HEALTH"}`, 415, "text/plain"},
		{"bad accept", "application/json", "text/html", `{"type":"GET_HEALTH"}`, 406, "text/html"},
		{"bad body", "application/json", "", `{"type":`, 400, "Call"},
	} {
		status, ct, body := post("/api/v1", tc.ct, tc.accept, tc.body)
		if status != tc.status || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %d %q, want %d and %q", tc.name, status, body, tc.status, tc.want)
		}
		if status == 200 && ct != "application/json" {
			t.Errorf("%s: Content-Type %q", tc.name, ct)
		}
	}
	if resp, _ := http.Get(srv.URL + "/api/v1"); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /api/v1: %d", resp.StatusCode)
	}

	// A running posix task is listed, with best-effort statistics.
	fw := frameworkInfo("fw")
	s.events <- runTask(fw, shellTask("t", "sleep 30"))
	seen := map[string]bool{}
	m.expectUpdate(s, "fw", "t", mesos.TaskState_TASK_STARTING, seen)
	m.expectUpdate(s, "fw", "t", mesos.TaskState_TASK_RUNNING, seen)
	var body string
	waitFor(t, "the container in GET_CONTAINERS", func() bool {
		_, _, body = post("/slave(1)/api/v1", "application/json", "", `{"type":"GET_CONTAINERS"}`)
		return strings.Contains(body, `"executor_id":{"value":"t"}`) && strings.Contains(body, `"mem_rss_bytes":`)
	}, func() string { return body })
	resp, err := http.Get(srv.URL + "/monitor/statistics.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var entries []struct {
		ExecutorID  string         `json:"executor_id"`
		FrameworkID string         `json:"framework_id"`
		Statistics  map[string]any `json:"statistics"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&entries); err != nil || len(entries) != 1 ||
		entries[0].ExecutorID != "t" || entries[0].FrameworkID != "fw" || entries[0].Statistics["mem_rss_bytes"] == nil {
		t.Errorf("/monitor/statistics.json: %+v %v", entries, err)
	}
	s.events <- killTask("fw", "t", 0)
	m.expectUpdate(s, "fw", "t", mesos.TaskState_TASK_KILLED, seen)
	waitFor(t, "no containers", func() bool {
		_, _, body := post("/api/v1", "application/json", "", `{"type":"GET_CONTAINERS"}`)
		return body == `{"type":"GET_CONTAINERS","get_containers":{}}`
	})

}
