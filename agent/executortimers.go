package agent

// The timers of custom executors (registration timeout, shutdown grace
// period, heartbeats) and the count of their live containers.

import (
	"time"

	"go.uber.org/zap"

	executorpb "github.com/agoraproject/agora/proto/mesos/v1/executor"
)

// eachCustomExecutor calls fn for every custom executor whose process may
// still run.
func (a *Agent) eachCustomExecutor(fn func(*executor)) {
	for _, fw := range a.frameworks {
		for _, ex := range fw.executors {
			if ex.run.alive() {
				fn(ex)
			}
		}
	}
}

// executorDeadline is the earliest executor timer.
func (a *Agent) executorDeadline() (at time.Time, ok bool) {
	a.eachCustomExecutor(func(ex *executor) {
		for _, t := range []time.Time{ex.run.registerBy, ex.run.killAt, ex.run.heartbeatAt} {
			if !t.IsZero() && (!ok || t.Before(at)) {
				at, ok = t, true
			}
		}
	})
	if t, due := a.exitsDeadline(); due && (!ok || t.Before(at)) {
		at, ok = t, true
	}
	return at, ok
}

// executorTick kills executors that did not subscribe in time or outlived
// their shutdown grace period, and sends heartbeats.
func (a *Agent) executorTick(now time.Time) {
	a.sendExits(now)
	a.eachCustomExecutor(func(ex *executor) {
		r := ex.run
		if !r.registerBy.IsZero() && !now.Before(r.registerBy) {
			a.log.Warn("executor did not subscribe in time; killing it", zap.String("framework_id", ex.frameworkID),
				zap.String("executor_id", ex.id), zap.Duration("timeout", a.cfg.ExecutorRegistrationTimeout))
			r.timedOut, r.registerBy = true, time.Time{}
			a.shutdownExecutor(ex)
		}
		if !r.killAt.IsZero() && !now.Before(r.killAt) {
			r.killAt = time.Time{}
			a.log.Info("executor shutdown grace period over; killing it", zap.String("executor_id", ex.id))
			a.killExecutorContainer(ex)
		}
		if !r.heartbeatAt.IsZero() && !now.Before(r.heartbeatAt) {
			r.heartbeatAt = now.Add(a.cfg.ExecutorHeartbeatInterval)
			if r.conn != nil {
				r.conn.send(&executorpb.Event{Type: executorpb.Event_HEARTBEAT.Enum()})
			}
		}
	})
}

// liveExecutorContainers counts custom executors whose process runs, so
// that Run waits for them before it returns.
func (a *Agent) liveExecutorContainers() int {
	n := 0
	a.eachCustomExecutor(func(ex *executor) {
		if ex.run.container != nil {
			n++
		}
	})
	return n
}
