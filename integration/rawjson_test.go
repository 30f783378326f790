package integration

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRawJSONClient drives a task from SUBSCRIBE to TASK_FINISHED with a
// client that speaks only JSON and RecordIO, then finds the task in
// /master/state and its output in the agent's sandbox.
func TestRawJSONClient(t *testing.T) {
	m := startMaster(t)
	a := startAgent(t, m, "agent-raw")

	s := subscribe(t, m, map[string]any{"user": "root", "name": "raw"})
	if s.frameworkID == "" {
		t.Fatal("SUBSCRIBED without a framework_id")
	}
	if hb := s.subscribed.Subscribed.HeartbeatIntervalSeconds; hb != 15 {
		t.Errorf("heartbeat_interval_seconds = %v, want 15", hb)
	}

	o := s.awaitOffer("")
	checkOffer(t, o, a)

	s.launch(o, "hello-1", "echo hello; sleep 0.5", 0.1, 32)
	statuses := s.awaitStatus("hello-1", "TASK_FINISHED")
	var states []string
	for _, st := range statuses {
		states = append(states, st.State)
		if st.UUID == "" {
			t.Errorf("%s update without a uuid", st.State)
		}
	}
	got := strings.Join(states, " ")
	if got != "TASK_RUNNING TASK_FINISHED" && got != "TASK_STARTING TASK_RUNNING TASK_FINISHED" {
		t.Errorf("updates = %s, want [TASK_STARTING] TASK_RUNNING TASK_FINISHED", got)
	}

	eventually(t, 5*time.Second, "task in completed_tasks", func() error {
		st, err := masterState(m)
		if err != nil {
			return err
		}
		f, ok := st.framework(s.frameworkID)
		if !ok {
			return fmt.Errorf("framework %s not in /master/state", s.frameworkID)
		}
		for _, task := range f.CompletedTasks {
			if task.ID == "hello-1" && task.State == "TASK_FINISHED" && task.SlaveID == a.id {
				return nil
			}
		}
		return fmt.Errorf("completed_tasks = %+v", f.CompletedTasks)
	})

	stdout := filepath.Join(a.workDir, "slaves", a.id, "frameworks", s.frameworkID,
		"executors", "hello-1", "runs", "latest", "stdout")
	b, err := os.ReadFile(stdout)
	if err != nil {
		t.Fatalf("sandbox stdout: %v", err)
	}
	if !strings.Contains(string(b), "hello") {
		t.Errorf("sandbox stdout = %q, want it to contain hello", b)
	}
}

// checkOffer checks what a non-MULTI_ROLE framework sees in an offer.
func checkOffer(t *testing.T, o offer, a *agentProc) {
	t.Helper()
	if o.AgentID.Value != a.id || o.Hostname != a.hostname {
		t.Errorf("offer from agent %q host %q, want %q %q", o.AgentID.Value, o.Hostname, a.id, a.hostname)
	}
	names := map[string]map[string]any{}
	for _, r := range o.Resources {
		names[r["name"].(string)] = r
		if _, ok := r["allocation_info"]; ok {
			t.Errorf("resource %v has allocation_info, but the framework is not MULTI_ROLE", r["name"])
		}
	}
	for _, n := range []string{"cpus", "mem", "ports"} {
		if names[n] == nil {
			t.Errorf("offer lacks %s: %v", n, o.Resources)
		}
	}
	// 64-bit integers are JSON numbers, not strings as protojson writes them.
	ranges, _ := names["ports"]["ranges"].(map[string]any)
	rs, _ := ranges["range"].([]any)
	if len(rs) == 0 {
		t.Fatalf("ports without ranges: %v", names["ports"])
	}
	r0, _ := rs[0].(map[string]any)
	for _, k := range []string{"begin", "end"} {
		if _, isNumber := r0[k].(float64); !isNumber {
			raw, _ := json.Marshal(r0[k])
			t.Errorf("ports range %s = %s, want a JSON number", k, raw)
		}
	}
}
