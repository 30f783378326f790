package integration

import (
	"fmt"
	"testing"
	"time"
)

// TestAgentKilled kills an agent with SIGKILL under two frameworks' running
// tasks: once it misses its pings the master declares it unreachable, and
// each framework hears of its task as its capabilities ask.
func TestAgentKilled(t *testing.T) {
	m := startMaster(t)
	a := startAgent(t, m, "agent-doomed")
	startAgent(t, m, "agent-survivor")

	plain := subscribe(t, m, map[string]any{"user": "root", "name": "plain"})
	cmd, _ := longSleep(t)
	plain.launch(plain.awaitOffer(a.id), "plain-task", cmd, 0.1, 32)
	plain.awaitStatus("plain-task", "TASK_RUNNING")

	aware := subscribe(t, m, map[string]any{"user": "root", "name": "aware",
		"capabilities": []any{map[string]any{"type": "PARTITION_AWARE"}}})
	cmd, _ = longSleep(t)
	aware.launch(aware.awaitOffer(a.id), "aware-task", cmd, 0.1, 32)
	aware.awaitStatus("aware-task", "TASK_RUNNING")

	killedAt := time.Now()
	a.kill9()

	// Pinged every 1 s, unreachable after 2 misses: a few seconds at most.
	for _, c := range []struct {
		s          *scheduler
		task, want string
	}{{plain, "plain-task", "TASK_LOST"}, {aware, "aware-task", "TASK_UNREACHABLE"}} {
		st := c.s.awaitStatus(c.task, c.want)
		last := st[len(st)-1]
		if last.Reason != "REASON_AGENT_REMOVED" {
			t.Errorf("%s %s: reason %s, want REASON_AGENT_REMOVED", c.task, c.want, last.Reason)
		}
		ev := c.s.await(5*time.Second, "FAILURE", func(e event) bool { return e.Type == "FAILURE" })
		if ev.Failure.AgentID == nil || ev.Failure.AgentID.Value != a.id || ev.Failure.ExecutorID != nil {
			t.Errorf("%s: FAILURE event %s, want one for agent %s without executor_id", c.s.frameworkID, ev.raw, a.id)
		}
	}
	t.Logf("tasks reported %v after the kill", time.Since(killedAt).Round(time.Millisecond))

	eventually(t, 5*time.Second, "unreachable_slaves == 1", func() error {
		st, err := masterState(m)
		if err != nil {
			return err
		}
		if st.UnreachableSlaves != 1 || st.ActivatedSlaves != 1 {
			return fmt.Errorf("unreachable_slaves = %d, activated_slaves = %d, want 1 and 1", st.UnreachableSlaves, st.ActivatedSlaves)
		}
		return nil
	})
}
