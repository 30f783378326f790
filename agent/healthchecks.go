package agent

import (
	"context"
	"errors"
	"fmt"
	"net"

	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/agent/health"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// Health checks of the tasks the agent runs itself (command tasks and the
// tasks of groups), as Mesos's command and default executors run them.
// The checker (agent/health) runs in a goroutine per task from TASK_RUNNING
// on and posts its reports to the loop, which sends each as a TASK_RUNNING
// update with `healthy` set and reason REASON_TASK_HEALTH_CHECK_STATUS_UPDATED
// through the status update manager, so it is retried until acknowledged.
// When the failures reach consecutive_failures the loop kills the task
// (TASK_KILLING, then TASK_KILLED with healthy=false) and stops checking.

// taskHealth is the health checker of one task.
type taskHealth struct {
	cancel context.CancelFunc
	// killed is set when the checker asked for the kill: the terminal
	// update then says healthy=false, as Mesos's executors do.
	killed bool
}

// healthReported carries a checker's report to the loop (a loopMsg).
type healthReported struct {
	key    taskKey
	health *taskHealth // stale when the task has another (or no) checker
	report health.Report
}

// invalidTaskError marks a launch refused because the task itself is
// wrong: it ends in TASK_ERROR rather than TASK_FAILED.
type invalidTaskError struct{ err error }

func (e *invalidTaskError) Error() string { return e.err.Error() }
func (e *invalidTaskError) Unwrap() error { return e.err }

// checkHealthCheck validates a task's health check before it launches.
func checkHealthCheck(t *task) error {
	if err := health.Validate(t.info.GetHealthCheck()); err != nil {
		return &invalidTaskError{fmt.Errorf("task %s has an invalid health check: %w", t.key.task, err)}
	}
	return nil
}

// isInvalidTask reports whether a launch failed because of the task itself.
func isInvalidTask(err error) bool {
	var invalid *invalidTaskError
	return errors.As(err, &invalid)
}

// statusOption adjusts a status update before it is queued.
type statusOption func(*mesos.TaskStatus)

func withHealthy(healthy bool) statusOption {
	return func(st *mesos.TaskStatus) { st.Healthy = proto.Bool(healthy) }
}

// startHealthCheck starts checking t, which just became RUNNING, if its
// TaskInfo asks for it.
func (a *Agent) startHealthCheck(t *task) {
	hc := t.info.GetHealthCheck()
	if hc == nil || t.health != nil {
		return
	}
	log := a.log.With(zap.String("framework_id", t.key.framework), zap.String("task_id", t.key.task))
	env, err := a.environment(t)
	var p health.Prober
	if err == nil {
		p, err = health.NewProber(hc, checkedTask(t, env, a.commandUser(t.info.GetCommand(), t.key.framework)))
	}
	if err != nil {
		// Both were checked at launch, so this cannot happen; a task
		// without its checks beats a task killed for a bug of the agent.
		log.Error("cannot start health checks", zap.Error(err))
		return
	}
	ctx, cancel := context.WithCancel(a.runCtx)
	h := &taskHealth{cancel: cancel}
	t.health = h
	key, spec, clk := t.key, health.SpecOf(hc), a.clock
	go health.Run(ctx, spec, p, clk, func(r health.Report) {
		a.post(healthReported{key: key, health: h, report: r})
	})
	log.Info("health checks started", zap.Stringer("type", spec.Type), zap.Duration("delay", spec.Delay),
		zap.Duration("interval", spec.Interval), zap.Int("consecutive_failures", spec.ConsecutiveFailures))
}

// checkedTask describes t to its prober. A container that has a network
// or a filesystem of its own (Docker) runs the checks inside itself: its
// containerizer's container dials and execs there.
func checkedTask(t *task, env []string, user string) health.Task {
	ht := health.Task{Sandbox: t.sandbox, Env: env, User: user}
	if c, ok := t.container.(interface {
		DialContext(ctx context.Context, network, address string) (net.Conn, error)
	}); ok {
		ht.Dial = c.DialContext
	}
	if c, ok := t.container.(interface {
		Exec(ctx context.Context, argv, env []string) ([]byte, int, error)
	}); ok {
		ht.Exec = c.Exec
	}
	return ht
}

// apply turns a checker's report into a status update, and kills the task
// when the report says so.
func (m healthReported) apply(a *Agent) {
	t := a.tasks[m.key]
	// A task being killed or gone gets no more health updates: a
	// TASK_RUNNING after TASK_KILLING would contradict it.
	if t == nil || t.health != m.health || !t.live() || t.killRequested || t.state != mesos.TaskState_TASK_RUNNING {
		return
	}
	r := m.report
	log := a.log.With(zap.String("framework_id", t.key.framework), zap.String("task_id", t.key.task))
	if r.Healthy {
		log.Info("task is healthy")
	} else {
		log.Warn("health check failed", zap.Int("consecutive_failures", r.ConsecutiveFailures), zap.String("message", r.Message))
	}
	reason := mesos.TaskStatus_REASON_TASK_HEALTH_CHECK_STATUS_UPDATED
	a.update(t, mesos.TaskState_TASK_RUNNING, mesos.TaskStatus_SOURCE_EXECUTOR, &reason, r.Message, withHealthy(r.Healthy))
	if r.Kill {
		log.Warn("killing the task after consecutive failed health checks", zap.Int("failures", r.ConsecutiveFailures))
		t.health.killed = true
		t.health.cancel() // as Mesos pauses checks once it kills
		a.killTask(t, nil, true)
	}
}

// stopHealthCheck stops checking t; its container has exited.
func (a *Agent) stopHealthCheck(t *task) {
	if t.health != nil {
		t.health.cancel()
	}
}

// healthOnExit is what t's terminal update says about its health.
func healthOnExit(t *task) []statusOption {
	if t.health != nil && t.health.killed {
		return []statusOption{withHealthy(false)}
	}
	return nil
}
