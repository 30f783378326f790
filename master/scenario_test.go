package master

import (
	"testing"
	"time"

	"github.com/agoraproject/agora/proto/agora/agentpb"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	"github.com/agoraproject/agora/proto/mesos/v1/scheduler"
	"github.com/agoraproject/agora/proto/resources"
)

func TestLaunchRunFinishAcknowledge(t *testing.T) {
	h := newHarness(t, nil)
	fw := h.subscribe(frameworkInfo("f"))
	ag := h.addAgent("cpus:4;mem:4096;disk:1000;ports:[31000-31005]")
	offers := h.next(fw.Events, scheduler.Event_OFFERS).GetOffers().GetOffers()
	if len(offers) != 1 || offers[0].GetAgentId().GetValue() != ag.AgentID {
		t.Fatalf("offers = %v", offers)
	}
	off := offers[0]
	if off.AllocationInfo != nil || off.GetResources()[0].AllocationInfo != nil {
		t.Errorf("non-MULTI_ROLE framework got allocation_info: %v", off)
	}
	if got := resources.Scalar(off.GetResources(), "cpus"); got != 4 {
		t.Errorf("offered cpus = %v, want 4", got)
	}
	if err := h.call(fw, launch(off.GetId().GetValue(), task("t1", ag.AgentID, "cpus:1;mem:128"))); err != nil {
		t.Fatal(err)
	}
	run := h.nextAgent(ag.Events, agentpb.Event_RUN_TASK)
	if run.GetRunTask().GetTask().GetTaskId().GetValue() != "t1" || run.GetRunTask().GetFramework().GetId().GetValue() != fw.FrameworkID {
		t.Fatalf("RUN_TASK = %v", run)
	}
	up := status("t1", mesos.TaskState_TASK_RUNNING, 1)
	up.Update.FrameworkId = &mesos.FrameworkID{Value: strPtr(fw.FrameworkID)}
	h.agentCall(ag, up)
	got := h.next(fw.Events, scheduler.Event_UPDATE).GetUpdate().GetStatus()
	if got.GetState() != mesos.TaskState_TASK_RUNNING || got.GetUuid()[0] != 1 || got.GetAgentId().GetValue() != ag.AgentID {
		t.Fatalf("UPDATE = %v", got)
	}
	err := h.call(fw, &scheduler.Call{Type: scheduler.Call_ACKNOWLEDGE.Enum(), Acknowledge: &scheduler.Call_Acknowledge{
		AgentId: got.AgentId, TaskId: got.TaskId, Uuid: got.Uuid,
	}})
	if err != nil {
		t.Fatal(err)
	}
	ack := h.nextAgent(ag.Events, agentpb.Event_ACKNOWLEDGE)
	if ack.GetAcknowledge().GetTaskId().GetValue() != "t1" || ack.GetAcknowledge().GetUuid()[0] != 1 {
		t.Fatalf("ACKNOWLEDGE = %v", ack)
	}
	st, err := h.m.State(h.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Frameworks) != 1 || len(st.Frameworks[0].Tasks) != 1 || st.Frameworks[0].Tasks[0].State != mesos.TaskState_TASK_RUNNING {
		t.Fatalf("state frameworks = %+v", st.Frameworks)
	}
	if cpus := resources.Scalar(st.Agents[0].Used, "cpus"); cpus != 1 {
		t.Errorf("agent used cpus = %v, want 1", cpus)
	}

	fin := status("t1", mesos.TaskState_TASK_FINISHED, 2)
	fin.Update.FrameworkId = &mesos.FrameworkID{Value: strPtr(fw.FrameworkID)}
	h.agentCall(ag, fin)
	if s := h.next(fw.Events, scheduler.Event_UPDATE).GetUpdate().GetStatus(); s.GetState() != mesos.TaskState_TASK_FINISHED {
		t.Fatalf("want FINISHED, got %v", s)
	}
	// The task's resources come back: the next offer holds all 4 cpus again
	// (the unused 3 were declined with the default 5 s filter, so advance).
	h.clock.Advance(6 * time.Second)
	offers = h.next(fw.Events, scheduler.Event_OFFERS).GetOffers().GetOffers()
	if got := resources.Scalar(offers[0].GetResources(), "cpus"); got != 4 {
		t.Errorf("re-offered cpus = %v, want 4", got)
	}
	m, _ := h.m.Metrics(h.ctx)
	if m["master/tasks_finished"] != 1 || m["master/tasks_running"] != 0 || m["master/cpus_total"] != 4 {
		t.Errorf("metrics: finished=%v running=%v cpus_total=%v", m["master/tasks_finished"], m["master/tasks_running"], m["master/cpus_total"])
	}
}

func TestAcceptValidation(t *testing.T) {
	h := newHarness(t, nil)
	fw := h.subscribe(frameworkInfo("f"))
	ag := h.addAgent("cpus:2;mem:1024")
	off := h.next(fw.Events, scheduler.Event_OFFERS).GetOffers().GetOffers()[0]
	id := off.GetId().GetValue()

	// Too big, wrong agent, and a duplicate ID all fail with TASK_ERROR
	// naming the problem; the valid task launches.
	big := task("big", ag.AgentID, "cpus:3;mem:64")
	wrong := task("wrong", "other-agent", "cpus:0.1;mem:32")
	ok := task("ok", ag.AgentID, "cpus:1;mem:64")
	dup := task("ok", ag.AgentID, "cpus:0.5;mem:32")
	if err := h.call(fw, launch(id, big, wrong, ok, dup)); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"big": "more resources", "wrong": "does not match", "ok#2": "already used"}
	seen := map[string]bool{}
	for i := 0; i < 3; i++ {
		s := h.next(fw.Events, scheduler.Event_UPDATE).GetUpdate().GetStatus()
		key := s.GetTaskId().GetValue()
		if key == "ok" {
			key = "ok#2"
		}
		if s.GetState() != mesos.TaskState_TASK_ERROR || s.GetReason() != mesos.TaskStatus_REASON_TASK_INVALID {
			t.Errorf("%s: %v %v", key, s.GetState(), s.GetReason())
		}
		if !contains(s.GetMessage(), want[key]) {
			t.Errorf("%s: message %q should mention %q", key, s.GetMessage(), want[key])
		}
		seen[key] = true
	}
	if len(seen) != 3 {
		t.Errorf("errors for %v", seen)
	}
	if run := h.nextAgent(ag.Events, agentpb.Event_RUN_TASK); run.GetRunTask().GetTask().GetTaskId().GetValue() != "ok" {
		t.Fatalf("launched %v", run)
	}
	// The offer is gone now: using it again drops the task as LOST with
	// REASON_INVALID_OFFERS.
	if err := h.call(fw, launch(id, task("late", ag.AgentID, "cpus:0.1;mem:32"))); err != nil {
		t.Fatal(err)
	}
	s := h.next(fw.Events, scheduler.Event_UPDATE).GetUpdate().GetStatus()
	if s.GetState() != mesos.TaskState_TASK_LOST || s.GetReason() != mesos.TaskStatus_REASON_INVALID_OFFERS || !contains(s.GetMessage(), "no longer valid") {
		t.Fatalf("late launch: %v", s)
	}
}

func TestOtherFrameworksOfferIsRefused(t *testing.T) {
	h := newHarness(t, nil)
	a := h.subscribe(frameworkInfo("a", mesos.FrameworkInfo_Capability_PARTITION_AWARE))
	h.addAgent("cpus:1;mem:256")
	off := h.next(a.Events, scheduler.Event_OFFERS).GetOffers().GetOffers()[0]
	b := h.subscribe(frameworkInfo("b", mesos.FrameworkInfo_Capability_PARTITION_AWARE))
	if err := h.call(b, launch(off.GetId().GetValue(), task("steal", off.GetAgentId().GetValue(), "cpus:1;mem:32"))); err != nil {
		t.Fatal(err)
	}
	s := h.next(b.Events, scheduler.Event_UPDATE).GetUpdate().GetStatus()
	if s.GetState() != mesos.TaskState_TASK_DROPPED || !contains(s.GetMessage(), "another framework") {
		t.Fatalf("steal: %v", s)
	}
	// a's offer is untouched and still usable.
	if err := h.call(a, launch(off.GetId().GetValue(), task("mine", off.GetAgentId().GetValue(), "cpus:1;mem:32"))); err != nil {
		t.Fatal(err)
	}
}

func TestStreamAndFrameworkErrors(t *testing.T) {
	h := newHarness(t, nil)
	fw := h.subscribe(frameworkInfo("f"))
	decline := &scheduler.Call{Type: scheduler.Call_DECLINE.Enum(), Decline: &scheduler.Call_Decline{}}
	if err := h.m.FrameworkCall(h.ctx, "wrong-stream", withFramework(decline, fw.FrameworkID)); kindOf(err) != KindInvalid {
		t.Errorf("wrong stream: %v", err)
	}
	if err := h.m.FrameworkCall(h.ctx, fw.StreamID, withFramework(decline, "nope")); kindOf(err) != KindInvalid || !contains(err.Error(), "cannot be found") {
		t.Errorf("unknown framework: %v", err)
	}
	if err := h.call(fw, &scheduler.Call{Type: scheduler.Call_ACKNOWLEDGE.Enum(), Acknowledge: &scheduler.Call_Acknowledge{
		AgentId: &mesos.AgentID{Value: strPtr("a")}, TaskId: &mesos.TaskID{Value: strPtr("t")}, Uuid: []byte("short"),
	}}); kindOf(err) != KindInvalid || !contains(err.Error(), "16-byte") {
		t.Errorf("bad uuid: %v", err)
	}
	if err := h.call(fw, &scheduler.Call{Type: scheduler.Call_Type(99).Enum()}); kindOf(err) != KindInvalid {
		t.Errorf("unknown type: %v", err)
	}
	if err := h.call(fw, &scheduler.Call{Type: scheduler.Call_ACCEPT.Enum()}); kindOf(err) != KindInvalid || !contains(err.Error(), "'accept'") {
		t.Errorf("accept without body: %v", err)
	}
	// A second subscription takes over; the first gets ERROR and ends.
	info := frameworkInfo("f")
	info.Id = &mesos.FrameworkID{Value: strPtr(fw.FrameworkID)}
	fw2 := h.subscribe(info)
	if fw2.FrameworkID != fw.FrameworkID {
		t.Fatalf("resubscribe changed ID: %s", fw2.FrameworkID)
	}
	if e := h.next(fw.Events, scheduler.Event_ERROR); !contains(e.GetError().GetMessage(), "failed over") {
		t.Errorf("old stream got %v", e)
	}
	<-fw.Done
	if err := h.m.FrameworkCall(h.ctx, fw.StreamID, withFramework(decline, fw.FrameworkID)); kindOf(err) != KindInvalid {
		t.Errorf("old stream still accepted: %v", err)
	}
}

func TestAgentUnreachableLosesTasks(t *testing.T) {
	h := newHarness(t, nil)
	plain := h.subscribe(frameworkInfo("plain"))
	aware := h.subscribe(frameworkInfo("aware", mesos.FrameworkInfo_Capability_PARTITION_AWARE))
	ag := h.addAgent("cpus:2;mem:1024")
	// Each framework gets the agent in turn; launch one task from each.
	for i := 0; i < 2; i++ {
		// The agent goes to the framework with the lower share first.
		fw := plain
		if i == 1 {
			fw = aware
		}
		off := h.next(fw.Events, scheduler.Event_OFFERS).GetOffers().GetOffers()[0]
		if err := h.call(fw, launch(off.GetId().GetValue(), task("t-"+fw.FrameworkID, ag.AgentID, "cpus:0.5;mem:64"))); err != nil {
			t.Fatal(err)
		}
		h.nextAgent(ag.Events, agentpb.Event_RUN_TASK)
		if i == 0 {
			h.clock.Advance(6 * time.Second) // let the declined rest be re-offered
		}
	}
	// The agent stops answering pings.
	for i := 0; i < 4; i++ {
		h.clock.Advance(time.Second)
		time.Sleep(20 * time.Millisecond) // let the loop tick on real time
	}
	lost := h.next(plain.Events, scheduler.Event_UPDATE).GetUpdate().GetStatus()
	if lost.GetState() != mesos.TaskState_TASK_LOST || lost.GetReason() != mesos.TaskStatus_REASON_AGENT_REMOVED {
		t.Errorf("plain framework: %v", lost)
	}
	un := h.next(aware.Events, scheduler.Event_UPDATE).GetUpdate().GetStatus()
	if un.GetState() != mesos.TaskState_TASK_UNREACHABLE {
		t.Errorf("partition-aware framework: %v", un)
	}
	h.next(plain.Events, scheduler.Event_FAILURE)
	m, _ := h.m.Metrics(h.ctx)
	if m["master/slaves_unreachable"] != 1 || m["master/cpus_total"] != 0 {
		t.Errorf("metrics after unreachable: %v %v", m["master/slaves_unreachable"], m["master/cpus_total"])
	}
}
