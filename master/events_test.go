package master

import (
	"testing"
	"time"

	"github.com/agoraproject/agora/internal/queue"
	"github.com/agoraproject/agora/proto/agora/agentpb"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	masterpb "github.com/agoraproject/agora/proto/mesos/v1/master"
	"github.com/agoraproject/agora/proto/mesos/v1/scheduler"
)

// nextOp returns the next operator event, skipping heartbeats.
func (h *harness) nextOp(events *queue.Queue[*masterpb.Event], want masterpb.Event_Type) *masterpb.Event {
	h.t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		e, ok := recv(events, timeout)
		if !ok {
			h.t.Fatalf("operator: no %v event within 5s", want)
		}
		if e.GetType() == masterpb.Event_HEARTBEAT && want != masterpb.Event_HEARTBEAT {
			continue
		}
		if e.GetType() != want {
			h.t.Fatalf("operator got %v, want %v: %v", e.GetType(), want, e)
		}
		return e
	}
}

func (h *harness) subscribeOperator() *OperatorStream {
	h.t.Helper()
	s, err := h.m.SubscribeOperator(h.ctx)
	if err != nil {
		h.t.Fatal(err)
	}
	return s
}

func TestOperatorEventsFollowTheCluster(t *testing.T) {
	h := newHarness(t, quietPings)
	early := h.addAgent("disk:1") // too small to be offered
	op := h.subscribeOperator()
	if len(op.State.Agents) != 1 || op.State.Agents[0].ID != early.AgentID {
		t.Fatalf("snapshot agents = %+v, want the agent registered before", op.State.Agents)
	}

	fw := h.subscribe(frameworkInfo("f"))
	if e := h.nextOp(op.Events, masterpb.Event_FRAMEWORK_ADDED); e.GetFrameworkAdded().GetFramework().GetFrameworkInfo().GetId().GetValue() != fw.FrameworkID ||
		!e.GetFrameworkAdded().GetFramework().GetActive() {
		t.Fatalf("FRAMEWORK_ADDED = %v", e)
	}
	ag := h.addAgent("cpus:4;mem:1024")
	if e := h.nextOp(op.Events, masterpb.Event_AGENT_ADDED); e.GetAgentAdded().GetAgent().GetAgentInfo().GetId().GetValue() != ag.AgentID {
		t.Fatalf("AGENT_ADDED = %v", e)
	}
	h.runTask(fw, ag, task("t1", ag.AgentID, "cpus:1;mem:64"))
	added := h.nextOp(op.Events, masterpb.Event_TASK_ADDED).GetTaskAdded().GetTask()
	if added.GetTaskId().GetValue() != "t1" || added.GetState() != mesos.TaskState_TASK_STAGING || added.GetAgentId().GetValue() != ag.AgentID {
		t.Fatalf("TASK_ADDED = %v", added)
	}
	up := h.nextOp(op.Events, masterpb.Event_TASK_UPDATED).GetTaskUpdated()
	if up.GetState() != mesos.TaskState_TASK_RUNNING || up.GetStatus().GetTaskId().GetValue() != "t1" || up.GetFrameworkId().GetValue() != fw.FrameworkID {
		t.Fatalf("TASK_UPDATED = %v", up)
	}
	h.update(ag, fw.FrameworkID, "t1", mesos.TaskState_TASK_FINISHED, 2)
	if up := h.nextOp(op.Events, masterpb.Event_TASK_UPDATED).GetTaskUpdated(); up.GetState() != mesos.TaskState_TASK_FINISHED {
		t.Fatalf("TASK_UPDATED = %v", up)
	}
	h.next(fw.Events, scheduler.Event_UPDATE)

	if err := h.m.TeardownFramework(h.ctx, fw.FrameworkID); err != nil {
		t.Fatal(err)
	}
	if e := h.next(fw.Events, scheduler.Event_ERROR); !contains(e.GetError().GetMessage(), "removed by the operator") {
		t.Fatalf("framework ERROR = %v", e)
	}
	if e := h.nextOp(op.Events, masterpb.Event_FRAMEWORK_REMOVED); e.GetFrameworkRemoved().GetFrameworkInfo().GetId().GetValue() != fw.FrameworkID {
		t.Fatalf("FRAMEWORK_REMOVED = %v", e)
	}
	if err := h.m.TeardownFramework(h.ctx, fw.FrameworkID); kindOf(err) != KindNotFound {
		t.Fatalf("second teardown: %v, want not found", err)
	}

	// Agents that stop answering pings leave the cluster.
	h.sync()
	for i := 0; i < 3; i++ { // MaxAgentPingTimeouts missed pings
		h.advance(time.Hour)
	}
	removed := map[string]bool{}
	for i := 0; i < 2; i++ {
		removed[h.nextOp(op.Events, masterpb.Event_AGENT_REMOVED).GetAgentRemoved().GetAgentId().GetValue()] = true
	}
	if !removed[early.AgentID] || !removed[ag.AgentID] {
		t.Fatalf("AGENT_REMOVED for %v, want both agents", removed)
	}
}

func TestOperatorHeartbeats(t *testing.T) {
	h := newHarness(t, quietPings)
	op := h.subscribeOperator()
	if op.HeartbeatInterval != 15 {
		t.Fatalf("heartbeat interval %v, want Mesos's 15s", op.HeartbeatInterval)
	}
	h.advance(16 * time.Second)
	h.nextOp(op.Events, masterpb.Event_HEARTBEAT)
}

func TestSlowOperatorSubscriberIsDropped(t *testing.T) {
	h := newHarness(t, func(c *Config) { quietPings(c); c.EventBuffer = 16 })
	slow := h.subscribeOperator()
	fast := h.subscribeOperator()
	var agents []*AgentStream
	for i := 0; i < 20; i++ {
		agents = append(agents, h.addAgent("cpus:1;mem:64"))
		h.nextOp(fast.Events, masterpb.Event_AGENT_ADDED)
	}
	select {
	case <-slow.Done:
	case <-time.After(5 * time.Second):
		t.Fatal("a subscriber that never reads was not dropped")
	}
	if n := slow.Events.Len(); n != 16 {
		t.Errorf("dropped subscriber kept %d queued events, want its bound 16", n)
	}
	// The master and the subscriber that keeps up carry on.
	fw := h.subscribe(frameworkInfo("f"))
	h.nextOp(fast.Events, masterpb.Event_FRAMEWORK_ADDED)
	h.runTask(fw, agents[0], task("t1", agents[0].AgentID, "cpus:1;mem:64"))
	h.nextOp(fast.Events, masterpb.Event_TASK_ADDED)
	select {
	case <-fast.Done:
		t.Fatal("the subscriber that keeps up was dropped")
	default:
	}
}

func TestMarkAgentGone(t *testing.T) {
	h := newHarness(t, quietPings)
	aware := h.subscribe(frameworkInfo("aware", mesos.FrameworkInfo_Capability_PARTITION_AWARE))
	legacy := h.subscribe(frameworkInfo("legacy"))
	ag := h.addAgent("cpus:4;mem:1024")
	h.none(legacy.Events, scheduler.Event_OFFERS)
	h.runTask(aware, ag, task("t1", ag.AgentID, "cpus:1;mem:64"))
	h.advance(6 * time.Second)
	h.runTask(legacy, ag, task("t2", ag.AgentID, "cpus:1;mem:64"))
	op := h.subscribeOperator()

	if err := h.m.MarkAgentGone(h.ctx, ag.AgentID); err != nil {
		t.Fatal(err)
	}
	if e := h.nextAgent(ag.Events, agentpb.Event_SHUTDOWN); !contains(e.GetShutdown().GetMessage(), "marked gone") {
		t.Fatalf("SHUTDOWN = %v", e)
	}
	if s := h.next(aware.Events, scheduler.Event_UPDATE).GetUpdate().GetStatus(); s.GetState() != mesos.TaskState_TASK_GONE_BY_OPERATOR ||
		s.GetReason() != mesos.TaskStatus_REASON_AGENT_REMOVED_BY_OPERATOR {
		t.Fatalf("partition-aware framework got %v", s)
	}
	if s := h.next(legacy.Events, scheduler.Event_UPDATE).GetUpdate().GetStatus(); s.GetState() != mesos.TaskState_TASK_LOST {
		t.Fatalf("legacy framework got %v, want TASK_LOST", s)
	}
	h.next(legacy.Events, scheduler.Event_FAILURE)
	h.nextOp(op.Events, masterpb.Event_TASK_UPDATED)
	h.nextOp(op.Events, masterpb.Event_TASK_UPDATED)
	if e := h.nextOp(op.Events, masterpb.Event_AGENT_REMOVED); e.GetAgentRemoved().GetAgentId().GetValue() != ag.AgentID {
		t.Fatalf("AGENT_REMOVED = %v", e)
	}
	if st := h.state(); len(st.Agents) != 0 {
		t.Fatalf("gone agent still listed: %+v", st.Agents)
	}
	if err := h.m.MarkAgentGone(h.ctx, ag.AgentID); err != nil {
		t.Fatalf("marking it again: %v", err)
	}
	if err := h.m.MarkAgentGone(h.ctx, "nope"); kindOf(err) != KindNotFound {
		t.Fatalf("unknown agent: %v", err)
	}

	// It comes back: told to shut down again, and not registered.
	back, err := h.m.SubscribeAgent(h.ctx, &agentpb.Call{Type: agentpb.Call_SUBSCRIBE.Enum(), Subscribe: &agentpb.Call_Subscribe{
		AgentInfo: &mesos.AgentInfo{Hostname: strPtr("host1"), Id: &mesos.AgentID{Value: strPtr(ag.AgentID)}},
	}}, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	h.nextAgent(back.Events, agentpb.Event_SUBSCRIBED)
	h.nextAgent(back.Events, agentpb.Event_SHUTDOWN)
	<-back.Done
	if st := h.state(); len(st.Agents) != 0 {
		t.Fatalf("gone agent registered again: %+v", st.Agents)
	}
}

func TestUpdateWeights(t *testing.T) {
	h := newHarness(t, func(c *Config) { quietPings(c); c.Weights = map[string]float64{"web": 2} })
	w, err := h.m.Weights(h.ctx)
	if err != nil || w["web"] != 2 {
		t.Fatalf("configured weights = %v, %v", w, err)
	}
	if err := h.m.UpdateWeights(h.ctx, map[string]float64{"web": 1, "batch": 0.5}); err != nil {
		t.Fatal(err)
	}
	if w, _ := h.m.Weights(h.ctx); len(w) != 1 || w["batch"] != 0.5 {
		t.Fatalf("after update: %v (a weight of 1 is the default and not listed)", w)
	}
	for _, bad := range []map[string]float64{{"web": 0}, {"web": -1}, {"*": 2}, {"a b": 1}} {
		if err := h.m.UpdateWeights(h.ctx, bad); kindOf(err) != KindInvalid {
			t.Errorf("UpdateWeights(%v) = %v, want invalid", bad, err)
		}
	}
	if cfg := (Config{Weights: map[string]float64{"x": -1}}); cfg.Validate() == nil || !contains(cfg.Validate().Error(), "weights") {
		t.Error("Validate accepted a negative weight")
	}
}
