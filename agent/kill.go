package agent

import (
	"time"

	"go.uber.org/zap"

	"github.com/agoraproject/agora/proto/agora/agentpb"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

func (a *Agent) killTaskEvent(ev *agentpb.Event_KillTask) {
	fid, tid := ev.GetFrameworkId().GetValue(), ev.GetTaskId().GetValue()
	t := a.tasks[taskKey{fid, tid}]
	if t == nil {
		// The master believes the task is here; tell it otherwise so the
		// framework stops waiting for a TASK_KILLED that will never come.
		a.log.Warn("KILL_TASK for an unknown task", zap.String("framework_id", fid), zap.String("task_id", tid))
		a.orphanUpdate(fid, tid, mesos.TaskState_TASK_LOST, mesos.TaskStatus_REASON_RECONCILIATION, "task unknown to the agent")
		return
	}
	if !t.live() {
		return // its terminal update is already on its way
	}
	a.log.Info("killing task", zap.String("framework_id", fid), zap.String("task_id", tid))
	a.killTask(t, ev.GetKillPolicy(), true)
	a.checkpointTask(t)
}

func (a *Agent) shutdownFramework(fid string) {
	a.log.Info("shutting down framework", zap.String("framework_id", fid))
	a.shutdownCustomExecutors(fid)
	for _, t := range a.tasks {
		if t.key.framework == fid && t.live() {
			a.killTask(t, nil, true)
		}
	}
}

// killTask asks t to stop: TASK_KILLING if the framework understands it
// (and notify is set), SIGTERM to the container now and SIGKILL after the
// grace period, which it returns. A second kill may shorten the grace
// period, as in Mesos, never lengthen it.
func (a *Agent) killTask(t *task, policy *mesos.KillPolicy, notify bool) time.Duration {
	if t.executor.run != nil {
		return a.killExecutorTask(t, policy)
	}
	grace := a.gracePeriod(t, policy)
	now := a.clock.Now()
	if t.killRequested {
		if policy != nil && !t.killDeadline.IsZero() && now.Add(grace).Before(t.killDeadline) {
			t.killDeadline = now.Add(grace)
		}
		return grace
	}
	t.killRequested = true
	a.dirty = true
	if t.launching {
		t.killedDuringLaunch = true // launched() kills it on arrival
		if t.cancelFetch != nil {
			t.cancelFetch() // a download in progress ends now
		}
		return grace
	}
	if t.container == nil || t.exited {
		return grace
	}
	fw := a.frameworks[t.key.framework]
	if notify && fw != nil && hasCapability(fw.info, mesos.FrameworkInfo_Capability_TASK_KILLING_STATE) {
		a.update(t, mesos.TaskState_TASK_KILLING, mesos.TaskStatus_SOURCE_EXECUTOR, nil, "")
	}
	if grace <= 0 {
		a.forceKill(t)
		return 0
	}
	if err := t.container.Terminate(); err != nil {
		a.log.Warn("SIGTERM failed", zap.String("task_id", t.key.task), zap.Error(err))
	}
	t.killDeadline = now.Add(grace)
	return grace
}

// escalateKills sends SIGKILL to every task whose grace period is over.
func (a *Agent) escalateKills(now time.Time) {
	for _, t := range a.tasks {
		if !t.killDeadline.IsZero() && !now.Before(t.killDeadline) {
			t.killDeadline = time.Time{}
			a.log.Info("grace period over; sending SIGKILL", zap.String("task_id", t.key.task))
			a.forceKill(t)
		}
	}
	a.executorTick(now)
}

func (a *Agent) forceKill(t *task) {
	if t.container == nil || t.exited {
		return
	}
	if err := t.container.Kill(); err != nil {
		a.log.Error("SIGKILL failed", zap.String("task_id", t.key.task), zap.Error(err))
	}
}

// gracePeriod picks KILL_TASK's policy, else the task's, else the default.
func (a *Agent) gracePeriod(t *task, policy *mesos.KillPolicy) time.Duration {
	d := a.cfg.KillGracePeriod
	switch {
	case policy.GetGracePeriod() != nil:
		d = time.Duration(policy.GetGracePeriod().GetNanoseconds())
	case t.info.GetKillPolicy().GetGracePeriod() != nil:
		d = time.Duration(t.info.GetKillPolicy().GetGracePeriod().GetNanoseconds())
	}
	return max(d, 0)
}

func hasCapability(fi *mesos.FrameworkInfo, c mesos.FrameworkInfo_Capability_Type) bool {
	for _, x := range fi.GetCapabilities() {
		if x.GetType() == c {
			return true
		}
	}
	return false
}
