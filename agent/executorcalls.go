package agent

import (
	"bytes"
	"context"
	"time"

	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/agent/executorapi"
	"github.com/agoraproject/agora/internal/queue"
	"github.com/agoraproject/agora/proto/agora/agentpb"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	executorpb "github.com/agoraproject/agora/proto/mesos/v1/executor"
)

// This file is the loop's side of the executor API: SUBSCRIBE, UPDATE and
// MESSAGE from custom executors, and what the agent sends them.

const (
	// executorEventBuffer bounds the events queued for one executor; one
	// that falls this far behind loses its subscription and resubscribes.
	executorEventBuffer = 1024
	// subscriptionBackoffMax is MESOS_SUBSCRIPTION_BACKOFF_MAX, Mesos's
	// EXECUTOR_REREGISTER_TIMEOUT.
	subscriptionBackoffMax = 2 * time.Second
)

// loopMsg is a message the loop applies by calling apply, so that the
// executor code's messages need one case in the loop's switch.
type loopMsg interface{ apply(a *Agent) }

// execConn is one executor subscription: the events the loop queues for
// the HTTP handler that writes them.
type execConn struct {
	events *queue.Queue[*executorpb.Event]
	done   chan struct{}
	closed bool
}

func newExecConn() *execConn {
	return &execConn{events: queue.New[*executorpb.Event](executorEventBuffer), done: make(chan struct{})}
}

// send queues e; an executor too far behind is disconnected rather than
// allowed to grow the queue without bound.
func (c *execConn) send(e *executorpb.Event) {
	if !c.closed && !c.events.Push(e) {
		c.close()
	}
}

func (c *execConn) close() {
	if !c.closed {
		c.closed = true
		c.events.Close()
		close(c.done)
	}
}

// execBackend implements executorapi.Backend by handing each call to the
// loop, which owns every executor, and waiting for its answer.
type execBackend struct{ a *Agent }

type (
	execRequest struct {
		call  *executorpb.Call
		reply chan execReply
	}
	execReply struct {
		stream *executorapi.Stream
		err    error
	}
	execStreamClosed struct {
		ex   *executor
		conn *execConn
	}
)

func (m execRequest) apply(a *Agent) {
	s, err := a.executorCall(m.call)
	m.reply <- execReply{s, err}
}

func (m execStreamClosed) apply(a *Agent) {
	if m.ex.run.conn == m.conn {
		m.ex.run.conn = nil
		a.dirty = true
		a.log.Info("executor disconnected", zap.String("framework_id", m.ex.frameworkID), zap.String("executor_id", m.ex.id))
	}
	m.conn.close()
}

func (b execBackend) Subscribe(ctx context.Context, call *executorpb.Call) (*executorapi.Stream, error) {
	return b.do(ctx, call)
}

func (b execBackend) Call(ctx context.Context, call *executorpb.Call) error {
	_, err := b.do(ctx, call)
	return err
}

func (b execBackend) do(ctx context.Context, call *executorpb.Call) (*executorapi.Stream, error) {
	req := execRequest{call: call, reply: make(chan execReply, 1)}
	select {
	case b.a.msgs <- req:
	case <-b.a.done:
		return nil, executorapi.Unavailable("The agent is shutting down")
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case r := <-req.reply:
		return r.stream, r.err
	case <-b.a.done:
		return nil, executorapi.Unavailable("The agent is shutting down")
	case <-ctx.Done():
		// The loop may still attach a stream nobody will read: let it go.
		go func() {
			select {
			case r := <-req.reply:
				if r.stream != nil {
					r.stream.Closed()
				}
			case <-b.a.done:
			}
		}()
		return nil, ctx.Err()
	}
}

// executorCall applies one executor call on the loop.
func (a *Agent) executorCall(call *executorpb.Call) (*executorapi.Stream, error) {
	fid, eid := call.GetFrameworkId().GetValue(), call.GetExecutorId().GetValue()
	fw := a.frameworks[fid]
	if fw == nil {
		return nil, executorapi.BadRequest("Framework %s cannot be found", fid)
	}
	ex := fw.executors[eid]
	switch {
	case ex == nil || ex.run == nil:
		return nil, executorapi.BadRequest("Executor %s of framework %s cannot be found", eid, fid)
	case ex.run.exited:
		return nil, executorapi.Forbidden("Executor %s of framework %s has terminated", eid, fid)
	case call.GetType() == executorpb.Call_SUBSCRIBE:
		return a.executorSubscribe(ex, call.GetSubscribe()), nil
	case !ex.run.subscribed:
		return nil, executorapi.Forbidden("Executor is not subscribed")
	}
	switch call.GetType() {
	case executorpb.Call_UPDATE:
		a.executorUpdate(ex, call.GetUpdate().GetStatus())
	case executorpb.Call_MESSAGE:
		a.sendCall(&agentpb.Call{
			Type: agentpb.Call_EXECUTOR_MESSAGE.Enum(),
			ExecutorMessage: &agentpb.Call_ExecutorMessage{
				FrameworkId: call.GetFrameworkId(), ExecutorId: call.GetExecutorId(), Data: call.GetMessage().GetData(),
			},
		})
	}
	return nil, nil
}

// executorSubscribe attaches a new subscription (the newest one wins),
// replays what the executor reports it has not had acknowledged, and sends
// whatever it is owed.
func (a *Agent) executorSubscribe(ex *executor, sub *executorpb.Call_Subscribe) *executorapi.Stream {
	r := ex.run
	if r.conn != nil {
		r.conn.close()
	}
	conn := newExecConn()
	now := a.clock.Now()
	r.conn, r.subscribed, r.registerBy = conn, true, time.Time{}
	r.heartbeatAt = now.Add(a.cfg.ExecutorHeartbeatInterval)
	a.dirty = true
	a.log.Info("executor subscribed", zap.String("framework_id", ex.frameworkID), zap.String("executor_id", ex.id),
		zap.Int("unacknowledged_updates", len(sub.GetUnacknowledgedUpdates())), zap.Int("unacknowledged_tasks", len(sub.GetUnacknowledgedTasks())))
	conn.send(&executorpb.Event{
		Type: executorpb.Event_SUBSCRIBED.Enum(),
		Subscribed: &executorpb.Event_Subscribed{
			ExecutorInfo:  executorInfo(ex),
			FrameworkInfo: a.frameworks[ex.frameworkID].info,
			AgentInfo:     a.agentInfo(),
			ContainerId:   &mesos.ContainerID{Value: proto.String(ex.containerID)},
		},
	})
	for _, u := range sub.GetUnacknowledgedUpdates() {
		a.executorUpdate(ex, u.GetStatus())
	}
	// A launch whose tasks are all still staging and that the executor
	// does not report was lost with the old connection: send it again.
	known := map[string]bool{}
	for _, ti := range sub.GetUnacknowledgedTasks() {
		known[ti.GetTaskId().GetValue()] = true
	}
	r.prune()
	for _, l := range r.launches {
		seen := false
		for _, t := range l.tasks {
			seen = seen || known[t.key.task]
		}
		l.sent = l.sent && seen
	}
	if r.shuttingDown {
		conn.send(&executorpb.Event{Type: executorpb.Event_SHUTDOWN.Enum()})
		if r.killAt.IsZero() {
			r.killAt = now.Add(r.grace)
		}
	} else {
		a.sendLaunches(ex)
		for tid, policy := range r.pendingKills {
			if t := ex.tasks[tid]; t != nil && t.live() {
				conn.send(killEvent(tid, policy))
			}
		}
	}
	r.pendingKills = nil
	return &executorapi.Stream{
		Events: conn.events,
		Done:   conn.done,
		Closed: func() { a.post(execStreamClosed{ex: ex, conn: conn}) },
	}
}

// prune drops launches none of whose tasks is still staging: the executor
// has them, so they are never sent again.
func (r *executorRun) prune() {
	kept := r.launches[:0]
	for _, l := range r.launches {
		for _, t := range l.tasks {
			if t.state == mesos.TaskState_TASK_STAGING {
				kept = append(kept, l)
				break
			}
		}
	}
	clear(r.launches[len(kept):])
	r.launches = kept
}

// executorUpdate takes a status update from an executor: it joins the
// task's stream of updates to the master, and the executor is told at
// once that the agent has it (ACKNOWLEDGED), as Mesos's agent does once
// its status update manager holds an update.
func (a *Agent) executorUpdate(ex *executor, st *mesos.TaskStatus) {
	r, tid := ex.run, st.GetTaskId().GetValue()
	ack := func() {
		if r.conn != nil {
			r.conn.send(&executorpb.Event{Type: executorpb.Event_ACKNOWLEDGED.Enum(),
				Acknowledged: &executorpb.Event_Acknowledged{TaskId: st.GetTaskId(), Uuid: st.GetUuid()}})
		}
	}
	st.AgentId = &mesos.AgentID{Value: proto.String(a.ID())}
	st.ExecutorId = &mesos.ExecutorID{Value: proto.String(ex.id)}
	if st.Timestamp == nil {
		st.Timestamp = proto.Float64(float64(a.clock.Now().UnixNano()) / 1e9)
	}
	if st.ContainerStatus == nil {
		st.ContainerStatus = &mesos.ContainerStatus{}
	}
	if st.ContainerStatus.ContainerId == nil {
		st.ContainerStatus.ContainerId = &mesos.ContainerID{Value: proto.String(ex.containerID)}
	}
	if c := r.container; c != nil && st.ContainerStatus.ExecutorPid == nil && c.Status().PID > 0 {
		st.ContainerStatus.ExecutorPid = proto.Uint32(uint32(c.Status().PID))
	}
	t := ex.tasks[tid]
	switch {
	case t == nil && a.tasks[taskKey{ex.frameworkID, tid}] != nil:
		a.log.Warn("ignoring an update for another executor's task", zap.String("executor_id", ex.id), zap.String("task_id", tid))
	case t == nil:
		// A task the agent does not know: the master and framework decide
		// what it means, as Mesos forwards such updates too.
		if err := a.updates.Add(ex.frameworkID, st, a.clock.Now()); err != nil {
			a.log.Warn("status update refused", zap.String("task_id", tid), zap.Error(err))
		}
	case hasUUID(t.statuses, st.GetUuid()):
		// A resend (after a reconnection): it is already on its way.
	case !t.live():
		a.log.Warn("ignoring an executor's update after a terminal state", zap.String("task_id", tid),
			zap.Stringer("state", t.state), zap.Stringer("update", st.GetState()))
	default:
		t.state = st.GetState()
		t.statuses = append(t.statuses, st)
		a.dirty = true
		if err := a.updates.Add(ex.frameworkID, st, a.clock.Now()); err != nil {
			a.log.Error("status update refused", zap.String("task_id", tid), zap.Error(err))
		}
		a.checkpointTask(t)
		if !t.live() {
			a.resizeExecutor(ex)
		}
	}
	ack()
}

func hasUUID(statuses []*mesos.TaskStatus, uuid []byte) bool {
	for _, s := range statuses {
		if bytes.Equal(s.GetUuid(), uuid) {
			return true
		}
	}
	return false
}

// frameworkMessage hands a scheduler's message to a subscribed executor;
// it is dropped otherwise (messages are best effort in Mesos).
func (a *Agent) frameworkMessage(ev *agentpb.Event_FrameworkMessage) {
	fid, eid := ev.GetFrameworkId().GetValue(), ev.GetExecutorId().GetValue()
	var ex *executor
	if fw := a.frameworks[fid]; fw != nil {
		ex = fw.executors[eid]
	}
	if ex == nil || ex.run == nil || ex.run.conn == nil {
		a.log.Warn("dropping a framework message: executor not subscribed", zap.String("framework_id", fid), zap.String("executor_id", eid))
		return
	}
	ex.run.conn.send(&executorpb.Event{Type: executorpb.Event_MESSAGE.Enum(), Message: &executorpb.Event_Message{Data: ev.GetData()}})
}
