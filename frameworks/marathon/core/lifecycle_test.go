package core

import (
	"context"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agoraproject/agora/frameworks/marathon/app"
	"github.com/agoraproject/agora/frameworks/marathon/state"
	"github.com/agoraproject/agora/internal/store"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	schedpb "github.com/agoraproject/agora/proto/mesos/v1/scheduler"
	"github.com/agoraproject/agora/sdk/sdktest"
)

// TestFailedTaskRelaunchedAfterBackoff: a failing task is relaunched only
// once its back-off (backoffSeconds × backoffFactor^n) has passed.
func TestFailedTaskRelaunchedAfterBackoff(t *testing.T) {
	var fail atomic.Bool
	fail.Store(true)
	h := newHarness(t, sdktest.Options{TaskResult: func(*mesos.TaskInfo) (mesos.TaskState, string) {
		if fail.Load() {
			return mesos.TaskState_TASK_FAILED, "exit status 1"
		}
		return mesos.TaskState_TASK_RUNNING, ""
	}})
	a := newApp("/crash", 1)
	a.BackoffSeconds, a.BackoffFactor, a.MaxLaunchDelaySeconds = 10, 2, 15
	h.mustDeploy(a)
	h.waitFor("a failure", func() bool { return h.app("/crash").LastTaskFailure != nil })
	f := h.app("/crash").LastTaskFailure
	if f.State != "TASK_FAILED" || f.Message != "exit status 1" || !strings.HasPrefix(f.TaskID, "crash.") {
		t.Fatalf("lastTaskFailure %+v", f)
	}
	h.waitFor("the delay in the queue", func() bool {
		q := h.core.Queue()
		return len(q) == 1 && q[0].Delay.TimeLeftSeconds == 10
	})
	if n := len(h.launched()); n != 1 {
		t.Fatalf("%d launches before the back-off passed", n)
	}
	// A scaling keeps the back-off, and the deployment says it waits.
	more := h.app("/crash").App.Clone()
	more.Instances = 2
	h.mustDeploy(more)
	if w := h.core.Deployments()[0].CurrentActions[0].Waiting; !strings.Contains(w, "back-off") {
		t.Fatalf("waiting %q does not mention the back-off", w)
	}

	h.clock.Advance(9 * time.Second)
	h.ticked()
	if n := len(h.launched()); n != 1 {
		t.Fatalf("%d launches after 9 s of a 10 s back-off", n)
	}
	h.clock.Advance(time.Second)
	h.waitFor("relaunch", func() bool { return len(h.launched()) == 3 })
	// Second failure: 10 × 2 = 20 s, capped at 15.
	h.waitFor("second delay", func() bool {
		q := h.core.Queue()
		if len(h.app("/crash").Tasks) > 0 {
			return false // both relaunched instances must have failed
		}
		return len(q) == 1 && q[0].Delay.TimeLeftSeconds == 15
	})

	// Resetting the delay launches at once.
	fail.Store(false)
	if err := h.core.ResetDelay("/crash"); err != nil {
		t.Fatal(err)
	}
	h.idle()
	if n := h.app("/crash").TasksRunning; n != 2 {
		t.Fatalf("%d running after reset", n)
	}
}

// TestRollingRestartGatedByHealth: a restart replaces instances one at a
// time, never dropping below minimumHealthCapacity healthy instances, and
// waits for health checks before going on.
func TestRollingRestartGatedByHealth(t *testing.T) {
	h := newHarness(t, sdktest.Options{Agents: []sdktest.Agent{{}, {}}})
	a := newApp("/svc", 2)
	a.HealthChecks = []app.HealthCheck{app.DefaultHealthCheck()}
	a.HealthChecks[0].Protocol, a.HealthChecks[0].Path = "MESOS_HTTP", "/health"
	a.UpgradeStrategy = &app.UpgradeStrategy{MinimumHealthCapacity: 1, MaximumOverCapacity: 0}
	h.mustDeploy(a)
	yes := ptr(true)
	markHealthy := func() {
		for _, tk := range h.app("/svc").Tasks {
			if tk.State == "TASK_RUNNING" && len(tk.HealthCheckResults) == 0 {
				h.sendStatus(tk.ID, mesos.TaskState_TASK_RUNNING, yes)
			}
		}
	}
	h.waitFor("2 running", func() bool { return h.app("/svc").TasksRunning == 2 })
	if hc := h.launched()[0].GetHealthCheck(); hc.GetType() != mesos.HealthCheck_HTTP || hc.GetHttp().GetPath() != "/health" || hc.GetHttp().GetPort() == 0 {
		t.Fatalf("health check in TaskInfo: %v", hc)
	}
	if len(h.core.Deployments()) != 1 {
		t.Fatal("deployment done before instances are healthy")
	}
	markHealthy()
	h.idle()
	old := h.app("/svc").Tasks

	d, err := h.deploy(state.Change{Restart: []string{"/svc"}}, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Steps) != 1 || d.Steps[0].Actions[0].Action != state.RestartApplication {
		t.Fatalf("restart plan %+v", d.Steps)
	}
	for round := 0; round < 2; round++ {
		// One new instance starts; no old one dies before it is healthy.
		h.waitFor("a new instance running", func() bool {
			n := 0
			for _, tk := range h.app("/svc").Tasks {
				if tk.State == "TASK_RUNNING" {
					n++
				}
			}
			return n == 3
		})
		s := h.app("/svc")
		if n := len(h.kills()); n != round {
			t.Fatalf("round %d: %d kills before the new instance is healthy", round, n)
		}
		if w := h.core.Deployments()[0].CurrentActions[0].Waiting; !strings.Contains(w, "not yet healthy") {
			t.Fatalf("waiting %q does not mention health", w)
		}
		healthy := s.TasksHealthy
		if healthy < 2 {
			t.Fatalf("round %d: %d healthy", round, healthy)
		}
		markHealthy()
		h.waitFor("an old instance killed", func() bool { return len(h.kills()) == round+1 })
	}
	h.idle()
	s := h.app("/svc")
	if s.TasksRunning != 2 {
		t.Fatalf("%d running after restart", s.TasksRunning)
	}
	for _, tk := range s.Tasks {
		if slices.ContainsFunc(old, func(o state.Task) bool { return o.ID == tk.ID }) {
			t.Fatalf("old task %s survived the restart", tk.ID)
		}
		if tk.Version != s.App.Version {
			t.Fatalf("task version %s, app version %s", tk.Version, s.App.Version)
		}
	}
}

// TestUnreachableInstance: an unreachable instance is replaced after
// inactiveAfterSeconds; when it comes back, the surplus is killed.
func TestUnreachableInstance(t *testing.T) {
	h := newHarness(t, sdktest.Options{})
	a := newApp("/u", 1)
	a.UnreachableStrategy = &app.UnreachableStrategy{InactiveAfterSeconds: 60, ExpungeAfterSeconds: 600}
	h.mustDeploy(a)
	h.idle()
	first := h.app("/u").Tasks[0].ID
	h.sendStatus(first, mesos.TaskState_TASK_UNREACHABLE, nil)
	h.waitFor("unreachable", func() bool { return h.app("/u").Tasks[0].State == "TASK_UNREACHABLE" })
	h.clock.Advance(30 * time.Second)
	h.ticked()
	if n := len(h.launched()); n != 1 {
		t.Fatalf("replacement launched after 30 s of 60 (%d launches)", n)
	}
	h.clock.Advance(30 * time.Second)
	h.waitFor("replacement", func() bool { return len(h.launched()) == 2 })
	h.waitFor("replacement running", func() bool { return h.app("/u").TasksRunning == 1 })
	if n := len(h.app("/u").Tasks); n != 2 {
		t.Fatalf("%d tasks; the unreachable one should still be listed", n)
	}
	// It comes back: one of the two goes.
	h.sendStatus(first, mesos.TaskState_TASK_RUNNING, nil)
	h.waitFor("surplus killed", func() bool { return len(h.kills()) == 1 })
	h.waitFor("one left", func() bool { s := h.app("/u"); return len(s.Tasks) == 1 && s.TasksRunning == 1 })
}

// TestRestartResumesFromStore: a new core on the same store reuses the
// framework ID, resumes the running deployment, reconciles, and kills
// nothing that runs and is wanted; tasks of apps it does not know are
// killed.
func TestRestartResumesFromStore(t *testing.T) {
	m := newMaster(t, sdktest.Options{Agents: []sdktest.Agent{{}, {}}})
	st := store.NewMemory()
	clock := sdktest.NewClock(epoch)
	h := startCore(t, m, st, clock)
	gone := newApp("/gone", 1)
	h.mustDeploy(gone)
	h.idle()
	goneTask := h.app("/gone").Tasks[0].ID
	a := newApp("/hc", 2)
	a.HealthChecks = []app.HealthCheck{app.DefaultHealthCheck()}
	d := h.mustDeploy(a)
	h.waitFor("2 running", func() bool { return h.app("/hc").TasksRunning == 2 })
	first := h.app("/hc").Tasks[0].ID
	h.sendStatus(first, mesos.TaskState_TASK_RUNNING, ptr(true))
	h.waitFor("1 healthy", func() bool { return h.app("/hc").TasksHealthy == 1 })
	fwID := m.FrameworkID()
	h.stop()

	// Lose the app /gone from the store, as if deleted by another leader.
	ctx := context.Background()
	for _, k := range []string{appKey("/gone"), instancesKey("/gone")} {
		if err := st.Delete(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	callsBefore := len(m.Calls(schedpb.Call_KILL))
	h2 := startCore(t, m, st, clock)
	h2.waitFor("resubscription", func() bool { return len(m.Subscribes()) == 2 })
	subs := m.Subscribes()
	if got := subs[len(subs)-1].GetFrameworkId().GetValue(); got != fwID {
		t.Fatalf("resubscribed as %q, want %q", got, fwID)
	}
	ds := h2.core.Deployments()
	if len(ds) != 1 || ds[0].ID != d.ID {
		t.Fatalf("deployments after restart %+v, want %s", ds, d.ID)
	}
	h2.waitFor("orphan killed", func() bool { return m.Tasks()[goneTask] == mesos.TaskState_TASK_KILLED })
	if len(m.Calls(schedpb.Call_RECONCILE)) < 2 {
		t.Fatal("no reconciliation after restart")
	}
	s := h2.app("/hc")
	if s.TasksRunning != 2 || s.TasksHealthy != 1 {
		t.Fatalf("after restart: %d running, %d healthy", s.TasksRunning, s.TasksHealthy)
	}
	for _, tk := range s.Tasks {
		if tk.ID != first {
			h2.sendStatus(tk.ID, mesos.TaskState_TASK_RUNNING, ptr(true))
		}
	}
	h2.idle()
	kills := m.Calls(schedpb.Call_KILL)[callsBefore:]
	for _, k := range kills {
		if id := k.GetKill().GetTaskId().GetValue(); id != goneTask {
			t.Fatalf("killed %s, a wanted task", id)
		}
	}
	if len(h2.events("deployment_success")) != 1 {
		t.Fatal("the resumed deployment did not succeed")
	}
}
