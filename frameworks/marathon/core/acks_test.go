package core

import (
	"testing"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	"github.com/agoraproject/agora/sdk/sdktest"
)

// TestBurstAcknowledgedOnce: a scale-up's status updates are applied in
// batches and every one with a uuid is acknowledged, once.
func TestBurstAcknowledgedOnce(t *testing.T) {
	h := newHarness(t, sdktest.Options{Agents: []sdktest.Agent{{Resources: "cpus:100;mem:100000;disk:1000;ports:[10000-11000]"}}})
	h.mustDeploy(newApp("/burst", 200))
	h.idle()
	if n := h.app("/burst").TasksRunning; n != 200 {
		t.Fatalf("%d running", n)
	}
	h.waitFor("acknowledgements", func() bool { return h.m.Unacknowledged() == 0 })
	seen := map[string]int{}
	for _, a := range h.m.Acknowledged() {
		seen[a.GetTaskId().GetValue()+"/"+string(a.GetUuid())]++
	}
	// The fake sends one update per task: TASK_RUNNING.
	if len(seen) != 200 {
		t.Fatalf("%d distinct acknowledgements, want 200", len(seen))
	}
	for k, n := range seen {
		if n != 1 {
			t.Fatalf("%s acknowledged %d times", k, n)
		}
	}
}

// TestStaleUpdateIgnored: a TASK_STARTING that arrives after TASK_RUNNING
// (an agent's resend overtaken by the next update) does not move the task
// back, and the deployment that saw it run stays done.
func TestStaleUpdateIgnored(t *testing.T) {
	h := newHarness(t, sdktest.Options{})
	h.mustDeploy(newApp("/web", 1))
	h.idle()
	id := h.app("/web").Tasks[0].ID
	h.sendStatus(id, mesos.TaskState_TASK_STARTING, nil)
	h.sendStatus(id, mesos.TaskState_TASK_STAGING, nil)
	// A marker: its health_status_changed_event shows once the updates
	// before it are applied.
	h.sendStatus(id, mesos.TaskState_TASK_RUNNING, ptr(true))
	h.waitFor("the updates applied", func() bool { return len(h.events("health_status_changed_event")) == 1 })
	a := h.app("/web")
	if a.TasksRunning != 1 || a.TasksStaged != 0 || a.Tasks[0].State != "TASK_RUNNING" {
		t.Fatalf("running %d staged %d state %s", a.TasksRunning, a.TasksStaged, a.Tasks[0].State)
	}
	if n := len(h.events("status_update_event")); n != 1 {
		t.Fatalf("%d status_update_events, want only the first TASK_RUNNING", n)
	}
}
