package integration

import (
	"encoding/json"
	"testing"
	"time"
)

// TestHealthChecks launches two tasks with Mesos-native COMMAND health
// checks through the scheduler API: one turns healthy once it has created
// the file its check tests; the other's check always fails, so the agent
// reports it unhealthy and kills it after two failures in a row.
func TestHealthChecks(t *testing.T) {
	m := startMaster(t)
	a := startAgent(t, m, "agent-health")
	s := subscribe(t, m, map[string]any{"user": "root", "name": "health"})
	o := s.awaitOffer(a.id)
	task := func(taskID, command, check string, grace float64) map[string]any {
		return map[string]any{
			"name": taskID, "task_id": id{taskID}, "agent_id": o.AgentID,
			"resources": []any{takeScalar(t, o, "cpus", 0.1), takeScalar(t, o, "mem", 32)},
			"command":   map[string]any{"value": command},
			"health_check": map[string]any{
				"type": "COMMAND", "command": map[string]any{"value": check},
				"delay_seconds": 0, "interval_seconds": 0.2, "timeout_seconds": 5,
				"grace_period_seconds": grace, "consecutive_failures": 2,
			},
		}
	}
	s.call(map[string]any{"type": "ACCEPT", "accept": map[string]any{
		"offer_ids": []id{o.ID},
		"operations": []any{map[string]any{"type": "LAUNCH", "launch": map[string]any{"task_infos": []any{
			task("fine", "sleep 0.5; touch ready; exec sleep 30", "test -f ready", 10),
			task("sick", "exec sleep 30", "exit 1", 0),
		}}}},
	}})

	// health waits for the task's next update with `healthy` set, through
	// intermediate states, and acknowledges everything on the way.
	health := func(taskID string) (state string, healthy bool) {
		t.Helper()
		for {
			ev := s.await(15*time.Second, taskID+" health", func(e event) bool {
				return e.Type == "UPDATE" && e.Update.Status.TaskID.Value == taskID
			})
			s.acknowledge(ev.Update.Status)
			var raw struct {
				Update struct {
					Status struct {
						Healthy *bool `json:"healthy"`
					} `json:"status"`
				} `json:"update"`
			}
			if err := json.Unmarshal(ev.raw, &raw); err != nil {
				t.Fatal(err)
			}
			if h := raw.Update.Status.Healthy; h != nil {
				st := ev.Update.Status
				if *h && (st.State != "TASK_RUNNING" || st.Reason != "REASON_TASK_HEALTH_CHECK_STATUS_UPDATED") {
					t.Errorf("%s: healthy update %+v", taskID, st)
				}
				return st.State, *h
			}
		}
	}
	if state, healthy := health("fine"); state != "TASK_RUNNING" || !healthy {
		t.Errorf("fine: %s healthy=%v, want TASK_RUNNING healthy", state, healthy)
	}
	for i := 0; i < 2; i++ {
		if state, healthy := health("sick"); state != "TASK_RUNNING" || healthy {
			t.Fatalf("sick, failure %d: %s healthy=%v", i+1, state, healthy)
		}
	}
	if state, healthy := health("sick"); state != "TASK_KILLED" || healthy {
		t.Errorf("sick after 2 failures: %s healthy=%v, want TASK_KILLED healthy=false", state, healthy)
	}
}
