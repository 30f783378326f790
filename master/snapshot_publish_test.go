package master

import (
	"context"
	"fmt"
	"testing"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	"github.com/agoraproject/agora/proto/mesos/v1/scheduler"
)

// checkPublishedViews compares every framework's published views, brought
// up to date as a read would, with views made from all its live tasks. The
// harness runs it at every state() so that a change that bypasses
// taskChanged fails the scenario and property tests.
func (m *Master) checkPublishedViews(ctx context.Context) error {
	var problem error
	err := m.do(ctx, func() {
		for _, f := range m.frameworks {
			list := f.liveViews()
			if len(list) != len(f.tasks) {
				problem = fmt.Errorf("framework %s: %d published views, %d live tasks", f.id, len(list), len(f.tasks))
				return
			}
			for i, v := range list {
				t := v.Key.rec
				want := taskView(t)
				if f.tasks[t.id] != t || int(t.pub.index) != i+1 || v.Key != want.Key ||
					!sameSlice(v.executorResources, t.executorResources()) || v.State != t.state {
					problem = fmt.Errorf("framework %s: published view of task %s is stale or misplaced", f.id, t.id)
					return
				}
			}
		}
	})
	if err != nil {
		return err
	}
	return problem
}

// After the views are dropped (no reads for a while), the next read
// rebuilds them and later reads keep them up to date again.
func TestStateAfterForgettingViews(t *testing.T) {
	h := newHarness(t, nil)
	fw := h.subscribe(frameworkInfo("f"))
	ag := h.addAgent("cpus:4;mem:4096")
	off := h.next(fw.Events, scheduler.Event_OFFERS).GetOffers().GetOffers()[0]
	if err := h.call(fw, launch(off.GetId().GetValue(), task("t1", ag.AgentID, "cpus:1;mem:128"),
		task("t2", ag.AgentID, "cpus:1;mem:128"))); err != nil {
		t.Fatal(err)
	}
	h.update(ag, fw.FrameworkID, "t1", mesos.TaskState_TASK_RUNNING, 1)
	first := h.state()
	if err := h.m.ForgetEncodings(h.ctx); err != nil {
		t.Fatal(err)
	}
	h.update(ag, fw.FrameworkID, "t2", mesos.TaskState_TASK_RUNNING, 2)
	h.update(ag, fw.FrameworkID, "t1", mesos.TaskState_TASK_FINISHED, 3)
	st := h.state() // checks the published views too
	f := findFramework(st, fw.FrameworkID)
	if len(f.Tasks) != 1 || f.Tasks[0].ID != "t2" || f.Tasks[0].State != mesos.TaskState_TASK_RUNNING ||
		len(f.CompletedTasks) != 1 || f.CompletedTasks[0].ID != "t1" || cpus(st.Agents[0].Used) != 1 {
		t.Fatalf("after forgetting: tasks %+v completed %+v used %v", f.Tasks, f.CompletedTasks, st.Agents[0].Used)
	}
	if ft := findFramework(first, fw.FrameworkID).Tasks; len(ft) != 2 || ft[0].State != mesos.TaskState_TASK_RUNNING ||
		ft[1].State != mesos.TaskState_TASK_STAGING {
		t.Errorf("an earlier State changed under its reader: %+v", ft)
	}
	h.update(ag, fw.FrameworkID, "t2", mesos.TaskState_TASK_FAILED, 4)
	if f := findFramework(h.state(), fw.FrameworkID); len(f.Tasks) != 0 || len(f.CompletedTasks) != 2 {
		t.Fatalf("tasks %+v completed %+v", f.Tasks, f.CompletedTasks)
	}
}
