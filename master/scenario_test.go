package master

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agoraproject/agora/internal/queue"
	"github.com/agoraproject/agora/proto/agora/agentpb"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	"github.com/agoraproject/agora/proto/mesos/v1/scheduler"
	"github.com/agoraproject/agora/proto/resources"
)

// fakeClock is advanced by tests; the loop's ticker only decides when the
// master looks at it.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

type harness struct {
	t     *testing.T
	m     *Master
	clock *fakeClock
	ctx   context.Context
}

func newHarness(t *testing.T, tweak func(*Config)) *harness {
	t.Helper()
	clock := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	cfg := DefaultConfig()
	cfg.Clock = clock
	cfg.TickInterval = 5 * time.Millisecond
	cfg.AgentPingTimeout = time.Second
	cfg.MaxAgentPingTimeouts = 2
	if tweak != nil {
		tweak(&cfg)
	}
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = m.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return &harness{t: t, m: m, clock: clock, ctx: ctx}
}

func (h *harness) subscribe(info *mesos.FrameworkInfo) *FrameworkStream {
	h.t.Helper()
	s, err := h.m.SubscribeFramework(h.ctx, &scheduler.Call{
		Type:      scheduler.Call_SUBSCRIBE.Enum(),
		Subscribe: &scheduler.Call_Subscribe{FrameworkInfo: info},
	})
	if err != nil {
		h.t.Fatal(err)
	}
	if e := h.next(s.Events, scheduler.Event_SUBSCRIBED); e.GetSubscribed().GetFrameworkId().GetValue() != s.FrameworkID {
		h.t.Fatalf("SUBSCRIBED carries %v, want %s", e.GetSubscribed().GetFrameworkId(), s.FrameworkID)
	}
	return s
}

func (h *harness) addAgent(res string, tasks ...*mesos.Task) *AgentStream {
	h.t.Helper()
	rs, err := resources.Parse(res)
	if err != nil {
		h.t.Fatal(err)
	}
	s, err := h.m.SubscribeAgent(h.ctx, &agentpb.Call{
		Type: agentpb.Call_SUBSCRIBE.Enum(),
		Subscribe: &agentpb.Call_Subscribe{
			AgentInfo: &mesos.AgentInfo{Hostname: strPtr("host1"), Port: int32Ptr(5051), Resources: rs},
			Tasks:     tasks,
		},
	}, "127.0.0.1")
	if err != nil {
		h.t.Fatal(err)
	}
	h.nextAgent(s.Events, agentpb.Event_SUBSCRIBED)
	return s
}

// pending holds events drained from a queue but not yet consumed.
var (
	pendingMu sync.Mutex
	pending   = map[any][]any{}
)

// recv returns the next event of a queue, waiting up to timeout.
func recv[E any](q *queue.Queue[E], timeout <-chan time.Time) (E, bool) {
	var zero E
	for {
		pendingMu.Lock()
		if p := pending[q]; len(p) > 0 {
			pending[q] = p[1:]
			pendingMu.Unlock()
			return p[0].(E), true
		}
		pendingMu.Unlock()
		select {
		case <-q.Ready():
			items := q.Drain(nil)
			pendingMu.Lock()
			for _, it := range items {
				pending[q] = append(pending[q], it)
			}
			pendingMu.Unlock()
		case <-timeout:
			return zero, false
		}
	}
}

// next returns the next scheduler event of the given type, skipping
// events that may arrive at any time.
func (h *harness) next(events *queue.Queue[*scheduler.Event], want scheduler.Event_Type) *scheduler.Event {
	h.t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		e, ok := recv(events, timeout)
		switch {
		case ok:
			if e.GetType() != want && skippable(e.GetType()) {
				continue
			}
			if e.GetType() != want {
				h.t.Fatalf("got event %v, want %v: %v", e.GetType(), want, e)
			}
			return e
		default:
			h.t.Fatalf("no %v event within 5s", want)
		}
	}
}

// skippable events may arrive at any time (timers, re-offers) and are
// skipped while a test waits for something else.
func skippable(t scheduler.Event_Type) bool {
	return t == scheduler.Event_HEARTBEAT || t == scheduler.Event_OFFERS || t == scheduler.Event_RESCIND
}

func (h *harness) nextAgent(events *queue.Queue[*agentpb.Event], want agentpb.Event_Type) *agentpb.Event {
	h.t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		e, ok := recv(events, timeout)
		switch {
		case ok:
			if e.GetType() == agentpb.Event_PING && want != agentpb.Event_PING {
				continue
			}
			if e.GetType() != want {
				h.t.Fatalf("agent got event %v, want %v: %v", e.GetType(), want, e)
			}
			return e
		default:
			h.t.Fatalf("agent: no %v event within 5s", want)
		}
	}
}

func (h *harness) call(s *FrameworkStream, c *scheduler.Call) error {
	c.FrameworkId = &mesos.FrameworkID{Value: strPtr(s.FrameworkID)}
	return h.m.FrameworkCall(h.ctx, s.StreamID, c)
}

func (h *harness) agentCall(s *AgentStream, c *agentpb.Call) {
	h.t.Helper()
	c.AgentId = &mesos.AgentID{Value: strPtr(s.AgentID)}
	if err := h.m.AgentCall(h.ctx, s.StreamID, c); err != nil {
		h.t.Fatal(err)
	}
}

func frameworkInfo(name string, caps ...mesos.FrameworkInfo_Capability_Type) *mesos.FrameworkInfo {
	info := &mesos.FrameworkInfo{User: strPtr("root"), Name: strPtr(name), FailoverTimeout: float64Ptr(3600)}
	for _, c := range caps {
		info.Capabilities = append(info.Capabilities, &mesos.FrameworkInfo_Capability{Type: c.Enum()})
	}
	return info
}

func task(id, agentID, res string) *mesos.TaskInfo {
	rs, _ := resources.Parse(res)
	return &mesos.TaskInfo{
		Name: strPtr(id), TaskId: &mesos.TaskID{Value: strPtr(id)}, AgentId: &mesos.AgentID{Value: strPtr(agentID)},
		Resources: rs, Command: &mesos.CommandInfo{Value: strPtr("true")},
	}
}

func launch(offerID string, tasks ...*mesos.TaskInfo) *scheduler.Call {
	return &scheduler.Call{
		Type: scheduler.Call_ACCEPT.Enum(),
		Accept: &scheduler.Call_Accept{
			OfferIds:   []*mesos.OfferID{{Value: strPtr(offerID)}},
			Operations: []*mesos.Offer_Operation{{Type: mesos.Offer_Operation_LAUNCH.Enum(), Launch: &mesos.Offer_Operation_Launch{TaskInfos: tasks}}},
		},
	}
}

func status(taskID string, state mesos.TaskState, uuid byte) *agentpb.Call {
	return &agentpb.Call{
		Type: agentpb.Call_UPDATE.Enum(),
		Update: &agentpb.Call_Update{
			FrameworkId: nil,
			Status: &mesos.TaskStatus{
				TaskId: &mesos.TaskID{Value: strPtr(taskID)}, State: state.Enum(),
				Source: mesos.TaskStatus_SOURCE_EXECUTOR.Enum(), Uuid: []byte{uuid, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
			},
		},
	}
}

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

func withFramework(c *scheduler.Call, id string) *scheduler.Call {
	c.FrameworkId = &mesos.FrameworkID{Value: strPtr(id)}
	return c
}

func kindOf(err error) ErrorKind {
	if e, ok := err.(*Error); ok {
		return e.Kind
	}
	return 0
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
