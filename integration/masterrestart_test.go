package integration

import (
	"fmt"
	"os"
	"testing"
	"time"
)

// TestMasterRestart kills the master under a running task and starts a new
// one on the same port: the agent comes back with its ID and task, the
// framework resubscribes with its ID and reconciles its task as running,
// and the task's process never noticed.
func TestMasterRestart(t *testing.T) {
	m := startMaster(t)
	a := startAgent(t, m, "agent-steady")
	info := map[string]any{"user": "root", "name": "survivor", "failover_timeout": 3600}
	s := subscribe(t, m, info)
	fid := s.frameworkID

	cmd, marker := longSleep(t)
	s.launch(s.awaitOffer(a.id), "long", cmd, 0.1, 32)
	s.awaitStatus("long", "TASK_RUNNING")
	var pid int
	eventually(t, 5*time.Second, "the task's sleep process", func() (err error) {
		pid, err = sleepPID(marker)
		return err
	})

	m.kill9()
	m2 := startMasterAt(t, m.port, m.workDir)

	eventually(t, 15*time.Second, "agent and task back in /master/state", func() error {
		st, err := masterState(m2)
		if err != nil {
			return err
		}
		if len(st.Slaves) != 1 || st.Slaves[0].ID != a.id || !st.Slaves[0].Active {
			return fmt.Errorf("slaves = %+v, want agent %s active", st.Slaves, a.id)
		}
		f, ok := st.framework(fid)
		if !ok {
			return fmt.Errorf("framework %s not recovered", fid)
		}
		if !f.Recovered || len(f.Tasks) != 1 || f.Tasks[0].ID != "long" || f.Tasks[0].State != "TASK_RUNNING" {
			return fmt.Errorf("framework %+v, want recovered with task long TASK_RUNNING", f)
		}
		return nil
	})

	info["id"] = id{fid}
	s2 := subscribe(t, m2, info)
	if s2.frameworkID != fid {
		t.Fatalf("resubscribed as %s, want %s", s2.frameworkID, fid)
	}
	s2.reconcile("long", a.id)
	ev := s2.await(10*time.Second, "reconciliation update", func(e event) bool {
		return e.Type == "UPDATE" && e.Update.Status.TaskID.Value == "long" &&
			e.Update.Status.Reason == "REASON_RECONCILIATION"
	})
	if got := ev.Update.Status.State; got != "TASK_RUNNING" {
		t.Errorf("reconciled task long: %s, want TASK_RUNNING", got)
	}

	if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err != nil {
		t.Fatalf("the task's process %d is gone: %v", pid, err)
	}
	if again, err := sleepPID(marker); err != nil || again != pid {
		t.Fatalf("the task's sleep is pid %d (%v), want the original %d", again, err, pid)
	}
}
