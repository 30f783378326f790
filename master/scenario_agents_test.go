package master

import (
	"testing"
	"time"

	"github.com/agoraproject/agora/proto/agora/agentpb"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	"github.com/agoraproject/agora/proto/mesos/v1/scheduler"
)

const agentRes = "cpus:4;mem:1024"

// twoRunningTasks starts t1 and t2 (1 cpu each) on a new agent and leaves
// the framework holding an offer for the 2 cpus left.
func twoRunningTasks(h *harness) (*FrameworkStream, *AgentStream, []*mesos.TaskInfo, *mesos.Offer) {
	h.t.Helper()
	fw := h.subscribe(frameworkInfo("f"))
	ag := h.addAgent(agentRes)
	ts := []*mesos.TaskInfo{task("t1", ag.AgentID, "cpus:1;mem:64"), task("t2", ag.AgentID, "cpus:1;mem:64")}
	for _, tk := range ts {
		h.runTask(fw, ag, tk)
		h.advance(6 * time.Second) // past the filter on what was left
	}
	off := h.offers(fw)
	if len(off) != 1 || cpus(off[0].GetResources()) != 2 {
		h.t.Fatalf("offer = %v", off)
	}
	return fw, ag, ts, off[0]
}

func TestAgentReregistersAfterBrokenStream(t *testing.T) {
	h := newHarness(t, quietPings)
	fw, ag, ts, off := twoRunningTasks(h)

	h.m.CloseAgentStream(ag.AgentID, ag.StreamID)
	if r := h.next(fw.Events, scheduler.Event_RESCIND); r.GetRescind().GetOfferId().GetValue() != off.GetId().GetValue() {
		t.Fatalf("RESCIND = %v", r)
	}
	if st := h.state(); st.Agents[0].Connected || len(st.Frameworks[0].Tasks) != 2 {
		t.Fatalf("after the stream broke: agent %+v tasks %+v", st.Agents[0], st.Frameworks[0].Tasks)
	}
	// A kill asked for meanwhile is delivered once the agent is back.
	kill := &scheduler.Call{Type: scheduler.Call_KILL.Enum(), Kill: &scheduler.Call_Kill{TaskId: ts[0].TaskId}}
	if err := h.call(fw, kill); err != nil {
		t.Fatal(err)
	}

	ag2 := h.reregisterAgent(ag.AgentID, agentRes,
		reported(fw.FrameworkID, ts[0], mesos.TaskState_TASK_RUNNING), reported(fw.FrameworkID, ts[1], mesos.TaskState_TASK_RUNNING))
	if ag2.AgentID != ag.AgentID {
		t.Fatalf("agent ID changed: %s", ag2.AgentID)
	}
	if k := h.nextAgent(ag2.Events, agentpb.Event_KILL_TASK); k.GetKillTask().GetTaskId().GetValue() != "t1" {
		t.Fatalf("KILL_TASK = %v", k)
	}
	// Offers resume with what the tasks leave free; no task was lost.
	if o := h.offers(fw); len(o) != 1 || cpus(o[0].GetResources()) != 2 {
		t.Fatalf("offer after reregistration = %v", o)
	}
	h.none(fw.Events, scheduler.Event_UPDATE)
	st := h.state()
	if !st.Agents[0].Connected || len(st.Frameworks[0].Tasks) != 2 || cpus(st.Agents[0].Used) != 2 {
		t.Fatalf("after reregistration: agent %+v tasks %+v", st.Agents[0], st.Frameworks[0].Tasks)
	}
	for _, tk := range st.Frameworks[0].Tasks {
		if tk.State != mesos.TaskState_TASK_RUNNING {
			t.Fatalf("task %s is %v", tk.ID, tk.State)
		}
	}
}

func TestAgentReregistrationLosesUnreportedTasks(t *testing.T) {
	h := newHarness(t, quietPings)
	fw, ag, ts, _ := twoRunningTasks(h)
	h.m.CloseAgentStream(ag.AgentID, ag.StreamID)
	h.sync()
	h.reregisterAgent(ag.AgentID, agentRes, reported(fw.FrameworkID, ts[0], mesos.TaskState_TASK_RUNNING))
	s := h.next(fw.Events, scheduler.Event_UPDATE).GetUpdate().GetStatus()
	if s.GetTaskId().GetValue() != "t2" || s.GetState() != mesos.TaskState_TASK_LOST || s.GetReason() != mesos.TaskStatus_REASON_AGENT_REREGISTERED {
		t.Fatalf("update = %v", s)
	}
	if o := h.offers(fw); cpus(o[0].GetResources()) != 3 {
		t.Fatalf("offer = %v", o)
	}
}

// TestAgentResubscribesWhileConnected: a second SUBSCRIBE before the old
// stream ended must not leave the old offers holding resources the
// allocator offers again.
func TestAgentResubscribesWhileConnected(t *testing.T) {
	h := newHarness(t, quietPings)
	fw, ag, ts, off := twoRunningTasks(h)
	ag2 := h.reregisterAgent(ag.AgentID, agentRes,
		reported(fw.FrameworkID, ts[0], mesos.TaskState_TASK_RUNNING), reported(fw.FrameworkID, ts[1], mesos.TaskState_TASK_RUNNING))
	if e := h.nextAgent(ag.Events, agentpb.Event_ERROR); e == nil {
		t.Fatal("old stream got no ERROR")
	}
	<-ag.Done
	if r := h.next(fw.Events, scheduler.Event_RESCIND); r.GetRescind().GetOfferId().GetValue() != off.GetId().GetValue() {
		t.Fatalf("RESCIND = %v", r)
	}
	if o := h.offers(fw); len(o) != 1 || cpus(o[0].GetResources()) != 2 {
		t.Fatalf("offer = %v", o)
	}
	st := h.state()
	if len(st.Frameworks[0].Offers) != 1 || cpus(st.Agents[0].Offered) != 2 || cpus(st.Agents[0].Used) != 2 {
		t.Fatalf("offers %+v, agent offered %v used %v", st.Frameworks[0].Offers, st.Agents[0].Offered, st.Agents[0].Used)
	}
	h.noneAgent(ag2.Events, agentpb.Event_KILL_TASK)
}

// TestReregisteringAgentShutsDownRemovedFramework: the kills reconciliation
// sends come after SUBSCRIBED, which the agent needs first.
func TestReregisteringAgentShutsDownRemovedFramework(t *testing.T) {
	h := newHarness(t, quietPings)
	fw, ag, ts, _ := twoRunningTasks(h)
	h.m.CloseAgentStream(ag.AgentID, ag.StreamID)
	h.sync()
	if err := h.call(fw, &scheduler.Call{Type: scheduler.Call_TEARDOWN.Enum()}); err != nil {
		t.Fatal(err)
	}
	ag2 := h.reregisterAgent(ag.AgentID, agentRes, reported(fw.FrameworkID, ts[0], mesos.TaskState_TASK_RUNNING))
	if e := h.nextAgent(ag2.Events, agentpb.Event_SHUTDOWN_FRAMEWORK); e.GetShutdownFramework().GetFrameworkId().GetValue() != fw.FrameworkID {
		t.Fatalf("SHUTDOWN_FRAMEWORK = %v", e)
	}
	g := h.subscribe(frameworkInfo("g"))
	if o := h.offers(g); cpus(o[0].GetResources()) != 4 {
		t.Fatalf("offer = %v", o)
	}
}
