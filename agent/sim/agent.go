package sim

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net/url"
	"sync"
	"time"

	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/agent/statusupdate"
	"github.com/agoraproject/agora/proto/agora/agentpb"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// agent is one simulated agent. Its stream goroutine and the shared timer
// goroutine both act on it under mu; calls are collected under mu and
// handed to the senders after it is released.
type agent struct {
	f        *Fleet
	group    *Group
	hostname string

	mu         sync.Mutex
	rng        *rand.Rand // the containerizer's too
	id         string
	gen        int                // subscription attempt; a stale one cannot act
	cancel     context.CancelFunc // of the current stream; nil between streams
	streamID   string
	endpoint   *url.URL
	subscribed bool
	silence    time.Duration
	silenceAt  time.Time // when the master's silence ends the stream
	wakeAt     time.Time // earliest armed timer; zero when none
	removed    bool      // the master sent SHUTDOWN
	tasks      map[taskKey]*simTask
	frameworks map[string]*mesos.FrameworkInfo
	box        *Containerizer
	updates    *statusupdate.Manager
}

// simTask is a task from RUN_TASK until its terminal update is
// acknowledged.
type simTask struct {
	info       *mesos.TaskInfo
	executorID string
	state      mesos.TaskState
	latest     *mesos.TaskStatus
	lastSent   string // uuid of the update last sent, to count resends
}

// run subscribes, reads events and resubscribes with backoff until ctx
// ends or the master shuts the agent down.
func (a *agent) run(ctx context.Context) {
	failures := 0
	for ctx.Err() == nil {
		subscribed, err := a.session(ctx)
		a.mu.Lock()
		removed := a.removed
		a.mu.Unlock()
		if ctx.Err() != nil || removed {
			return
		}
		a.f.stats.streamFailures.Add(1)
		if subscribed {
			failures = 0
		}
		failures++
		a.mu.Lock()
		d := backoff(failures, a.f.cfg.Backoff, a.f.cfg.BackoffMax, a.rng)
		a.mu.Unlock()
		a.f.log.Debug("lost the master; resubscribing", zap.String("hostname", a.hostname), zap.Error(err), zap.Duration("in", d))
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// session is one subscription attempt: it returns when the stream ends.
func (a *agent) session(ctx context.Context) (subscribed bool, err error) {
	select {
	case a.f.subSem <- struct{}{}:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	held := true
	release := func() {
		if held {
			held = false
			<-a.f.subSem
		}
	}
	defer release()
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	a.mu.Lock()
	call := a.subscribeCall()
	a.mu.Unlock()
	s, err := a.f.client.subscribe(sctx, call)
	if err != nil {
		return false, err
	}
	defer s.body.Close()

	a.mu.Lock()
	a.gen++
	gen := a.gen
	a.cancel, a.streamID, a.endpoint = cancel, s.streamID, s.endpoint
	a.silenceAt = time.Now().Add(a.silence)
	a.arm()
	a.mu.Unlock()
	defer a.lost(gen)
	for {
		ev, err := s.next()
		release() // SUBSCRIBED came (or nothing will): let the next agent in
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = errors.New("the master closed the event stream")
			}
			return subscribed, err
		}
		subscribed = subscribed || ev.GetType() == agentpb.Event_SUBSCRIBED
		a.handle(gen, ev)
	}
}

// lost forgets the session gen, if still current.
func (a *agent) lost(gen int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.gen != gen {
		return
	}
	if a.subscribed {
		a.f.stats.subscribed.Add(-1)
	}
	a.gen++
	a.cancel, a.streamID, a.endpoint, a.subscribed = nil, "", nil, false
}

// handle acts on one event of session gen.
func (a *agent) handle(gen int, ev *agentpb.Event) {
	now := time.Now()
	a.mu.Lock()
	if gen != a.gen {
		a.mu.Unlock()
		return
	}
	var out []outCall
	switch ev.GetType() {
	case agentpb.Event_SUBSCRIBED:
		a.onSubscribed(ev.GetSubscribed(), now)
	case agentpb.Event_PING:
		if a.subscribed {
			a.silenceAt = now.Add(a.silence)
			out = append(out, a.call(&agentpb.Call{Type: agentpb.Call_PONG.Enum(), Pong: &agentpb.Call_Pong{}}))
			a.f.stats.pongs.Add(1)
		}
	case agentpb.Event_RUN_TASK:
		rt := ev.GetRunTask()
		a.launch(rt.GetFramework(), rt.GetTask(), "", now)
	case agentpb.Event_RUN_TASK_GROUP:
		rg := ev.GetRunTaskGroup()
		for _, t := range rg.GetTaskGroup().GetTasks() {
			a.launch(rg.GetFramework(), t, rg.GetExecutor().GetExecutorId().GetValue(), now)
		}
	case agentpb.Event_KILL_TASK:
		k := ev.GetKillTask()
		a.kill(k.GetFrameworkId().GetValue(), k.GetTaskId().GetValue(), now)
	case agentpb.Event_ACKNOWLEDGE:
		a.acknowledge(ev.GetAcknowledge(), now)
	case agentpb.Event_SHUTDOWN_FRAMEWORK:
		fid := ev.GetShutdownFramework().GetFrameworkId().GetValue()
		for key := range a.tasks {
			if key.framework == fid {
				a.kill(fid, key.task, now)
			}
		}
	case agentpb.Event_SHUTDOWN_EXECUTOR:
		se := ev.GetShutdownExecutor()
		fid, eid := se.GetFrameworkId().GetValue(), se.GetExecutorId().GetValue()
		for key, t := range a.tasks {
			if key.framework == fid && t.executorID == eid {
				a.kill(fid, key.task, now)
			}
		}
	case agentpb.Event_UPDATE_FRAMEWORK:
		a.updates.RetryFramework(ev.GetUpdateFramework().GetFrameworkId().GetValue(), now)
	case agentpb.Event_SHUTDOWN:
		a.removed = true
		a.f.log.Warn("the master shut the agent down", zap.String("agent_id", a.id), zap.String("message", ev.GetShutdown().GetMessage()))
		if a.cancel != nil {
			a.cancel()
		}
	case agentpb.Event_ERROR:
		a.f.log.Warn("the master reported an error", zap.String("agent_id", a.id), zap.String("message", ev.GetError().GetMessage()))
	}
	out = append(out, a.advance(now)...)
	a.mu.Unlock()
	a.f.enqueue(out)
}

func (a *agent) onSubscribed(ev *agentpb.Event_Subscribed, now time.Time) {
	id := ev.GetAgentId().GetValue()
	if id == "" {
		a.f.log.Warn("SUBSCRIBED without an agent ID", zap.String("hostname", a.hostname))
		if a.cancel != nil {
			a.cancel()
		}
		return
	}
	if !a.subscribed {
		a.f.stats.subscribed.Add(1)
	}
	a.id, a.subscribed = id, true
	a.f.stats.subscriptions.Add(1)
	interval := time.Duration(ev.GetPingIntervalSeconds() * float64(time.Second))
	if interval <= 0 {
		interval = a.f.cfg.PingTimeout
	}
	a.silence = interval * time.Duration(a.f.cfg.MaxPingTimeouts)
	a.silenceAt = now.Add(a.silence)
	// Whatever was in flight on an older connection may be lost.
	a.updates.Retry(now)
}

func (a *agent) launch(fw *mesos.FrameworkInfo, info *mesos.TaskInfo, executorID string, now time.Time) {
	fid, tid := fw.GetId().GetValue(), info.GetTaskId().GetValue()
	key := taskKey{fid, tid}
	if a.tasks[key] != nil || !a.box.Launch(fid, tid, now) {
		return // a duplicate RUN_TASK
	}
	if a.frameworks == nil {
		a.frameworks = map[string]*mesos.FrameworkInfo{}
	}
	a.frameworks[fid] = fw
	if executorID == "" {
		executorID = tid // the command executor is named after its task
	}
	a.tasks[key] = &simTask{info: info, executorID: executorID, state: mesos.TaskState_TASK_STAGING}
	a.f.stats.launched.Add(1)
	a.f.stats.live.Add(1)
}

func (a *agent) kill(fid, tid string, now time.Time) {
	if tr, ok := a.box.Kill(fid, tid); ok {
		a.f.stats.live.Add(-1)
		a.report(tr, now)
		return
	}
	if a.tasks[taskKey{fid, tid}] != nil {
		return // already ended; its terminal update is on its way
	}
	reason := mesos.TaskStatus_REASON_RECONCILIATION
	a.queue(fid, nil, a.status(tid, mesos.TaskState_TASK_LOST, &reason, "task unknown to the agent", now), now)
}

func (a *agent) acknowledge(ev *agentpb.Event_Acknowledge, now time.Time) {
	if a.f.cfg.AckLossRate > 0 && a.rng.Float64() < a.f.cfg.AckLossRate {
		a.f.stats.acksDropped.Add(1)
		return
	}
	fid, tid := ev.GetFrameworkId().GetValue(), ev.GetTaskId().GetValue()
	ack, err := a.updates.Acknowledge(fid, tid, ev.GetUuid(), now)
	if err != nil {
		return // a duplicate, or for an update already acknowledged
	}
	a.f.stats.acks.Add(1)
	if ack.Terminal {
		delete(a.tasks, taskKey{fid, tid})
	}
}

// tick runs on the timer goroutine.
func (a *agent) tick(now time.Time) {
	a.mu.Lock()
	if !a.wakeAt.After(now) {
		a.wakeAt = time.Time{}
	}
	if a.cancel != nil && !now.Before(a.silenceAt) {
		a.f.log.Debug("no PING from the master; resubscribing", zap.String("agent_id", a.id), zap.Duration("silence", a.silence))
		a.cancel() // the stream goroutine sees it end
		a.cancel = nil
	}
	out := a.advance(now)
	a.mu.Unlock()
	a.f.enqueue(out)
}

// advance turns due container transitions into updates, returns the
// updates due for sending and arms the timer for what comes next.
func (a *agent) advance(now time.Time) []outCall {
	for _, tr := range a.box.Due(now) {
		if tr.State == mesos.TaskState_TASK_FINISHED || tr.State == mesos.TaskState_TASK_FAILED {
			a.f.stats.live.Add(-1)
		}
		a.report(tr, now)
	}
	var out []outCall
	if a.subscribed {
		for _, u := range a.updates.Due(now) {
			uuid := string(u.Status.GetUuid())
			if t := a.tasks[taskKey{u.FrameworkID, u.Status.GetTaskId().GetValue()}]; t != nil {
				if t.lastSent == uuid {
					a.f.stats.resent.Add(1)
				}
				t.lastSent = uuid
			}
			a.f.stats.sent.Add(1)
			out = append(out, a.call(&agentpb.Call{
				Type:   agentpb.Call_UPDATE.Enum(),
				Update: &agentpb.Call_Update{FrameworkId: &mesos.FrameworkID{Value: proto.String(u.FrameworkID)}, Status: u.Status},
			}))
		}
	}
	a.arm()
	return out
}

// arm asks the timer goroutine to wake the agent when something is next
// due.
func (a *agent) arm() {
	var next time.Time
	consider := func(t time.Time, ok bool) {
		if ok && !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	consider(a.box.Next())
	if a.subscribed {
		consider(a.updates.Next())
	}
	consider(a.silenceAt, a.cancel != nil)
	if next.IsZero() || (!a.wakeAt.IsZero() && !next.Before(a.wakeAt)) {
		return
	}
	a.wakeAt = next
	a.f.timers.at(a, next)
}

// report queues the status update of a container's transition.
func (a *agent) report(tr Transition, now time.Time) {
	t := a.tasks[taskKey{tr.FrameworkID, tr.TaskID}]
	st := a.status(tr.TaskID, tr.State, tr.Reason, tr.Message, now)
	st.Source = mesos.TaskStatus_SOURCE_EXECUTOR.Enum()
	if tr.State == mesos.TaskState_TASK_KILLED {
		st.Source = mesos.TaskStatus_SOURCE_AGENT.Enum()
	}
	a.queue(tr.FrameworkID, t, st, now)
}

func (a *agent) queue(fid string, t *simTask, st *mesos.TaskStatus, now time.Time) {
	if t != nil {
		st.ExecutorId = &mesos.ExecutorID{Value: proto.String(t.executorID)}
		t.state, t.latest = st.GetState(), st
	}
	if err := a.updates.Add(fid, st, now); err != nil {
		a.f.log.Debug("status update refused", zap.String("task_id", st.GetTaskId().GetValue()), zap.Error(err))
		return
	}
	a.f.stats.queued.Add(1)
}

func (a *agent) status(tid string, state mesos.TaskState, reason *mesos.TaskStatus_Reason, msg string, now time.Time) *mesos.TaskStatus {
	st := &mesos.TaskStatus{
		TaskId:    &mesos.TaskID{Value: proto.String(tid)},
		State:     state.Enum(),
		Source:    mesos.TaskStatus_SOURCE_AGENT.Enum(),
		Reason:    reason,
		AgentId:   &mesos.AgentID{Value: proto.String(a.id)},
		Timestamp: proto.Float64(float64(now.UnixNano()) / 1e9),
		Uuid:      a.uuid(),
	}
	if msg != "" {
		st.Message = proto.String(msg)
	}
	return st
}

// uuid draws a version 4 UUID from the agent's seeded source.
func (a *agent) uuid() []byte {
	b := make([]byte, 16)
	for i := 0; i < 16; i += 8 {
		v := a.rng.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return b
}

// call stamps a call with the agent ID and binds it to the session.
func (a *agent) call(c *agentpb.Call) outCall {
	c.AgentId = &mesos.AgentID{Value: proto.String(a.id)}
	return outCall{endpoint: a.endpoint, streamID: a.streamID, call: c}
}

// subscribeCall describes the agent and the tasks it still has.
func (a *agent) subscribeCall() *agentpb.Call {
	info := &mesos.AgentInfo{
		Hostname:   proto.String(a.hostname),
		Port:       proto.Int32(int32(a.f.cfg.Port)),
		Resources:  a.group.Resources,
		Attributes: a.group.Attributes,
	}
	call := &agentpb.Call{Type: agentpb.Call_SUBSCRIBE.Enum()}
	if a.id != "" {
		info.Id = &mesos.AgentID{Value: proto.String(a.id)}
		call.AgentId = &mesos.AgentID{Value: proto.String(a.id)}
	}
	sub := &agentpb.Call_Subscribe{AgentInfo: info, Version: proto.String("sim"), BootId: proto.String("sim")}
	seen := map[string]bool{}
	for key, t := range a.tasks {
		mt := &mesos.Task{
			Name:        t.info.Name,
			TaskId:      t.info.TaskId,
			FrameworkId: &mesos.FrameworkID{Value: proto.String(key.framework)},
			AgentId:     &mesos.AgentID{Value: proto.String(a.id)},
			State:       t.state.Enum(),
			Resources:   t.info.Resources,
		}
		if t.latest != nil {
			mt.Statuses = []*mesos.TaskStatus{t.latest}
		}
		if head, _ := a.updates.Head(key.framework, key.task); head != nil {
			mt.StatusUpdateState, mt.StatusUpdateUuid = head.State, head.Uuid
		}
		sub.Tasks = append(sub.Tasks, mt)
		if !seen[key.framework] {
			seen[key.framework] = true
			sub.Frameworks = append(sub.Frameworks, a.frameworks[key.framework])
		}
	}
	call.Subscribe = sub
	// The stream goroutine marshals it after mu is released.
	return proto.Clone(call).(*agentpb.Call)
}
