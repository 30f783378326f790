package agent

// The end of a task's container and the status update it brings.

import (
	"time"

	"go.uber.org/zap"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

func (a *Agent) exited(m exited) {
	t := a.tasks[m.key]
	if t == nil || t.container != m.container {
		return
	}
	t.exited, t.killDeadline = true, time.Time{}
	a.dirty = true
	st := m.status
	var (
		state  mesos.TaskState
		source = mesos.TaskStatus_SOURCE_EXECUTOR
		reason *mesos.TaskStatus_Reason
		msg    = st.String()
	)
	switch {
	case m.err != nil:
		state, source = mesos.TaskState_TASK_FAILED, mesos.TaskStatus_SOURCE_AGENT
		reason = mesos.TaskStatus_REASON_EXECUTOR_TERMINATED.Enum()
		msg = "Failed to wait for the container: " + m.err.Error()
	case t.killedDuringLaunch:
		state, reason, msg = mesos.TaskState_TASK_KILLED, mesos.TaskStatus_REASON_TASK_KILLED_DURING_LAUNCH.Enum(), "Task killed during launch"
	case t.killRequested:
		state = mesos.TaskState_TASK_KILLED
	case st.Message != "":
		// The containerizer ended it (a memory limit, for example).
		state, source, reason = mesos.TaskState_TASK_FAILED, mesos.TaskStatus_SOURCE_AGENT, st.Reason.Enum()
	case st.Success():
		state = mesos.TaskState_TASK_FINISHED
	default:
		state, reason = mesos.TaskState_TASK_FAILED, mesos.TaskStatus_REASON_COMMAND_EXECUTOR_FAILED.Enum()
	}
	a.log.Info("task exited", zap.String("framework_id", t.key.framework), zap.String("task_id", t.key.task),
		zap.Stringer("state", state), zap.String("message", msg))
	a.stopHealthCheck(t)
	a.update(t, state, source, reason, msg, healthOnExit(t)...)
	if t.executor.info != nil && (state == mesos.TaskState_TASK_FAILED || state == mesos.TaskState_TASK_KILLED) {
		// Default executor semantics: a group lives and dies together.
		for _, s := range t.executor.tasks {
			if s.group == t.group && s.live() {
				a.killTask(s, nil, true)
			}
		}
	}
}
