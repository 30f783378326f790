package core

import (
	"math"
	"time"

	"go.uber.org/zap"

	"github.com/agoraproject/agora/frameworks/marathon/state"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// handleUpdate applies one task status: the instance's state and health,
// removal when terminal (with back-off if it was not asked for), and
// whatever the app and its deployment do next.
func (c *Core) handleUpdate(st *mesos.TaskStatus) {
	if !c.leader {
		return
	}
	id := st.GetTaskId().GetValue()
	s := st.GetState()
	now := c.now()
	t := c.tasks[id]
	if t == nil {
		if !terminal(s) {
			// An orphan: a task of a deleted app, or of a state we lost.
			c.log.Info("killing unknown task", zap.String("task_id", id), zap.String("state", s.String()))
			c.sendKill(id, st.GetAgentId().GetValue())
		}
		return
	}
	if behind(t.State, s) {
		// A resent update overtaken by its successor (the agent resent
		// it while its acknowledgement was on the way): states only move
		// forward. It is still acknowledged.
		return
	}
	if !forward(st) {
		// What the batch did so far may complete a deployment step that
		// this update would undo (a task that ran, then failed): let the
		// step see it first, as it would have without batching.
		c.settle()
	}
	as := c.apps[t.AppID]
	prev := t.State
	t.view = nil
	t.State = s
	t.Message = st.GetMessage()
	if st.GetAgentId().GetValue() != "" && t.AgentID == "" {
		t.AgentID = st.GetAgentId().GetValue()
	}
	if ips := statusIPs(st); len(ips) > 0 {
		t.IPs = ips
	}
	if st.Healthy != nil && as != nil {
		h := st.GetHealthy()
		if t.Healthy == nil || *t.Healthy != h {
			c.emit(healthChangedEvent(t, h, now))
			if h {
				t.healthSince = now
			}
			as.persist = true
		}
		t.Healthy = &h
	}
	switch {
	case s == mesos.TaskState_TASK_RUNNING:
		if t.StartedAt.IsZero() {
			t.StartedAt = statusTime(st, now)
		}
		if t.healthSince.IsZero() && as != nil && len(as.app.HealthChecks) == 0 {
			t.healthSince = now
		}
		t.UnreachableSince = time.Time{}
	case s == mesos.TaskState_TASK_UNREACHABLE:
		if t.UnreachableSince.IsZero() {
			t.UnreachableSince = now
			if ut := st.GetUnreachableTime().GetNanoseconds(); ut > 0 {
				t.UnreachableSince = time.Unix(0, ut)
			}
		}
	}
	if prev != s {
		c.emit(statusUpdateEvent(t, st, now))
		c.emit(instanceChangedEvent(t, now))
	}
	if terminal(s) {
		c.removeTask(t)
		if as != nil && !t.Killing && !as.deleting {
			c.taskFailed(as, t, st, now)
		}
	}
	if as != nil {
		as.view = nil
	}
	if c.stillActive(as, prev, st) {
		// Converging would change nothing, but the deployment may be
		// done.
		c.unprogressed = true
	} else {
		c.unsettle(as)
	}
	c.dirty = true
}

// forward says whether an update can only bring deployments closer to
// done: a task starting or running, and not reported unhealthy.
func forward(st *mesos.TaskStatus) bool {
	switch st.GetState() {
	case mesos.TaskState_TASK_STAGING, mesos.TaskState_TASK_STARTING, mesos.TaskState_TASK_RUNNING:
		return st.Healthy == nil || st.GetHealthy()
	}
	return false
}

// behind says whether an update to state to is older than the task's
// state from: a task never goes back to staging or starting.
func behind(from, to mesos.TaskState) bool {
	switch to {
	case mesos.TaskState_TASK_STAGING:
		return from != mesos.TaskState_TASK_STAGING
	case mesos.TaskState_TASK_STARTING:
		return from == mesos.TaskState_TASK_RUNNING
	}
	return false
}

// stillActive says whether an update leaves an app's active instances as
// they were, outside a rolling restart (whose decisions depend on which
// instances run): a task starting or running that already counted.
func (c *Core) stillActive(as *appState, prev mesos.TaskState, st *mesos.TaskStatus) bool {
	if as == nil || !forward(st) {
		return false
	}
	switch prev {
	case mesos.TaskState_TASK_STAGING, mesos.TaskState_TASK_STARTING, st.GetState():
	default:
		return false
	}
	action, _ := c.phase(as.app.ID)
	return action != state.RestartApplication
}

// removeTask forgets an instance.
func (c *Core) removeTask(t *task) {
	delete(c.tasks, t.ID)
	if as := c.apps[t.AppID]; as != nil {
		as.dropTask(t.ID)
		as.persist = true
		as.view = nil
		if as.deleting && len(as.tasks) == 0 {
			c.converge(as)
		}
	}
	c.dirty = true
}

// taskFailed records an unexpected end and delays the app's next launch:
// backoffSeconds × backoffFactor^n, capped at maxLaunchDelaySeconds.
func (c *Core) taskFailed(as *appState, t *task, st *mesos.TaskStatus, now time.Time) {
	if st.GetState() != mesos.TaskState_TASK_FINISHED {
		as.lastFailure = &state.TaskFailure{
			AppID: as.app.ID, Host: t.Host, Message: st.GetMessage(), State: st.GetState().String(),
			TaskID: t.ID, Timestamp: stamp(now), Version: t.Version, SlaveID: t.AgentID,
		}
	}
	a := as.app
	base := time.Duration(a.BackoffSeconds * float64(time.Second))
	maxDelay := time.Duration(a.MaxLaunchDelaySeconds * float64(time.Second))
	if as.delay == 0 {
		as.delay = base
	} else {
		f := a.BackoffFactor
		if f < 1 || math.IsNaN(f) {
			f = 1
		}
		as.delay = time.Duration(float64(as.delay) * f)
	}
	if maxDelay > 0 && as.delay > maxDelay {
		as.delay = maxDelay
	}
	as.launchAfter = now.Add(as.delay)
	c.log.Info("task failed", zap.String("task_id", t.ID), zap.String("state", st.GetState().String()),
		zap.String("message", st.GetMessage()), zap.Duration("launch_delay", as.delay))
}

func statusTime(st *mesos.TaskStatus, now time.Time) time.Time {
	if ts := st.GetTimestamp(); ts > 0 {
		sec, frac := math.Modf(ts)
		return time.Unix(int64(sec), int64(frac*1e9))
	}
	return now
}

func statusIPs(st *mesos.TaskStatus) []state.IPAddress {
	var out []state.IPAddress
	for _, ni := range st.GetContainerStatus().GetNetworkInfos() {
		for _, ip := range ni.GetIpAddresses() {
			if ip.GetIpAddress() == "" {
				continue
			}
			proto := "IPv4"
			if ip.GetProtocol() == mesos.NetworkInfo_IPv6 {
				proto = "IPv6"
			}
			out = append(out, state.IPAddress{IPAddress: ip.GetIpAddress(), Protocol: proto})
		}
	}
	return out
}

// tick runs the timer-driven duties: back-off expiry and reset,
// unreachable instances, launch timeouts and periodic reconciliation.
func (c *Core) tick() {
	if !c.leader {
		return
	}
	c.settle()
	now := c.now()
	for _, as := range c.apps {
		if as.toLaunch > 0 && !as.launchAfter.IsZero() && !now.Before(as.launchAfter) {
			as.launchAfter = time.Time{}
			c.demand = true
			as.view = nil
			c.dirty = true
		}
		c.tickTasks(as, now)
		c.converge(as)
	}
	if !c.nextRecon.IsZero() && !now.Before(c.nextRecon) && c.client != nil {
		c.reconcile()
	}
	c.progress()
}

func (c *Core) tickTasks(as *appState, now time.Time) {
	us := unreachable(as.app)
	resetBackoff := false
	for _, t := range as.tasks {
		switch {
		case t.State == mesos.TaskState_TASK_STAGING || t.State == mesos.TaskState_TASK_STARTING:
			if !t.Killing && now.Sub(t.StagedAt) >= c.cfg.TaskLaunchTimeout {
				c.log.Warn("task did not start in time; killing it", zap.String("task_id", t.ID))
				c.kill(t)
			}
		case t.State == mesos.TaskState_TASK_UNREACHABLE && !us.Disabled && !t.UnreachableSince.IsZero():
			expunge := time.Duration(us.ExpungeAfterSeconds) * time.Second
			if now.Sub(t.UnreachableSince) >= expunge && expunge >= time.Duration(us.InactiveAfterSeconds)*time.Second {
				c.log.Info("expunging unreachable task", zap.String("task_id", t.ID))
				c.removeTask(t)
				c.sendKill(t.ID, t.AgentID) // should it come back
			}
			if t.inactive(as.app, now) {
				as.view = nil
				c.dirty = true
			}
		case t.healthy(as.app) && !t.healthSince.IsZero() && now.Sub(t.healthSince) >= c.cfg.BackoffResetAfter:
			resetBackoff = true
		}
	}
	if resetBackoff && as.delay > 0 && !now.Before(as.launchAfter) {
		as.delay = 0
	}
}
