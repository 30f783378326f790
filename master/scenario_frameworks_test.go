package master

import (
	"testing"
	"time"

	"github.com/agoraproject/agora/proto/agora/agentpb"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	"github.com/agoraproject/agora/proto/mesos/v1/scheduler"
)

// runTask launches one task from the framework's next offer and reports it
// RUNNING.
func (h *harness) runTask(fw *FrameworkStream, ag *AgentStream, t *mesos.TaskInfo) {
	h.t.Helper()
	off := h.offers(fw)
	if err := h.call(fw, launch(off[0].GetId().GetValue(), t)); err != nil {
		h.t.Fatal(err)
	}
	h.nextAgent(ag.Events, agentpb.Event_RUN_TASK)
	h.update(ag, fw.FrameworkID, t.GetTaskId().GetValue(), mesos.TaskState_TASK_RUNNING, 1)
	if s := h.next(fw.Events, scheduler.Event_UPDATE).GetUpdate().GetStatus(); s.GetState() != mesos.TaskState_TASK_RUNNING {
		h.t.Fatalf("want RUNNING, got %v", s)
	}
}

func TestFailoverTimeoutHonoured(t *testing.T) {
	h := newHarness(t, quietPings)
	info := frameworkInfo("f")
	info.FailoverTimeout = float64Ptr(60)
	fw := h.subscribe(info)
	ag := h.addAgent("cpus:2;mem:512")
	h.runTask(fw, ag, task("t1", ag.AgentID, "cpus:1;mem:64"))

	h.m.CloseFrameworkStream(fw.FrameworkID, fw.StreamID)
	h.sync()
	h.advance(30 * time.Second)
	h.advance(29 * time.Second)
	h.noneAgent(ag.Events, agentpb.Event_SHUTDOWN_FRAMEWORK)
	h.noneAgent(ag.Events, agentpb.Event_KILL_TASK)
	st := h.state()
	if len(st.Frameworks) != 1 || st.Frameworks[0].Connected || len(st.Frameworks[0].Tasks) != 1 ||
		st.Frameworks[0].Tasks[0].State != mesos.TaskState_TASK_RUNNING {
		t.Fatalf("before the timeout: %+v", st.Frameworks)
	}

	h.advance(2 * time.Second)
	e := h.nextAgent(ag.Events, agentpb.Event_SHUTDOWN_FRAMEWORK)
	if e.GetShutdownFramework().GetFrameworkId().GetValue() != fw.FrameworkID {
		t.Fatalf("SHUTDOWN_FRAMEWORK = %v", e)
	}
	st = h.state()
	if len(st.Frameworks) != 0 || len(st.CompletedFrameworks) != 1 || st.CompletedFrameworks[0].ID != fw.FrameworkID {
		t.Fatalf("after the timeout: frameworks %+v completed %+v", st.Frameworks, st.CompletedFrameworks)
	}
	if ct := st.CompletedFrameworks[0].CompletedTasks; len(ct) != 1 || ct[0].State != mesos.TaskState_TASK_KILLED {
		t.Fatalf("completed tasks = %+v", ct)
	}
	// Everything it held is free again.
	g := h.subscribe(frameworkInfo("g"))
	if off := h.offers(g); cpus(off[0].GetResources()) != 2 {
		t.Fatalf("offer after removal = %v", off)
	}
	// A torn-down framework cannot come back.
	info.Id = &mesos.FrameworkID{Value: strPtr(fw.FrameworkID)}
	_, err := h.m.SubscribeFramework(h.ctx, &scheduler.Call{Type: scheduler.Call_SUBSCRIBE.Enum(), Subscribe: &scheduler.Call_Subscribe{FrameworkInfo: info}})
	if kindOf(err) != KindForbidden {
		t.Fatalf("resubscribe after removal: %v", err)
	}
}

func TestResubscribeWithinFailoverKeepsTasks(t *testing.T) {
	h := newHarness(t, quietPings)
	info := frameworkInfo("f")
	info.FailoverTimeout = float64Ptr(60)
	fw := h.subscribe(info)
	ag := h.addAgent("cpus:2;mem:512")
	h.runTask(fw, ag, task("t1", ag.AgentID, "cpus:1;mem:64"))
	h.m.CloseFrameworkStream(fw.FrameworkID, fw.StreamID)
	h.sync()
	h.advance(50 * time.Second)

	info.Id = &mesos.FrameworkID{Value: strPtr(fw.FrameworkID)}
	fw2 := h.subscribe(info)
	h.advance(30 * time.Second)
	h.advance(60 * time.Second)
	h.noneAgent(ag.Events, agentpb.Event_SHUTDOWN_FRAMEWORK)
	if err := h.call(fw2, &scheduler.Call{Type: scheduler.Call_RECONCILE.Enum(), Reconcile: &scheduler.Call_Reconcile{}}); err != nil {
		t.Fatal(err)
	}
	s := h.next(fw2.Events, scheduler.Event_UPDATE).GetUpdate().GetStatus()
	if s.GetTaskId().GetValue() != "t1" || s.GetState() != mesos.TaskState_TASK_RUNNING {
		t.Fatalf("reconciled %v", s)
	}
}

func TestFailoverTimeoutZeroRemovesOnNextTick(t *testing.T) {
	h := newHarness(t, quietPings)
	info := frameworkInfo("f")
	info.FailoverTimeout = float64Ptr(0)
	fw := h.subscribe(info)
	h.m.CloseFrameworkStream(fw.FrameworkID, fw.StreamID)
	h.sync()
	h.tick()
	if st := h.state(); len(st.Frameworks) != 0 || len(st.CompletedFrameworks) != 1 {
		t.Fatalf("frameworks %+v completed %+v", st.Frameworks, st.CompletedFrameworks)
	}
}

func TestTeardownKillsTasks(t *testing.T) {
	h := newHarness(t, quietPings)
	fw := h.subscribe(frameworkInfo("f"))
	ag := h.addAgent("cpus:2;mem:512")
	h.runTask(fw, ag, task("t1", ag.AgentID, "cpus:1;mem:64"))
	if err := h.call(fw, &scheduler.Call{Type: scheduler.Call_TEARDOWN.Enum()}); err != nil {
		t.Fatal(err)
	}
	<-fw.Done
	if e := h.nextAgent(ag.Events, agentpb.Event_SHUTDOWN_FRAMEWORK); e.GetShutdownFramework().GetFrameworkId().GetValue() != fw.FrameworkID {
		t.Fatalf("SHUTDOWN_FRAMEWORK = %v", e)
	}
	st := h.state()
	if len(st.CompletedFrameworks) != 1 {
		t.Fatalf("completed frameworks = %+v", st.CompletedFrameworks)
	}
	ct := st.CompletedFrameworks[0].CompletedTasks
	if len(ct) != 1 || ct[0].State != mesos.TaskState_TASK_KILLED {
		t.Fatalf("completed tasks = %+v", ct)
	}
	if reason, _ := ct[0].Statuses[len(ct[0].Statuses)-1].Reason(); reason != mesos.TaskStatus_REASON_FRAMEWORK_REMOVED {
		t.Fatalf("completed tasks = %+v", ct)
	}
	if st.Agents[0].Used != nil {
		t.Fatalf("agent still uses %v", st.Agents[0].Used)
	}
	// The agent's TASK_KILLED for the removed framework is acknowledged by
	// the master, and changes nothing.
	h.update(ag, fw.FrameworkID, "t1", mesos.TaskState_TASK_KILLED, 9)
	if ack := h.nextAgent(ag.Events, agentpb.Event_ACKNOWLEDGE); ack.GetAcknowledge().GetUuid()[0] != 9 {
		t.Fatalf("ACKNOWLEDGE = %v", ack)
	}
	g := h.subscribe(frameworkInfo("g"))
	if off := h.offers(g); cpus(off[0].GetResources()) != 2 {
		t.Fatalf("offer after teardown = %v", off)
	}
}

func TestKillUnknownTask(t *testing.T) {
	h := newHarness(t, quietPings)
	plain := h.subscribe(frameworkInfo("plain"))
	aware := h.subscribe(frameworkInfo("aware", mesos.FrameworkInfo_Capability_PARTITION_AWARE))
	ag := h.addAgent("cpus:1;mem:256")
	kill := func(fw *FrameworkStream, agentID string) *mesos.TaskStatus {
		t.Helper()
		k := &scheduler.Call_Kill{TaskId: &mesos.TaskID{Value: strPtr("ghost")}}
		if agentID != "" {
			k.AgentId = &mesos.AgentID{Value: strPtr(agentID)}
		}
		if err := h.call(fw, &scheduler.Call{Type: scheduler.Call_KILL.Enum(), Kill: k}); err != nil {
			t.Fatal(err)
		}
		return h.next(fw.Events, scheduler.Event_UPDATE).GetUpdate().GetStatus()
	}
	for _, c := range []struct {
		fw    *FrameworkStream
		agent string
		want  mesos.TaskState
	}{
		{plain, "", mesos.TaskState_TASK_LOST},
		{plain, ag.AgentID, mesos.TaskState_TASK_LOST},
		{aware, "", mesos.TaskState_TASK_UNKNOWN},
		{aware, "no-such-agent", mesos.TaskState_TASK_UNKNOWN},
		{aware, ag.AgentID, mesos.TaskState_TASK_GONE},
	} {
		s := kill(c.fw, c.agent)
		if s.GetState() != c.want || s.GetReason() != mesos.TaskStatus_REASON_RECONCILIATION || s.GetTaskId().GetValue() != "ghost" || len(s.GetUuid()) != 0 {
			t.Errorf("kill on agent %q: %v, want %v", c.agent, s, c.want)
		}
	}
	h.noneAgent(ag.Events, agentpb.Event_KILL_TASK)
}

func TestReconcileExplicitAndImplicit(t *testing.T) {
	h := newHarness(t, quietPings)
	fw := h.subscribe(frameworkInfo("f"))
	ag := h.addAgent("cpus:2;mem:512")
	h.runTask(fw, ag, task("t1", ag.AgentID, "cpus:1;mem:64"))
	reconcile := func(ids ...string) {
		t.Helper()
		r := &scheduler.Call_Reconcile{}
		for _, id := range ids {
			r.Tasks = append(r.Tasks, &scheduler.Call_Reconcile_Task{TaskId: &mesos.TaskID{Value: strPtr(id)}})
		}
		if err := h.call(fw, &scheduler.Call{Type: scheduler.Call_RECONCILE.Enum(), Reconcile: r}); err != nil {
			t.Fatal(err)
		}
	}
	expect := func(id string, state mesos.TaskState) {
		t.Helper()
		s := h.next(fw.Events, scheduler.Event_UPDATE).GetUpdate().GetStatus()
		if s.GetTaskId().GetValue() != id || s.GetState() != state || s.GetReason() != mesos.TaskStatus_REASON_RECONCILIATION || len(s.GetUuid()) != 0 {
			t.Fatalf("reconciled %v, want %s %v", s, id, state)
		}
	}
	reconcile() // implicit: every known task
	expect("t1", mesos.TaskState_TASK_RUNNING)
	h.sync()
	h.none(fw.Events, scheduler.Event_UPDATE)

	reconcile("t1", "ghost")
	expect("t1", mesos.TaskState_TASK_RUNNING)
	expect("ghost", mesos.TaskState_TASK_LOST)

	h.update(ag, fw.FrameworkID, "t1", mesos.TaskState_TASK_FINISHED, 2)
	if s := h.next(fw.Events, scheduler.Event_UPDATE).GetUpdate().GetStatus(); s.GetState() != mesos.TaskState_TASK_FINISHED {
		t.Fatalf("update = %v", s)
	}
	// A late or repeated update never brings the ended task back.
	h.update(ag, fw.FrameworkID, "t1", mesos.TaskState_TASK_RUNNING, 3)
	h.next(fw.Events, scheduler.Event_UPDATE)
	reconcile() // implicit: no live tasks, no answers
	h.sync()
	h.none(fw.Events, scheduler.Event_UPDATE)
	reconcile("t1") // explicit: the terminal state
	expect("t1", mesos.TaskState_TASK_FINISHED)
	if st := h.state(); len(st.Frameworks[0].Tasks) != 0 || st.Agents[0].Used != nil {
		t.Fatalf("after FINISHED: tasks %+v used %v", st.Frameworks[0].Tasks, st.Agents[0].Used)
	}
}

// An agent running a framework's tasks hears when the framework comes back,
// and only that agent; a framework's first subscription tells nobody.
func TestResubscribeTellsAgentsWithItsTasks(t *testing.T) {
	h := newHarness(t, quietPings)
	info := frameworkInfo("f")
	info.FailoverTimeout = float64Ptr(60)
	fw := h.subscribe(info)
	busy := h.addAgent("cpus:2;mem:512")
	h.runTask(fw, busy, task("t1", busy.AgentID, "cpus:1;mem:64"))
	idle := h.addAgent("cpus:2;mem:512")
	h.noneAgent(busy.Events, agentpb.Event_UPDATE_FRAMEWORK)
	h.m.CloseFrameworkStream(fw.FrameworkID, fw.StreamID)
	h.sync()

	info.Id = &mesos.FrameworkID{Value: strPtr(fw.FrameworkID)}
	h.subscribe(info)
	ev := h.nextAgent(busy.Events, agentpb.Event_UPDATE_FRAMEWORK).GetUpdateFramework()
	if ev.GetFrameworkId().GetValue() != fw.FrameworkID || ev.GetFrameworkInfo().GetName() != "f" {
		t.Fatalf("UPDATE_FRAMEWORK = %v", ev)
	}
	h.noneAgent(idle.Events, agentpb.Event_UPDATE_FRAMEWORK)
}
