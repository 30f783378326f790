// Package cluster holds the master's pure rules about tasks: which state
// changes are legal and which states are terminal. It keeps no state and does
// no I/O; the master's event loop applies these rules to its records.
package cluster

import mesos "github.com/agoraproject/agora/proto/mesos/v1"

// IsTerminal reports whether a task in state s will never run again, so its
// resources can be released.
func IsTerminal(s mesos.TaskState) bool {
	switch s {
	case mesos.TaskState_TASK_FINISHED,
		mesos.TaskState_TASK_FAILED,
		mesos.TaskState_TASK_KILLED,
		mesos.TaskState_TASK_ERROR,
		mesos.TaskState_TASK_LOST,
		mesos.TaskState_TASK_DROPPED,
		mesos.TaskState_TASK_GONE,
		mesos.TaskState_TASK_GONE_BY_OPERATOR:
		return true
	}
	return false
}

// ValidTransition reports whether a task may move from state from to state
// to. States only move forward: a terminal state is final, and a task never
// goes back to STAGING or STARTING once it has run. TASK_UNREACHABLE is not
// terminal: the task may be seen again when its agent reregisters.
func ValidTransition(from, to mesos.TaskState) bool {
	if IsTerminal(from) {
		return false
	}
	if from == to {
		// Repeated RUNNING updates carry fresh health or check data.
		return from == mesos.TaskState_TASK_RUNNING || from == mesos.TaskState_TASK_UNREACHABLE
	}
	switch to {
	case mesos.TaskState_TASK_STAGING:
		return false
	case mesos.TaskState_TASK_STARTING:
		return from == mesos.TaskState_TASK_STAGING
	case mesos.TaskState_TASK_UNKNOWN:
		// UNKNOWN is only ever reported by reconciliation, never stored.
		return false
	}
	return true
}
