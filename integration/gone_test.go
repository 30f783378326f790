package integration

import (
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestMarkAgentGone marks an agent running two frameworks' tasks gone
// through the operator API. The partition-aware framework sees
// TASK_GONE_BY_OPERATOR, the other TASK_LOST, both with a FAILURE event;
// the agent kills its tasks and exits; brought back with its old
// checkpoint, it is refused and exits again without being listed.
func TestMarkAgentGone(t *testing.T) {
	m := startMaster(t)
	a := startAgent(t, m, "doomed")
	backup := t.TempDir()

	aware := subscribe(t, m, map[string]any{"user": "root", "name": "aware",
		"capabilities": []any{map[string]any{"type": "PARTITION_AWARE"}}})
	plain := subscribe(t, m, map[string]any{"user": "root", "name": "plain"})
	awareCmd, awareMarker := longSleep(t)
	aware.launch(aware.awaitOffer(a.id), "aware-task", awareCmd, 0.1, 32)
	aware.awaitStatus("aware-task", "TASK_RUNNING")
	plainCmd, plainMarker := longSleep(t)
	plain.launch(plain.awaitOffer(a.id), "plain-task", plainCmd, 0.1, 32)
	plain.awaitStatus("plain-task", "TASK_RUNNING")

	// The agent deletes its checkpoint when removed; keep a copy so that it
	// can come back under its old ID, as one cut off during the mark would.
	if out, err := exec.Command("cp", "-a", a.workDir+"/meta", backup+"/meta").CombinedOutput(); err != nil {
		t.Fatalf("copying the checkpoint: %v %s", err, out)
	}
	markGone(t, m, a.id)

	gone := aware.awaitUpdate("aware-task", "TASK_GONE_BY_OPERATOR")
	lost := plain.awaitUpdate("plain-task", "TASK_LOST")
	for _, st := range []taskStatus{gone, lost} {
		if st.Source != "SOURCE_MASTER" || st.Reason != "REASON_AGENT_REMOVED_BY_OPERATOR" {
			t.Errorf("%s: source %s reason %s, want SOURCE_MASTER REASON_AGENT_REMOVED_BY_OPERATOR", st.State, st.Source, st.Reason)
		}
	}
	for _, s := range []*scheduler{aware, plain} {
		s.await(5*time.Second, "FAILURE for the agent", func(e event) bool {
			return e.Type == "FAILURE" && e.Failure.AgentID != nil && e.Failure.AgentID.Value == a.id
		})
	}
	select {
	case <-a.done:
	case <-time.After(10 * time.Second):
		t.Fatal("the gone agent did not shut down")
	}
	if a.cmd.ProcessState.Success() {
		t.Errorf("the removed agent exited 0, want a failure status")
	}
	for _, marker := range []string{awareMarker, plainMarker} {
		if pid, err := sleepPID(marker); err == nil {
			t.Errorf("task process %d (%s) survived its agent's removal", pid, marker)
		}
	}
	st, err := masterState(m)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Slaves) != 0 {
		t.Errorf("slaves %+v, want none", st.Slaves)
	}
	for _, want := range []struct{ fid, state string }{{aware.frameworkID, "TASK_GONE_BY_OPERATOR"}, {plain.frameworkID, "TASK_LOST"}} {
		f, _ := st.framework(want.fid)
		if len(f.Tasks) != 0 || len(f.CompletedTasks) != 1 || f.CompletedTasks[0].State != want.state {
			t.Errorf("framework %s: tasks %+v completed %+v, want one completed %s", f.Name, f.Tasks, f.CompletedTasks, want.state)
		}
	}
	// Marking it again is accepted and changes nothing (as in Mesos).
	markGone(t, m, a.id)

	// Back under its old ID, it is refused: told to shut down again.
	if out, err := exec.Command("cp", "-a", backup+"/meta", a.workDir+"/meta").CombinedOutput(); err != nil {
		t.Fatalf("restoring the checkpoint: %v %s", err, out)
	}
	again := startProc(t, "agent doomed (restarted)", agoraBin, a.args...)
	select {
	case <-again.done:
	case <-time.After(15 * time.Second):
		t.Fatal("the gone agent was not refused when it came back")
	}
	if !strings.Contains(again.out.String(), "marked gone") {
		t.Errorf("the refused agent's log does not say why:\n%s", again.out.String())
	}
	if got, err := activeAgents(m); err != nil || len(got) != 0 {
		t.Fatalf("active agents %v (%v), want none", got, err)
	}
}

// markGone sends MARK_AGENT_GONE to the operator API and expects 200.
func markGone(t *testing.T, m *masterProc, agentID string) {
	t.Helper()
	resp := post(t, httpClient, m.url+"/api/v1", "", map[string]any{
		"type": "MARK_AGENT_GONE", "mark_agent_gone": map[string]any{"agent_id": map[string]any{"value": agentID}},
	})
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("MARK_AGENT_GONE %s: %s", agentID, resp.Status)
	}
}
