package master

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"time"

	"go.uber.org/zap"

	"github.com/agoraproject/agora/internal/queue"

	"github.com/agoraproject/agora/master/cluster"
	"github.com/agoraproject/agora/proto/agora/agentpb"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	"github.com/agoraproject/agora/proto/mesos/v1/scheduler"
	"github.com/agoraproject/agora/proto/resources"
)

// AgentStream is an agent's subscription: the events the master sends it.
type AgentStream struct {
	AgentID  string
	StreamID string
	Events   *queue.Queue[*agentpb.Event]
	Done     <-chan struct{}
}

// SubscribeAgent registers a new agent or reregisters a known one.
// remoteIP is the address the agent connected from.
func (m *Master) SubscribeAgent(ctx context.Context, call *agentpb.Call, remoteIP string) (*AgentStream, error) {
	sub := call.GetSubscribe()
	if sub == nil || sub.GetAgentInfo() == nil {
		return nil, invalidf("Expecting 'subscribe.agent_info' to be present")
	}
	info := sub.GetAgentInfo()
	if info.GetHostname() == "" {
		return nil, invalidf("'agent_info.hostname' must not be empty")
	}
	if err := resources.Validate(info.GetResources()); err != nil {
		return nil, invalidf("invalid 'agent_info.resources': %v", err)
	}
	for i, t := range sub.GetTasks() {
		if t.GetTaskId().GetValue() == "" || t.GetFrameworkId().GetValue() == "" {
			return nil, invalidf("'subscribe.tasks[%d]' needs a task_id and a framework_id", i)
		}
		if err := resources.Validate(t.GetResources()); err != nil {
			return nil, invalidf("invalid 'subscribe.tasks[%d].resources': %v", i, err)
		}
	}
	// A new agent's admission is durable before its SUBSCRIBED.
	if err := m.admitAgent(ctx, sub); err != nil {
		return nil, err
	}
	var out *AgentStream
	var refused error
	err := m.do(ctx, func() {
		out, refused = m.subscribeAgent(sub, remoteIP)
		m.agentSubscribed(out)
	})
	if err != nil {
		return nil, err
	}
	return out, refused
}

func (m *Master) subscribeAgent(sub *agentpb.Call_Subscribe, remoteIP string) (*AgentStream, error) {
	now := m.cfg.Clock.Now()
	info := sub.GetAgentInfo()
	id := info.GetId().GetValue()
	if m.ops.gone[id] {
		return m.refuseGoneAgent(id), nil
	}
	a := m.agents[id]
	if id == "" {
		id = fmt.Sprintf("%s-S%d", m.id, m.nextAgent)
		m.nextAgent++
	}
	conn := newConn[*agentpb.Event](m.newStreamID(), m.cfg.EventBuffer)
	added := a == nil || a.state == agentUnreachable
	if a == nil {
		a = &agentRecord{id: id, registeredAt: now, tasks: map[*taskRecord]struct{}{}}
		m.agents[id] = a
		m.log.Info("agent registered", zap.String("agent_id", id), zap.String("hostname", info.GetHostname()))
	} else {
		if a.conn != nil {
			a.conn.send(&agentpb.Event{Type: agentpb.Event_ERROR.Enum(), Error: &agentpb.Event_Error{Message: strPtr("agent resubscribed on another connection")}})
			a.conn.close()
		}
		if a.state != agentUnreachable {
			// Offers still outstanding (the agent resubscribed without its
			// old stream ending) die with the allocator's view of the agent.
			m.rescindAgentOffers(a, now, false)
			m.alloc.RemoveAgent(id)
		}
		a.reregisteredAt = now
		m.log.Info("agent reregistered", zap.String("agent_id", id), zap.String("hostname", info.GetHostname()))
	}
	a.info = keptAgentInfo(info, id)
	a.total = a.info.Resources
	a.pid = "slave(1)@" + net.JoinHostPort(remoteIP, strconv.Itoa(int(info.GetPort())))
	a.version = sub.GetVersion()
	a.workDir = sub.GetWorkDir()
	a.state = agentConnected
	a.conn = conn
	a.pingsMissed = 0
	a.awaitingPong = false
	a.nextPing = now.Add(m.cfg.AgentPingTimeout)
	m.pings.schedule(a)
	a.unreachableAt = time.Time{}

	// SUBSCRIBED comes first: the agent ignores anything before it, such as
	// the kills reconciliation may send.
	interval := m.cfg.AgentPingTimeout.Seconds()
	conn.send(&agentpb.Event{
		Type:       agentpb.Event_SUBSCRIBED.Enum(),
		Subscribed: &agentpb.Event_Subscribed{AgentId: &mesos.AgentID{Value: &id}, PingIntervalSeconds: &interval},
	})
	if added {
		m.publishAgentAdded(a)
	}
	m.reconcileAgentTasks(a, sub)
	m.reconcileAgentExecutors(a, sub)
	for key, policy := range a.pendingKills {
		if m.taskOnAgent(a, key) {
			m.sendAgent(a, killTaskEvent(key.framework, key.task, policy))
		}
	}
	a.pendingKills = nil
	m.alloc.AddAgent(id, a.total, m.usedOnAgent(a))
	if a.conn != conn {
		// The new stream already failed (its queue filled up).
		m.alloc.SetAgentActive(id, false)
	}
	m.dirtyAgents[id] = struct{}{}
	return &AgentStream{AgentID: id, StreamID: conn.streamID, Events: conn.events, Done: conn.done}, nil
}

// usedOnAgent sums the resources of the agent's non-terminal tasks by
// framework, as the allocator needs them.
func (m *Master) usedOnAgent(a *agentRecord) map[string][]*mesos.Resource {
	used := map[string][]*mesos.Resource{}
	for t := range a.tasks {
		if cluster.IsTerminal(t.state) {
			continue
		}
		used[t.frameworkID] = resources.Add(used[t.frameworkID], resources.Add(t.resources, t.executorResources()))
	}
	for key, e := range a.executors {
		used[key.framework] = resources.Add(used[key.framework], e.resources)
	}
	return used
}

// CloseAgentStream tells the master an agent's subscription connection ended.
func (m *Master) CloseAgentStream(agentID, streamID string) {
	m.post(func() {
		a := m.agents[agentID]
		if a == nil || a.conn == nil || a.conn.streamID != streamID {
			return
		}
		m.disconnectAgent(a, "subscription connection closed")
	})
}

// disconnectAgent stops offering an agent whose connection broke; the ping
// timeouts decide whether it becomes unreachable.
func (m *Master) disconnectAgent(a *agentRecord, why string) {
	now := m.cfg.Clock.Now()
	a.conn.close()
	a.conn = nil
	a.state = agentDisconnected
	m.alloc.SetAgentActive(a.id, false)
	m.rescindAgentOffers(a, now, true)
	m.log.Warn("agent disconnected", zap.String("agent_id", a.id), zap.String("reason", why))
}

// rescindAgentOffers withdraws every offer on an agent; recover says whether
// the resources go back to the allocator (false when the agent is removed).
func (m *Master) rescindAgentOffers(a *agentRecord, now time.Time, recover bool) {
	for _, o := range m.book.ForAgent(a.id) {
		m.book.Remove(o.ID)
		if recover {
			m.alloc.Recover(o.FrameworkID, o.AgentID, o.Resources, 0, now)
		}
		if f := m.frameworks[o.FrameworkID]; f != nil {
			m.sendFramework(f, rescindEvent(o.ID))
		}
	}
}

// pingAgents pings connected agents and counts missed pongs; an agent that
// misses MaxAgentPingTimeouts in a row (or stays disconnected that long)
// becomes unreachable.
func (m *Master) pingAgents(now time.Time) {
	for {
		e, ok := m.pings.due(now)
		if !ok {
			return
		}
		a := e.a
		if m.agents[a.id] != a || a.state == agentUnreachable || !a.nextPing.Equal(e.due) {
			continue // stale: removed, unreachable, or rescheduled since
		}
		a.nextPing = now.Add(m.cfg.AgentPingTimeout)
		m.pings.schedule(a)
		if a.awaitingPong || a.conn == nil {
			a.pingsMissed++
		}
		if a.pingsMissed >= m.cfg.MaxAgentPingTimeouts {
			m.markUnreachable(a, now)
			continue
		}
		if a.conn != nil {
			a.awaitingPong = true
			m.sendAgent(a, &agentpb.Event{Type: agentpb.Event_PING.Enum(), Ping: &agentpb.Event_Ping{}})
		}
	}
}

// markUnreachable removes an agent's resources from the cluster and reports
// its tasks: TASK_UNREACHABLE to partition-aware frameworks, TASK_LOST to
// the others.
func (m *Master) markUnreachable(a *agentRecord, now time.Time) {
	m.log.Warn("agent unreachable", zap.String("agent_id", a.id), zap.Int("pings_missed", a.pingsMissed))
	if a.conn != nil {
		a.conn.close()
		a.conn = nil
	}
	a.state = agentUnreachable
	a.unreachableAt = now
	m.recordUnreachable(a.id, now)
	m.rescindAgentOffers(a, now, false)
	m.alloc.RemoveAgent(a.id)
	m.publishAgentRemoved(a.id)
	for t := range a.tasks {
		f := m.frameworks[t.frameworkID]
		if f == nil {
			continue
		}
		state := mesos.TaskState_TASK_LOST
		if f.partitionAware {
			state = mesos.TaskState_TASK_UNREACHABLE
		}
		// The allocator already dropped this agent, so nothing is recovered.
		status := m.masterStatus(t, state, mesos.TaskStatus_REASON_AGENT_REMOVED, "Agent "+a.id+" is unreachable")
		if m.updateTask(f, t, status, false) {
			m.forward(f, status)
		}
	}
	// Its executors are forgotten too; a reregistration reports them again.
	for _, e := range a.executors {
		m.removeExecutor(e)
	}
	failure := &scheduler.Event{Type: scheduler.Event_FAILURE.Enum(), Failure: &scheduler.Event_Failure{AgentId: &mesos.AgentID{Value: strPtr(a.id)}}}
	for _, f := range m.frameworks {
		m.sendFramework(f, failure)
	}
}

// AgentCall handles an agent's non-subscribe call.
func (m *Master) AgentCall(ctx context.Context, streamID string, call *agentpb.Call) error {
	agentID := call.GetAgentId().GetValue()
	if agentID == "" {
		return invalidf("Expecting 'agent_id' to be present")
	}
	switch call.GetType() {
	case agentpb.Call_UPDATE:
		if call.GetUpdate().GetStatus() == nil || call.GetUpdate().GetFrameworkId() == nil {
			return invalidf("Expecting 'update.status' and 'update.framework_id' to be present")
		}
		if call.GetUpdate().GetStatus().GetTaskId().GetValue() == "" {
			return invalidf("'update.status.task_id' must not be empty")
		}
	case agentpb.Call_PONG:
	case agentpb.Call_EXECUTOR_MESSAGE:
		if x := call.GetExecutorMessage(); x.GetFrameworkId().GetValue() == "" || x.GetExecutorId().GetValue() == "" {
			return invalidf("Expecting 'executor_message.framework_id' and 'executor_message.executor_id' to be present")
		}
	case agentpb.Call_EXECUTOR_EXITED:
		if x := call.GetExecutorExited(); x.GetFrameworkId().GetValue() == "" || x.GetExecutorId().GetValue() == "" {
			return invalidf("Expecting 'executor_exited.framework_id' and 'executor_exited.executor_id' to be present")
		}
	default:
		return invalidf("unsupported agent call type %v", call.GetType())
	}
	var refused error
	err := m.do(ctx, func() {
		a := m.agents[agentID]
		if a == nil {
			refused = &Error{Kind: KindNotFound, Msg: "agent " + agentID + " is not registered"}
			return
		}
		if a.conn == nil || a.conn.streamID != streamID {
			refused = invalidf("'Mesos-Stream-Id' does not match the subscription of agent %s", agentID)
			return
		}
		switch call.GetType() {
		case agentpb.Call_PONG:
			a.awaitingPong = false
			a.pingsMissed = 0
		case agentpb.Call_UPDATE:
			m.agentUpdate(a, call.GetUpdate())
		case agentpb.Call_EXECUTOR_MESSAGE:
			m.executorMessage(a, call.GetExecutorMessage())
		case agentpb.Call_EXECUTOR_EXITED:
			m.executorExited(a, call.GetExecutorExited())
		}
	})
	if err != nil {
		return err
	}
	return refused
}

func (m *Master) sendAgent(a *agentRecord, e *agentpb.Event) bool {
	if a.conn == nil {
		return false
	}
	if a.conn.send(e) {
		return true
	}
	m.log.Warn("agent event queue full; closing its subscription", zap.String("agent_id", a.id))
	m.disconnectAgent(a, "event queue full")
	return false
}

func shutdownFrameworkEvent(frameworkID string) *agentpb.Event {
	return &agentpb.Event{
		Type:              agentpb.Event_SHUTDOWN_FRAMEWORK.Enum(),
		ShutdownFramework: &agentpb.Event_ShutdownFramework{FrameworkId: &mesos.FrameworkID{Value: &frameworkID}},
	}
}

func killTaskEvent(frameworkID, taskID string, policy *mesos.KillPolicy) *agentpb.Event {
	return &agentpb.Event{
		Type: agentpb.Event_KILL_TASK.Enum(),
		KillTask: &agentpb.Event_KillTask{
			FrameworkId: &mesos.FrameworkID{Value: &frameworkID},
			TaskId:      &mesos.TaskID{Value: &taskID},
			KillPolicy:  policy,
		},
	}
}

// AgentAddress returns what a proxy needs to reach one agent: its PID
// ("agent(1)@host:port", the address it connected from), its AgentInfo
// and its work_dir. found is false for an agent the master does not know.
// It costs the loop one lookup, unlike a State copy.
func (m *Master) AgentAddress(ctx context.Context, agentID string) (pid string, info *mesos.AgentInfo, workDir string, found bool, err error) {
	err = m.do(ctx, func() {
		if a := m.agents[agentID]; a != nil {
			pid, info, workDir, found = a.pid, a.info, a.workDir, true
		}
	})
	return pid, info, workDir, found, err
}

// taskOnAgent reports whether the live task key is one of a's.
func (m *Master) taskOnAgent(a *agentRecord, key taskKey) bool {
	f := m.frameworks[key.framework]
	if f == nil {
		return false
	}
	_, ok := a.tasks[f.tasks[key.task]] // a.tasks never holds nil
	return ok
}
