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
	return h.reregisterAgent("", res, tasks...)
}

// reregisterAgent subscribes an agent with the given ID ("" for a new
// agent), reporting tasks; it waits for SUBSCRIBED, which must come first.
func (h *harness) reregisterAgent(id, res string, tasks ...*mesos.Task) *AgentStream {
	h.t.Helper()
	rs, err := resources.Parse(res)
	if err != nil {
		h.t.Fatal(err)
	}
	info := &mesos.AgentInfo{Hostname: strPtr("host1"), Port: int32Ptr(5051), Resources: rs}
	if id != "" {
		info.Id = &mesos.AgentID{Value: strPtr(id)}
	}
	s, err := h.m.SubscribeAgent(h.ctx, &agentpb.Call{
		Type:      agentpb.Call_SUBSCRIBE.Enum(),
		Subscribe: &agentpb.Call_Subscribe{AgentInfo: info, Tasks: tasks},
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

// sync waits until every request queued on the loop so far has run, and
// runs the allocation they made due (the loop would run it after its
// current batch of requests, which may include the next one).
func (h *harness) sync() {
	h.t.Helper()
	if err := h.m.do(h.ctx, func() { h.m.allocate(h.m.cfg.Clock.Now()) }); err != nil {
		h.t.Fatal(err)
	}
}

// tick runs the master's timers at the fake clock's time, as its ticker
// would, and waits until the allocation after them has queued its offers.
func (h *harness) tick() {
	h.t.Helper()
	if err := h.m.do(h.ctx, func() {
		now := h.m.cfg.Clock.Now()
		h.m.tick(now)
		h.m.allocate(now)
	}); err != nil {
		h.t.Fatal(err)
	}
}

// advance moves the fake clock on and runs the timers.
func (h *harness) advance(d time.Duration) {
	h.t.Helper()
	h.clock.Advance(d)
	h.tick()
}

// drain returns the events queued for a subscriber now, without waiting.
func drain[E any](q *queue.Queue[E]) []E {
	pendingMu.Lock()
	var out []E
	for _, it := range pending[q] {
		out = append(out, it.(E))
	}
	delete(pending, q)
	pendingMu.Unlock()
	return append(out, q.Drain(nil)...)
}

// none fails if an event of the given type is queued for a framework now.
func (h *harness) none(events *queue.Queue[*scheduler.Event], what scheduler.Event_Type) {
	h.t.Helper()
	for _, e := range drain(events) {
		if e.GetType() == what {
			h.t.Fatalf("unexpected %v event: %v", what, e)
		}
	}
}

// noneAgent fails if an event of the given type is queued for an agent now.
func (h *harness) noneAgent(events *queue.Queue[*agentpb.Event], what agentpb.Event_Type) {
	h.t.Helper()
	for _, e := range drain(events) {
		if e.GetType() == what {
			h.t.Fatalf("agent: unexpected %v event: %v", what, e)
		}
	}
}

// offers waits for the framework's next OFFERS event.
func (h *harness) offers(s *FrameworkStream) []*mesos.Offer {
	h.t.Helper()
	return h.next(s.Events, scheduler.Event_OFFERS).GetOffers().GetOffers()
}

// update sends a status update for a task from its agent.
func (h *harness) update(ag *AgentStream, frameworkID, taskID string, state mesos.TaskState, uuid byte) {
	h.t.Helper()
	c := status(taskID, state, uuid)
	c.Update.FrameworkId = &mesos.FrameworkID{Value: strPtr(frameworkID)}
	h.agentCall(ag, c)
}

func (h *harness) state() *State {
	h.t.Helper()
	// A read queued behind a burst is served before the allocation that
	// ends the burst; settle it first so the snapshot is deterministic.
	h.sync()
	s, err := h.m.State(h.ctx)
	if err != nil {
		h.t.Fatal(err)
	}
	if err := h.m.checkPublishedViews(h.ctx); err != nil {
		h.t.Fatal(err)
	}
	return s
}

func decline(refuseSeconds float64, offerIDs ...string) *scheduler.Call {
	c := &scheduler.Call{Type: scheduler.Call_DECLINE.Enum(), Decline: &scheduler.Call_Decline{
		Filters: &mesos.Filters{RefuseSeconds: float64Ptr(refuseSeconds)},
	}}
	for _, id := range offerIDs {
		c.Decline.OfferIds = append(c.Decline.OfferIds, &mesos.OfferID{Value: strPtr(id)})
	}
	return c
}

func offerIDs(offers []*mesos.Offer) []string {
	var ids []string
	for _, o := range offers {
		ids = append(ids, o.GetId().GetValue())
	}
	return ids
}

// reported is a task as its agent reports it when it reregisters.
func reported(frameworkID string, t *mesos.TaskInfo, state mesos.TaskState) *mesos.Task {
	return &mesos.Task{
		Name: t.Name, TaskId: t.TaskId, FrameworkId: &mesos.FrameworkID{Value: strPtr(frameworkID)},
		AgentId: t.AgentId, State: state.Enum(), Resources: t.Resources,
	}
}

// quietPings keeps agents from becoming unreachable while a test moves
// the fake clock by minutes without answering pings.
func quietPings(c *Config) { c.AgentPingTimeout = time.Hour }

func cpus(rs []*mesos.Resource) float64 { return resources.Scalar(rs, "cpus") }

func findFramework(s *State, id string) *FrameworkView {
	for i := range s.Frameworks {
		if s.Frameworks[i].ID == id {
			return &s.Frameworks[i]
		}
	}
	return nil
}
