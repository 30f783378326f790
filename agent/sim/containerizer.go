package sim

import (
	"errors"
	"math/rand/v2"
	"sort"
	"time"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// ContainerizerConfig shapes every simulated task's life.
type ContainerizerConfig struct {
	// LaunchDelay passes between RUN_TASK and TASK_STARTING/TASK_RUNNING
	// (fetching and starting a container).
	LaunchDelay time.Duration
	// TaskDuration is how long a task runs before it ends; 0 runs it until
	// it is killed.
	TaskDuration time.Duration
	// FailureRate is the probability in [0, 1] that a task ends in
	// TASK_FAILED rather than TASK_FINISHED.
	FailureRate float64
}

// Validate names the field that is out of range.
func (c ContainerizerConfig) Validate() error {
	var errs []error
	if c.LaunchDelay < 0 {
		errs = append(errs, errors.New("launch_delay: must not be negative"))
	}
	if c.TaskDuration < 0 {
		errs = append(errs, errors.New("task_duration: must not be negative"))
	}
	if !(c.FailureRate >= 0 && c.FailureRate <= 1) {
		errs = append(errs, errors.New("failure_rate: must be between 0 and 1"))
	}
	return errors.Join(errs...)
}

// Transition is a task state change the containerizer reports.
type Transition struct {
	FrameworkID, TaskID string
	State               mesos.TaskState
	// Reason (nil: none) and Message explain failures and kills.
	Reason  *mesos.TaskStatus_Reason
	Message string
}

// Containerizer is one simulated agent's containers: a pure core that
// holds each task's next state change and returns those that are due. It
// starts no goroutines and never reads the clock; outcomes are drawn from
// the random source it is given, one draw per launch. Not safe for
// concurrent use.
type Containerizer struct {
	cfg        ContainerizerConfig
	rng        *rand.Rand
	seq        uint64
	containers map[taskKey]*container
}

type taskKey struct{ framework, task string }

// container is a task between its launch and its terminal state.
type container struct {
	key     taskKey
	seq     uint64 // launch order, to break ties between equal times
	running bool
	next    time.Time // when the next change is due; zero = never
	fail    bool      // the outcome, drawn at launch
}

// NewContainerizer returns a Containerizer with no containers. cfg must be
// valid.
func NewContainerizer(cfg ContainerizerConfig, rng *rand.Rand) *Containerizer {
	return &Containerizer{cfg: cfg, rng: rng, containers: map[taskKey]*container{}}
}

// Launch starts a container for the task; it reports TASK_STARTING and
// TASK_RUNNING at now+LaunchDelay. It returns false if the task already
// has a container.
func (c *Containerizer) Launch(frameworkID, taskID string, now time.Time) bool {
	key := taskKey{frameworkID, taskID}
	if c.containers[key] != nil {
		return false
	}
	c.seq++
	fail := c.cfg.FailureRate > 0 && c.rng.Float64() < c.cfg.FailureRate
	c.containers[key] = &container{key: key, seq: c.seq, next: now.Add(c.cfg.LaunchDelay), fail: fail}
	return true
}

// Kill ends the task's container at once with TASK_KILLED. ok is false if
// the task has no container (unknown, or already ended).
func (c *Containerizer) Kill(frameworkID, taskID string) (t Transition, ok bool) {
	key := taskKey{frameworkID, taskID}
	ct := c.containers[key]
	if ct == nil {
		return Transition{}, false
	}
	delete(c.containers, key)
	t = Transition{FrameworkID: frameworkID, TaskID: taskID, State: mesos.TaskState_TASK_KILLED, Message: "Killed by the framework"}
	if !ct.running {
		t.Reason = mesos.TaskStatus_REASON_TASK_KILLED_DURING_LAUNCH.Enum()
	}
	return t, true
}

// Due returns the transitions due at now, oldest first (ties in launch
// order), and forgets containers that ended.
func (c *Containerizer) Due(now time.Time) []Transition {
	var due []*container
	for _, ct := range c.containers {
		if !ct.next.IsZero() && !now.Before(ct.next) {
			due = append(due, ct)
		}
	}
	sort.Slice(due, func(i, j int) bool {
		if !due[i].next.Equal(due[j].next) {
			return due[i].next.Before(due[j].next)
		}
		return due[i].seq < due[j].seq
	})
	var out []Transition
	for _, ct := range due {
		fid, tid := ct.key.framework, ct.key.task
		if !ct.running {
			out = append(out,
				Transition{FrameworkID: fid, TaskID: tid, State: mesos.TaskState_TASK_STARTING},
				Transition{FrameworkID: fid, TaskID: tid, State: mesos.TaskState_TASK_RUNNING})
			// The run is timed from when the task started, not from when
			// the caller got round to asking.
			started := ct.next
			ct.running, ct.next = true, time.Time{}
			if c.cfg.TaskDuration > 0 {
				ct.next = started.Add(c.cfg.TaskDuration)
			}
			continue
		}
		delete(c.containers, ct.key)
		if ct.fail {
			out = append(out, Transition{FrameworkID: fid, TaskID: tid, State: mesos.TaskState_TASK_FAILED,
				Reason: mesos.TaskStatus_REASON_COMMAND_EXECUTOR_FAILED.Enum(), Message: "Command exited with status 1 (simulated failure)"})
		} else {
			out = append(out, Transition{FrameworkID: fid, TaskID: tid, State: mesos.TaskState_TASK_FINISHED,
				Message: "Command exited with status 0"})
		}
	}
	return out
}

// Next returns when the earliest change is due; ok is false when no
// container will change on its own.
func (c *Containerizer) Next() (at time.Time, ok bool) {
	for _, ct := range c.containers {
		if !ct.next.IsZero() && (!ok || ct.next.Before(at)) {
			at, ok = ct.next, true
		}
	}
	return at, ok
}

// Len returns the number of live containers.
func (c *Containerizer) Len() int { return len(c.containers) }
