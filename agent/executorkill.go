package agent

// What the agent sends custom executors for their tasks (LAUNCH, KILL)
// and how it stops them: SHUTDOWN, then a kill after the grace period.

import (
	"time"

	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/proto/agora/agentpb"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	executorpb "github.com/agoraproject/agora/proto/mesos/v1/executor"
)

// sendLaunches sends the queued LAUNCH and LAUNCH_GROUP events to a
// connected executor, skipping tasks killed meanwhile.
func (a *Agent) sendLaunches(ex *executor) {
	r := ex.run
	if r.conn == nil || r.shuttingDown {
		return
	}
	r.prune()
	for _, l := range r.launches {
		if l.sent {
			continue
		}
		l.sent = true
		if l.group == nil {
			r.conn.send(&executorpb.Event{Type: executorpb.Event_LAUNCH.Enum(), Launch: &executorpb.Event_Launch{Task: l.tasks[0].info}})
			continue
		}
		r.conn.send(&executorpb.Event{Type: executorpb.Event_LAUNCH_GROUP.Enum(), LaunchGroup: &executorpb.Event_LaunchGroup{TaskGroup: l.group}})
	}
}

// killExecutorTask is killTask for a task of a custom executor: a queued
// task is killed on the spot, a launched one gets a KILL event (now, or
// when the executor reconnects). It returns the executor's grace period.
func (a *Agent) killExecutorTask(t *task, policy *mesos.KillPolicy) time.Duration {
	ex, r := t.executor, t.executor.run
	if t.killRequested && (policy == nil || r.shuttingDown) {
		return r.grace
	}
	t.killRequested = true
	a.dirty = true
	for i, l := range r.launches {
		if l.sent || !containsTask(l.tasks, t) {
			continue
		}
		// Never sent: the whole launch (a group lives and dies together).
		r.launches = append(r.launches[:i:i], r.launches[i+1:]...)
		reason := mesos.TaskStatus_REASON_TASK_KILLED_DURING_LAUNCH
		for _, s := range l.tasks {
			s.killRequested = true
			if s.live() {
				a.update(s, mesos.TaskState_TASK_KILLED, mesos.TaskStatus_SOURCE_AGENT, &reason, "Task killed before it was sent to its executor")
			}
		}
		if !r.subscribed && !a.executorHasLiveTasks(ex) {
			// Nothing left for an executor that never came up to run, as
			// Mesos does for single-task executors.
			a.shutdownExecutor(ex)
		}
		return r.grace
	}
	if r.exited {
		return r.grace
	}
	if r.conn == nil {
		if r.pendingKills == nil {
			r.pendingKills = map[string]*mesos.KillPolicy{}
		}
		r.pendingKills[t.key.task] = policy
		return r.grace
	}
	r.conn.send(killEvent(t.key.task, policy))
	return r.grace
}

func killEvent(tid string, policy *mesos.KillPolicy) *executorpb.Event {
	return &executorpb.Event{Type: executorpb.Event_KILL.Enum(), Kill: &executorpb.Event_Kill{
		TaskId: &mesos.TaskID{Value: proto.String(tid)}, KillPolicy: policy,
	}}
}

func containsTask(ts []*task, t *task) bool {
	for _, x := range ts {
		if x == t {
			return true
		}
	}
	return false
}

func (a *Agent) executorHasLiveTasks(ex *executor) bool {
	for _, t := range ex.tasks {
		if t.live() {
			return true
		}
	}
	return false
}

// shutdownExecutor stops a custom executor: SHUTDOWN to a connected one and
// SIGKILL after its grace period; an executor that never subscribed (or is
// disconnected) cannot hear SHUTDOWN and is killed at once. Its remaining
// tasks end as killed when it exits.
func (a *Agent) shutdownExecutor(ex *executor) time.Duration {
	r := ex.run
	if r.shuttingDown || r.exited {
		return r.grace
	}
	a.log.Info("shutting down executor", zap.String("framework_id", ex.frameworkID), zap.String("executor_id", ex.id),
		zap.Duration("grace_period", r.grace))
	r.shuttingDown, r.registerBy = true, time.Time{}
	a.dirty = true
	if !r.timedOut {
		for _, t := range ex.tasks {
			t.killRequested = true
		}
	}
	switch {
	case r.launching:
		// executorLaunched kills it on arrival; a fetch stops now.
		r.cancelLaunch()
	case r.conn != nil:
		r.conn.send(&executorpb.Event{Type: executorpb.Event_SHUTDOWN.Enum()})
		r.killAt = a.clock.Now().Add(r.grace)
	default:
		a.killExecutorContainer(ex)
	}
	return r.grace
}

func (a *Agent) killExecutorContainer(ex *executor) {
	if c := ex.run.container; c != nil && !ex.run.exited {
		if err := c.Kill(); err != nil {
			a.log.Error("killing executor failed", zap.String("executor_id", ex.id), zap.Error(err))
		}
	}
}

// shutdownExecutorEvent handles SHUTDOWN_EXECUTOR: a custom executor is
// shut down; command and default executors have their tasks killed.
func (a *Agent) shutdownExecutorEvent(ev *agentpb.Event_ShutdownExecutor) {
	fid, eid := ev.GetFrameworkId().GetValue(), ev.GetExecutorId().GetValue()
	var ex *executor
	if fw := a.frameworks[fid]; fw != nil {
		ex = fw.executors[eid]
	}
	if ex == nil {
		a.log.Warn("SHUTDOWN_EXECUTOR for an unknown executor", zap.String("framework_id", fid), zap.String("executor_id", eid))
		return
	}
	if ex.run != nil {
		a.shutdownExecutor(ex)
		return
	}
	for _, t := range ex.tasks {
		if t.live() {
			a.killTask(t, nil, true)
		}
	}
}

// shutdownCustomExecutors shuts down the custom executors of one framework
// (fid != "") or of all, returning the longest grace period.
func (a *Agent) shutdownCustomExecutors(fid string) time.Duration {
	var longest time.Duration
	for id, fw := range a.frameworks {
		if fid != "" && id != fid {
			continue
		}
		for _, ex := range fw.executors {
			if ex.run.alive() {
				longest = max(longest, a.shutdownExecutor(ex))
			}
		}
	}
	return longest
}

// executorGrace is the executor's own shutdown grace period, else the
// agent's default.
func (a *Agent) executorGrace(info *mesos.ExecutorInfo) time.Duration {
	if g := info.GetShutdownGracePeriod(); g != nil {
		return max(time.Duration(g.GetNanoseconds()), 0)
	}
	return a.cfg.ExecutorShutdownGracePeriod
}
