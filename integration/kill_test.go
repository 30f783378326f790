package integration

import (
	"fmt"
	"testing"
	"time"
)

// TestKillTask launches a long sleep, kills it through the scheduler API
// and checks that TASK_KILLED comes and the process is really gone.
func TestKillTask(t *testing.T) {
	m := startMaster(t)
	a := startAgent(t, m, "agent-kill")
	s := subscribe(t, m, map[string]any{"user": "root", "name": "killer"})

	cmd, marker := longSleep(t)
	s.launch(s.awaitOffer(a.id), "sleeper", cmd, 0.1, 32)
	s.awaitStatus("sleeper", "TASK_RUNNING")
	eventually(t, 5*time.Second, "the sleep process running", func() error {
		_, err := sleepPID(marker)
		return err
	})

	s.kill("sleeper", a.id)
	killed := s.awaitStatus("sleeper", "TASK_KILLED")
	if last := killed[len(killed)-1]; last.Source != "SOURCE_EXECUTOR" && last.Source != "SOURCE_AGENT" {
		t.Errorf("TASK_KILLED source = %s, want the agent's side", last.Source)
	}
	eventually(t, 5*time.Second, "no process left with "+marker, func() error {
		if pids := pidsWith(marker); len(pids) > 0 {
			return fmt.Errorf("still running: pids %v", pids)
		}
		return nil
	})
}
