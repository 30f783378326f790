package master

import (
	"context"

	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/internal/queue"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	masterpb "github.com/agoraproject/agora/proto/mesos/v1/master"
	"github.com/agoraproject/agora/proto/resources"
)

// Operator API subscribers (SUBSCRIBE on /api/v1) get the cluster as a
// snapshot, then every change as an event the loop publishes at the point
// it makes the change: TASK_ADDED, TASK_UPDATED, AGENT_ADDED,
// AGENT_REMOVED, FRAMEWORK_ADDED/UPDATED/REMOVED, and HEARTBEAT with the
// frameworks' heartbeats. The snapshot is copied in the same loop turn that
// registers the subscriber, so no change falls between the two.
//
// Each subscriber has a queue of Config.EventBuffer events. Publishing
// never blocks: a subscriber whose queue is full is dropped (its stream
// ends after the events already queued) and the drop is logged, so one
// slow reader can neither stall the loop nor grow the heap without bound.

// OperatorStream is one operator subscription.
type OperatorStream struct {
	ID uint64
	// State is the cluster when the subscription started; events follow
	// from that point.
	State *State
	// HeartbeatInterval is how often HEARTBEAT events come.
	HeartbeatInterval float64
	Events            *queue.Queue[*masterpb.Event]
	Done              <-chan struct{}
}

type operatorConn = conn[*masterpb.Event]

// operatorHub is the loop's operator-API state: subscribers, role weights
// and agents marked gone.
type operatorHub struct {
	subs    map[uint64]*operatorConn
	nextSub uint64
	// weights are the roles' weights set by --weights or UPDATE_WEIGHTS.
	weights map[string]float64
	// gone are agents the operator marked gone; they are refused for good.
	gone map[string]bool
}

func newOperatorHub() operatorHub {
	return operatorHub{subs: map[uint64]*operatorConn{}, weights: map[string]float64{}, gone: map[string]bool{}}
}

// SubscribeOperator registers an operator subscriber and copies the state
// its first event describes.
func (m *Master) SubscribeOperator(ctx context.Context) (*OperatorStream, error) {
	var out *OperatorStream
	err := m.do(ctx, func() {
		m.ops.nextSub++
		c := newConn[*masterpb.Event]("", m.cfg.EventBuffer)
		m.ops.subs[m.ops.nextSub] = c
		out = &OperatorStream{
			ID: m.ops.nextSub, State: m.copyState(), HeartbeatInterval: m.cfg.HeartbeatInterval.Seconds(),
			Events: c.events, Done: c.done,
		}
	})
	if err != nil {
		return nil, err
	}
	out.State.summarize(&m.order, &m.sums)
	m.log.Info("operator subscribed", zap.Uint64("subscriber", out.ID))
	return out, nil
}

// CloseOperatorStream forgets a subscriber whose connection ended.
func (m *Master) CloseOperatorStream(id uint64) {
	m.post(func() {
		if c := m.ops.subs[id]; c != nil {
			c.close()
			delete(m.ops.subs, id)
		}
	})
}

// publish queues an event for every subscriber, dropping those that fell
// behind. build runs only when someone listens.
func (m *Master) publish(build func() *masterpb.Event) {
	if len(m.ops.subs) == 0 {
		return
	}
	e := build()
	for id, c := range m.ops.subs {
		if c.send(e) {
			continue
		}
		m.log.Warn("operator subscriber fell behind; closing its stream",
			zap.Uint64("subscriber", id), zap.Int("event_buffer", m.cfg.EventBuffer), zap.Stringer("event", e.GetType()))
		c.close()
		delete(m.ops.subs, id)
	}
}

func (m *Master) publishTaskAdded(t *taskRecord) {
	m.publish(func() *masterpb.Event {
		return &masterpb.Event{Type: masterpb.Event_TASK_ADDED.Enum(),
			TaskAdded: &masterpb.Event_TaskAdded{Task: taskRecordProto(t)}}
	})
}

func (m *Master) publishTaskUpdated(t *taskRecord, status *mesos.TaskStatus) {
	m.publish(func() *masterpb.Event {
		return &masterpb.Event{Type: masterpb.Event_TASK_UPDATED.Enum(), TaskUpdated: &masterpb.Event_TaskUpdated{
			FrameworkId: &mesos.FrameworkID{Value: proto.String(t.frameworkID)},
			Status:      status,
			State:       t.state.Enum(),
		}}
	})
}

func (m *Master) publishAgentAdded(a *agentRecord) {
	m.publish(func() *masterpb.Event {
		var used []*mesos.Resource
		for _, r := range m.usedOnAgent(a) {
			used = resources.Add(used, resources.StripAllocation(r))
		}
		return &masterpb.Event{Type: masterpb.Event_AGENT_ADDED.Enum(), AgentAdded: &masterpb.Event_AgentAdded{
			Agent: &masterpb.Response_GetAgents_Agent{
				AgentInfo: a.info, Active: proto.Bool(a.state == agentConnected), Version: proto.String(a.version),
				Pid: proto.String(a.pid), RegisteredTime: timeInfo(a.registeredAt), ReregisteredTime: optionalTimeInfo(a.reregisteredAt),
				TotalResources: a.total, AllocatedResources: used,
			},
		}}
	})
}

func (m *Master) publishAgentRemoved(id string) {
	m.publish(func() *masterpb.Event {
		return &masterpb.Event{Type: masterpb.Event_AGENT_REMOVED.Enum(),
			AgentRemoved: &masterpb.Event_AgentRemoved{AgentId: &mesos.AgentID{Value: proto.String(id)}}}
	})
}

// publishFramework sends FRAMEWORK_ADDED (added) or FRAMEWORK_UPDATED.
// Like Mesos, events carry no offers or resources.
func (m *Master) publishFramework(f *frameworkRecord, added bool) {
	m.publish(func() *masterpb.Event {
		pf := frameworkHeader(f.info, f.connected(), f.recovered, f.registeredAt, f.reregisteredAt, f.unregisteredAt)
		if added {
			return &masterpb.Event{Type: masterpb.Event_FRAMEWORK_ADDED.Enum(),
				FrameworkAdded: &masterpb.Event_FrameworkAdded{Framework: pf}}
		}
		return &masterpb.Event{Type: masterpb.Event_FRAMEWORK_UPDATED.Enum(),
			FrameworkUpdated: &masterpb.Event_FrameworkUpdated{Framework: pf}}
	})
}

func (m *Master) publishFrameworkRemoved(f *frameworkRecord) {
	m.publish(func() *masterpb.Event {
		return &masterpb.Event{Type: masterpb.Event_FRAMEWORK_REMOVED.Enum(),
			FrameworkRemoved: &masterpb.Event_FrameworkRemoved{FrameworkInfo: f.info}}
	})
}

var operatorHeartbeat = &masterpb.Event{Type: masterpb.Event_HEARTBEAT.Enum()}

func (m *Master) publishHeartbeat() { m.publish(func() *masterpb.Event { return operatorHeartbeat }) }

// closeOperatorStreams ends every subscription when the master stops.
func (m *Master) closeOperatorStreams() {
	for id, c := range m.ops.subs {
		c.close()
		delete(m.ops.subs, id)
	}
}
