package cluster

import (
	"testing"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

func TestValidTransition(t *testing.T) {
	const (
		staging     = mesos.TaskState_TASK_STAGING
		starting    = mesos.TaskState_TASK_STARTING
		running     = mesos.TaskState_TASK_RUNNING
		killing     = mesos.TaskState_TASK_KILLING
		finished    = mesos.TaskState_TASK_FINISHED
		failed      = mesos.TaskState_TASK_FAILED
		lost        = mesos.TaskState_TASK_LOST
		unreachable = mesos.TaskState_TASK_UNREACHABLE
		unknown     = mesos.TaskState_TASK_UNKNOWN
	)
	cases := []struct {
		from, to mesos.TaskState
		want     bool
	}{
		{staging, starting, true},
		{staging, running, true},
		{starting, running, true},
		{running, killing, true},
		{killing, finished, true},
		{running, running, true},
		{running, starting, false},
		{running, staging, false},
		{finished, running, false},
		{failed, failed, false},
		{lost, running, false},
		{running, unreachable, true},
		{unreachable, running, true},
		{unreachable, lost, true},
		{running, unknown, false},
		{staging, staging, false},
	}
	for _, c := range cases {
		if got := ValidTransition(c.from, c.to); got != c.want {
			t.Errorf("ValidTransition(%v, %v) = %v, want %v", c.from, c.to, got, c.want)
		}
	}
}

func TestIsTerminal(t *testing.T) {
	for s := range mesos.TaskState_name {
		st := mesos.TaskState(s)
		want := false
		switch st {
		case mesos.TaskState_TASK_FINISHED, mesos.TaskState_TASK_FAILED, mesos.TaskState_TASK_KILLED,
			mesos.TaskState_TASK_ERROR, mesos.TaskState_TASK_LOST, mesos.TaskState_TASK_DROPPED,
			mesos.TaskState_TASK_GONE, mesos.TaskState_TASK_GONE_BY_OPERATOR:
			want = true
		}
		if IsTerminal(st) != want {
			t.Errorf("IsTerminal(%v) = %v, want %v", st, !want, want)
		}
	}
}
