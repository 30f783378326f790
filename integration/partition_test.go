package integration

import (
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestAgentPartition cuts an agent in its own network namespace off from
// the master (its bridge port goes down; nothing is reset) while a
// PARTITION_AWARE framework and a plain one each run a task on it. The
// master marks the agent unreachable after its ping timeouts: the first
// framework sees TASK_UNREACHABLE, the second TASK_LOST. When the network
// heals the agent reregisters under its ID: the partition-aware task is
// RUNNING again, its process never stopped, while the task already
// declared LOST is killed on the agent, as in Mesos.
func TestAgentPartition(t *testing.T) {
	lab := newNetLab(t)
	host := lab.addHost()
	m := startLabMaster(t, lab)
	a := startHostAgent(t, m, host, "partitioned")

	aware := subscribe(t, m, map[string]any{"user": "root", "name": "aware",
		"capabilities": []any{map[string]any{"type": "PARTITION_AWARE"}}})
	plain := subscribe(t, m, map[string]any{"user": "root", "name": "plain"})

	awareCmd, awareMarker := longSleep(t)
	aware.launch(aware.awaitOffer(a.id), "aware-task", awareCmd, 0.1, 32)
	aware.awaitStatus("aware-task", "TASK_RUNNING")
	plainCmd, plainMarker := longSleep(t)
	plain.launch(plain.awaitOffer(a.id), "plain-task", plainCmd, 0.1, 32)
	plain.awaitStatus("plain-task", "TASK_RUNNING")

	var awarePID int
	eventually(t, 5*time.Second, "the partition-aware task's process", func() (err error) {
		awarePID, err = sleepPID(awareMarker)
		return err
	})
	// Watch that process for the whole partition and after it.
	var vanished atomic.Bool
	stop := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", awarePID)); err != nil || !strings.Contains(string(b), awareMarker) {
				vanished.Store(true)
				return
			}
		}
	}()
	defer func() { close(stop); <-watched }()

	host.cut()
	cutAt := time.Now()
	unreachable := aware.awaitUpdate("aware-task", "TASK_UNREACHABLE")
	lost := plain.awaitUpdate("plain-task", "TASK_LOST")
	t.Logf("TASK_UNREACHABLE and TASK_LOST %v after the cut", time.Since(cutAt).Round(time.Millisecond))
	for _, st := range []taskStatus{unreachable, lost} {
		if st.Source != "SOURCE_MASTER" || st.Reason != "REASON_AGENT_REMOVED" {
			t.Errorf("%s: source %s reason %s, want SOURCE_MASTER REASON_AGENT_REMOVED", st.State, st.Source, st.Reason)
		}
	}
	aware.await(5*time.Second, "FAILURE for the agent", func(e event) bool {
		return e.Type == "FAILURE" && e.Failure.AgentID != nil && e.Failure.AgentID.Value == a.id
	})
	st, err := masterState(m)
	if err != nil {
		t.Fatal(err)
	}
	if st.UnreachableSlaves != 1 {
		t.Errorf("unreachable_slaves = %d during the partition, want 1", st.UnreachableSlaves)
	}
	// The master answers reconciliation with what it last knew.
	aware.reconcile("aware-task", a.id)
	aware.awaitUpdate("aware-task", "TASK_UNREACHABLE")

	host.heal()
	healedAt := time.Now()
	eventually(t, 15*time.Second, "the agent reregistered under its ID", func() error {
		got, err := activeAgents(m)
		if err == nil && got["partitioned"] != a.id {
			err = fmt.Errorf("active agents %v, want partitioned as %s", got, a.id)
		}
		return err
	})
	t.Logf("agent reregistered %v after the heal", time.Since(healedAt).Round(time.Millisecond))

	// The partition-aware task is RUNNING again: in the master's state and
	// in an explicit reconciliation.
	eventually(t, 5*time.Second, "aware-task RUNNING in /master/state", func() error {
		st, err := masterState(m)
		if err != nil {
			return err
		}
		f, _ := st.framework(aware.frameworkID)
		for _, task := range f.Tasks {
			if task.ID == "aware-task" && task.State == "TASK_RUNNING" && task.SlaveID == a.id {
				return nil
			}
		}
		return fmt.Errorf("tasks %+v", f.Tasks)
	})
	aware.reconcile("aware-task", a.id)
	aware.awaitUpdate("aware-task", "TASK_RUNNING")
	if pid, err := sleepPID(awareMarker); err != nil || pid != awarePID || vanished.Load() {
		t.Fatalf("the partition-aware task's process: pid %d (%v), vanished %v; want %d throughout", pid, err, vanished.Load(), awarePID)
	}

	// The task the master declared LOST must not run on: the master kills
	// it on reregistration and forwards the agent's TASK_KILLED.
	plain.awaitUpdate("plain-task", "TASK_KILLED")
	eventually(t, 5*time.Second, "plain-task's process gone", func() error {
		if pid, err := sleepPID(plainMarker); err == nil {
			return fmt.Errorf("pid %d still there", pid)
		}
		return nil
	})
	st, err = masterState(m)
	if err != nil {
		t.Fatal(err)
	}
	f, _ := st.framework(plain.frameworkID)
	if len(f.Tasks) != 0 {
		t.Errorf("the plain framework's tasks %+v, want none active", f.Tasks)
	}
	if st.UnreachableSlaves != 0 {
		t.Errorf("unreachable_slaves = %d after the heal, want 0", st.UnreachableSlaves)
	}
	// The resumed task's resources count as used again; the killed one's not.
	eventually(t, 5*time.Second, "the agent's used cpus = the resumed task's 0.1", func() error {
		var s struct {
			Slaves []struct {
				Used map[string]any `json:"used_resources"`
			} `json:"slaves"`
		}
		if err := getJSON(m.url+"/master/state", &s); err != nil {
			return err
		}
		if len(s.Slaves) != 1 || s.Slaves[0].Used["cpus"] != 0.1 {
			return fmt.Errorf("slaves %+v", s.Slaves)
		}
		return nil
	})
}

// awaitUpdate waits for an update of the task in state want and
// acknowledges it; other events stay pending.
func (s *scheduler) awaitUpdate(taskID, want string) taskStatus {
	s.t.Helper()
	ev := s.await(15*time.Second, taskID+" "+want, func(e event) bool {
		return e.Type == "UPDATE" && e.Update.Status.TaskID.Value == taskID && e.Update.Status.State == want
	})
	s.acknowledge(ev.Update.Status)
	return ev.Update.Status
}
