package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net/url"
	"time"

	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/proto/agora/agentpb"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// session is the loop's view of the subscription to the master. Every
// connection attempt gets a new generation; messages from an older one are
// stale and ignored, so a stream the loop gave up on cannot act.
type session struct {
	gen        int
	cancel     context.CancelFunc // of the current attempt; nil between attempts
	streamID   string
	endpoint   *url.URL // where the subscription landed (after redirects)
	subscribed bool     // SUBSCRIBED received on this stream
	failures   int      // consecutive failed attempts, for the backoff

	reconnectAt time.Time // when to try again; zero unless scheduled
	// silence is how long the master may say nothing (no SUBSCRIBED, no
	// PING) before the agent gives up on the stream.
	silence         time.Duration
	silenceDeadline time.Time
}

// deadline is when the session needs the loop next.
func (s *session) deadline() (time.Time, bool) {
	if s.cancel != nil {
		return s.silenceDeadline, true
	}
	return s.reconnectAt, !s.reconnectAt.IsZero()
}

// Messages from the stream goroutine.
type (
	streamOpened struct {
		gen      int
		streamID string
		endpoint *url.URL
	}
	streamEvent struct {
		gen   int
		event *agentpb.Event
	}
	streamClosed struct {
		gen int
		err error
	}
)

// connect starts a subscription attempt.
func (a *Agent) connect() {
	s := &a.sess
	s.gen++
	ctx, cancel := context.WithCancel(a.runCtx)
	s.cancel = cancel
	s.reconnectAt = time.Time{}
	s.silence = a.cfg.PingTimeout * time.Duration(a.cfg.MaxPingTimeouts)
	s.silenceDeadline = a.clock.Now().Add(s.silence)
	call := a.subscribeCall()
	a.log.Info("subscribing to the master", zap.String("master", a.master.target()),
		zap.String("agent_id", a.ID()), zap.Int("tasks", len(call.GetSubscribe().GetTasks())))
	go a.readStream(ctx, s.gen, call)
}

// readStream runs in its own goroutine for one subscription attempt.
func (a *Agent) readStream(ctx context.Context, gen int, call *agentpb.Call) {
	s, err := a.master.subscribe(ctx, call)
	if err != nil {
		a.post(streamClosed{gen, err})
		return
	}
	defer s.close()
	a.post(streamOpened{gen, s.streamID, s.endpoint})
	for {
		ev, err := s.next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = errors.New("the master closed the event stream")
			}
			a.post(streamClosed{gen, err})
			return
		}
		a.post(streamEvent{gen, ev})
	}
}

// disconnect abandons the current attempt, if any.
func (a *Agent) disconnect() {
	s := &a.sess
	if s.cancel != nil {
		s.cancel()
	}
	s.gen++
	s.cancel, s.streamID, s.endpoint, s.subscribed = nil, "", nil, false
	a.dirty = true
}

// retryLater disconnects and schedules the next attempt with backoff.
func (a *Agent) retryLater(why error) {
	a.disconnect()
	s := &a.sess
	s.failures++
	delay := backoff(s.failures, a.cfg.Backoff, a.cfg.BackoffMax, a.rng)
	s.reconnectAt = a.clock.Now().Add(delay)
	a.log.Warn("lost the master; resubscribing", zap.Error(why), zap.Duration("in", delay), zap.Int("attempt", s.failures))
}

// backoff returns the delay after the n-th consecutive failure: base
// doubling per failure up to limit, scaled by a random factor in [0.5, 1)
// so that agents cut off together do not all come back at once.
func backoff(n int, base, limit time.Duration, r *rand.Rand) time.Duration {
	d := base
	for i := 1; i < n && d < limit; i++ {
		d *= 2
	}
	d = min(d, limit)
	return d/2 + time.Duration(r.Int63n(int64(d/2)+1))
}

func (a *Agent) sessionTick(now time.Time) {
	s := &a.sess
	switch {
	case s.cancel != nil && !now.Before(s.silenceDeadline):
		a.retryLater(errors.New("no PING from the master for " + s.silence.String()))
	case s.cancel == nil && !s.reconnectAt.IsZero() && !now.Before(s.reconnectAt):
		a.connect()
	}
}

func (a *Agent) streamOpened(m streamOpened) {
	if m.gen != a.sess.gen {
		return
	}
	a.sess.streamID, a.sess.endpoint = m.streamID, m.endpoint
}

func (a *Agent) streamClosed(m streamClosed) {
	if m.gen != a.sess.gen {
		return
	}
	a.retryLater(m.err)
}

func (a *Agent) streamEvent(m streamEvent) {
	if m.gen != a.sess.gen {
		return
	}
	ev := m.event
	if ev.GetType() == agentpb.Event_SUBSCRIBED {
		a.subscribed(ev.GetSubscribed())
		return
	}
	if !a.sess.subscribed {
		a.log.Warn("ignoring an event before SUBSCRIBED", zap.Stringer("type", ev.GetType()))
		return
	}
	switch ev.GetType() {
	case agentpb.Event_PING:
		a.sess.silenceDeadline = a.clock.Now().Add(a.sess.silence)
		a.sendCall(&agentpb.Call{Type: agentpb.Call_PONG.Enum(), Pong: &agentpb.Call_Pong{}})
	case agentpb.Event_RUN_TASK:
		a.runTask(ev.GetRunTask())
	case agentpb.Event_RUN_TASK_GROUP:
		a.runTaskGroup(ev.GetRunTaskGroup())
	case agentpb.Event_KILL_TASK:
		a.killTaskEvent(ev.GetKillTask())
	case agentpb.Event_ACKNOWLEDGE:
		a.acknowledge(ev.GetAcknowledge())
	case agentpb.Event_SHUTDOWN_FRAMEWORK:
		a.shutdownFramework(ev.GetShutdownFramework().GetFrameworkId().GetValue())
	case agentpb.Event_SHUTDOWN_EXECUTOR:
		a.shutdownExecutorEvent(ev.GetShutdownExecutor())
	case agentpb.Event_FRAMEWORK_MESSAGE:
		a.frameworkMessage(ev.GetFrameworkMessage())
	case agentpb.Event_UPDATE_FRAMEWORK:
		// The framework is back: what it missed goes out now.
		a.updates.RetryFramework(ev.GetUpdateFramework().GetFrameworkId().GetValue(), a.clock.Now())
	case agentpb.Event_SHUTDOWN:
		msg := ev.GetShutdown().GetMessage()
		if msg == "" {
			msg = "no reason given"
		}
		a.removed = fmt.Errorf("%w: %s", ErrRemoved, msg)
	case agentpb.Event_ERROR:
		a.log.Error("the master reported an error", zap.String("message", ev.GetError().GetMessage()))
	default:
		a.log.Warn("ignoring an unknown event", zap.Stringer("type", ev.GetType()))
	}
}

func (a *Agent) subscribed(ev *agentpb.Event_Subscribed) {
	id := ev.GetAgentId().GetValue()
	if id == "" || checkID(id) != nil {
		a.retryLater(errors.New("SUBSCRIBED without a valid agent ID"))
		return
	}
	if old := a.ID(); old != "" && old != id {
		// Sandboxes of running tasks stay under the old ID's directory.
		a.log.Error("the master assigned a new agent ID", zap.String("old", old), zap.String("new", id))
	}
	if old := a.ID(); old != id {
		a.id.Store(&id)
		a.checkpointAgent()
	}
	s := &a.sess
	s.subscribed, s.failures = true, 0
	interval := time.Duration(ev.GetPingIntervalSeconds() * float64(time.Second))
	if interval <= 0 {
		interval = a.cfg.PingTimeout
	}
	now := a.clock.Now()
	s.silence = interval * time.Duration(a.cfg.MaxPingTimeouts)
	s.silenceDeadline = now.Add(s.silence)
	// Whatever was in flight on an older connection may be lost.
	a.updates.Retry(now)
	a.dirty = true
	a.log.Info("subscribed", zap.String("agent_id", id), zap.Duration("ping_interval", interval))
}

// sendCall posts call on the current session without blocking the loop.
// A lost call is harmless: updates are retried until acknowledged and a
// missed PONG is covered by the next PING.
func (a *Agent) sendCall(call *agentpb.Call) {
	s := &a.sess
	if !s.subscribed || s.endpoint == nil {
		return
	}
	call.AgentId = &mesos.AgentID{Value: proto.String(a.ID())}
	endpoint, streamID, ctx := s.endpoint, s.streamID, a.runCtx
	go func() {
		if err := a.master.send(ctx, endpoint, streamID, call); err != nil && ctx.Err() == nil {
			a.log.Warn("call to the master failed", zap.Stringer("type", call.GetType()), zap.Error(err))
		}
	}()
}

// subscribeCall describes the agent and everything it still runs.
func (a *Agent) subscribeCall() *agentpb.Call {
	info := &mesos.AgentInfo{
		Hostname:   proto.String(a.hostname),
		Port:       proto.Int32(int32(a.cfg.Port)),
		Resources:  a.resources,
		Attributes: a.attributes,
	}
	call := &agentpb.Call{Type: agentpb.Call_SUBSCRIBE.Enum()}
	if id := a.ID(); id != "" {
		info.Id = &mesos.AgentID{Value: proto.String(id)}
		call.AgentId = &mesos.AgentID{Value: proto.String(id)}
	}
	tasks, frameworks := a.reportTasks()
	executors, frameworks := a.reportExecutors(frameworks)
	call.Subscribe = &agentpb.Call_Subscribe{
		AgentInfo:  info,
		Tasks:      tasks,
		Frameworks: frameworks,
		Executors:  executors,
		BootId:     proto.String(a.bootID),
		Version:    proto.String(Version),
		WorkDir:    proto.String(a.cfg.WorkDir), // the master shows sandbox paths under it
	}
	return proto.Clone(call).(*agentpb.Call) // the stream goroutine owns it now
}
