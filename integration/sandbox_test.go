package integration

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestSandboxLogs tails a task's output the way the web UI and CLIs do:
// the executor's directory from /master/state, then the agent's
// /files/read and /files/browse on it. Paths out of the sandbox are
// refused.
func TestSandboxLogs(t *testing.T) {
	m := startMaster(t)
	a := startAgent(t, m, "agent-files")
	s := subscribe(t, m, map[string]any{"user": "root", "name": "logs"})
	s.launch(s.awaitOffer(a.id), "logger", "echo integration log line; ln -s /etc etc; exec sleep 30", 0.1, 32)
	s.awaitStatus("logger", "TASK_RUNNING")

	var dir, agentURL string
	eventually(t, 5*time.Second, "the executor's directory in /master/state", func() error {
		var st struct {
			Slaves []struct {
				ID  string `json:"id"`
				PID string `json:"pid"`
			} `json:"slaves"`
			Frameworks []struct {
				Executors []struct {
					ExecutorID string `json:"executor_id"`
					SlaveID    string `json:"slave_id"`
					Directory  string `json:"directory"`
				} `json:"executors"`
			} `json:"frameworks"`
		}
		if err := getJSON(m.url+"/master/state", &st); err != nil {
			return err
		}
		for _, sl := range st.Slaves {
			if _, hostport, ok := strings.Cut(sl.PID, "@"); ok && sl.ID == a.id {
				agentURL = "http://" + hostport
			}
		}
		for _, f := range st.Frameworks {
			for _, e := range f.Executors {
				if e.ExecutorID == "logger" && e.SlaveID == a.id {
					dir = e.Directory
				}
			}
		}
		if dir == "" || agentURL == "" {
			return fmt.Errorf("no directory for executor logger (agent at %q)", agentURL)
		}
		return nil
	})
	if !strings.HasPrefix(dir, a.workDir+"/slaves/"+a.id+"/") {
		t.Fatalf("directory %s is not in the agent's work dir %s", dir, a.workDir)
	}
	files := func(endpoint string, query url.Values, v any) error {
		return getJSON(agentURL+"/files/"+endpoint+"?"+query.Encode(), v)
	}
	eventually(t, 5*time.Second, "the task's output", func() error {
		var r struct {
			Data   string `json:"data"`
			Offset int64  `json:"offset"`
		}
		if err := files("read", url.Values{"path": {dir + "/stdout"}, "offset": {"0"}}, &r); err != nil {
			return err
		}
		if r.Data != "integration log line\n" {
			return fmt.Errorf("stdout reads %q", r.Data)
		}
		return nil
	})
	var listing []struct {
		Path string `json:"path"`
		Mode string `json:"mode"`
	}
	if err := files("browse", url.Values{"path": {dir}}, &listing); err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	for _, e := range listing {
		names[strings.TrimPrefix(e.Path, dir+"/")] = e.Mode
	}
	if names["stdout"] != "-rw-r--r--" || names["stderr"] == "" || !strings.HasPrefix(names["etc"], "l") {
		t.Errorf("listing of the sandbox: %v", names)
	}
	for path, want := range map[string]int{
		dir + "/etc/passwd":                      http.StatusForbidden,
		dir + "/../../../../../../../etc/passwd": http.StatusForbidden,
		"/etc/passwd":                            http.StatusNotFound,
	} {
		resp, err := httpClient.Get(agentURL + "/files/read?" + url.Values{"path": {path}, "offset": {"0"}}.Encode())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("read %s: %s, want %d", path, resp.Status, want)
		}
	}
}
