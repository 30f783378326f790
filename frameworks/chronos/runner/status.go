package runner

import (
	"cmp"
	"slices"
	"time"

	"github.com/agoraproject/agora/frameworks/chronos/job"
)

func sortPending(ps []Pending) {
	slices.SortFunc(ps, func(a, b Pending) int {
		return cmp.Or(a.Run.Due.Compare(b.Run.Due), cmp.Compare(a.Run.TaskID, b.Run.TaskID))
	})
}

// find returns the job and run of a task ID in flight.
func (c *Core) find(taskID string) (*JobState, *Run) {
	id, err := job.ParseTaskID(taskID)
	if err != nil {
		return nil, nil
	}
	s := c.jobs[id.Job]
	if s == nil {
		return nil, nil
	}
	for _, r := range s.Runs {
		if r.TaskID == taskID {
			return s, r
		}
	}
	return s, nil
}

// Agent is where a run was placed.
type Agent struct {
	ID, Hostname, URL string
}

// Launched records that a queued run was placed on an agent and is about
// to be sent to the master. The shell persists this before it sends the
// launch, so that after a failover the run is reconciled, not relaunched.
func (c *Core) Launched(now time.Time, taskID string, a Agent) bool {
	s, r := c.find(taskID)
	if r == nil || r.Phase != Queued {
		return false
	}
	r.Phase, r.AgentID, r.Hostname, r.AgentURL, r.Started, r.Seen = Launched, a.ID, a.Hostname, a.URL, now, false
	c.dirty[s.Job.Name] = true
	return true
}

// Unlaunch puts a run whose launch the master did not take back in the
// queue.
func (c *Core) Unlaunch(taskID string) {
	if s, r := c.find(taskID); r != nil && r.Phase == Launched && !r.Seen {
		r.Phase, r.AgentID, r.Hostname, r.AgentURL = Queued, "", "", ""
		c.dirty[s.Job.Name] = true
	}
}

// TaskState is the part of a Mesos task state the runner distinguishes.
type TaskState int

const (
	TaskRunning  TaskState = iota // TASK_STAGING, STARTING, RUNNING, KILLING
	TaskFinished                  // TASK_FINISHED
	TaskFailed                    // FAILED, ERROR, LOST, DROPPED, GONE, KILLED, ...
	TaskUnknown                   // the master knows nothing of it (reconciliation)
)

// Status is one task status update, reduced to what the runner uses.
type Status struct {
	TaskID  string
	State   TaskState
	Name    string // the Mesos state's name, for the history
	Message string
	AgentID string
}

// Update applies a task status. It returns kills for tasks of jobs that no
// longer exist or runs that are no longer wanted.
func (c *Core) Update(now time.Time, st Status) []Decision {
	s, r := c.find(st.TaskID)
	if r == nil {
		if s == nil && st.State == TaskRunning {
			// A task of a deleted job (or one this state never knew):
			// nobody wants it.
			return []Decision{{Kind: Kill, TaskID: st.TaskID, AgentID: st.AgentID}}
		}
		return nil
	}
	if r.Phase != Launched && r.Phase != Running {
		return nil
	}
	c.dirty[s.Job.Name] = true
	switch st.State {
	case TaskRunning:
		r.Phase, r.Seen = Running, true
		if st.AgentID != "" {
			r.AgentID = st.AgentID
		}
		if r.Killing {
			return []Decision{{Kind: Kill, TaskID: r.TaskID, AgentID: r.AgentID}}
		}
		return nil
	case TaskUnknown:
		if !r.Seen && !r.Killing {
			// The launch never reached the master: place it again.
			r.Phase, r.AgentID, r.Hostname, r.AgentURL = Queued, "", "", ""
			return nil
		}
	}
	c.ended(s, r, now, st)
	return nil
}

// ended handles the terminal status of a run's current attempt.
func (c *Core) ended(s *JobState, r *Run, now time.Time, st Status) {
	rec := Record{
		TaskID: r.TaskID, JobName: s.Job.Name, SlaveID: r.AgentID, Hostname: r.Hostname, AgentURL: r.AgentURL,
		StartTime: Timestamp(r.Started), EndTime: Timestamp(now), TaskState: st.Name, Message: st.Message, Attempt: r.Attempt,
	}
	switch {
	case st.State == TaskFinished:
		rec.Status = "success"
	case r.Killing:
		rec.Status = "killed"
	default:
		rec.Status = "failure"
	}
	c.record(s, rec)
	switch rec.Status {
	case "success":
		c.removeRun(s, r)
		c.succeeded(s, now)
	case "killed":
		c.removeRun(s, r)
	default:
		if r.Attempt < s.Job.Retries {
			r.Attempt++
			r.Phase, r.NotBefore, r.Seen = Retrying, now.Add(c.cfg.FailureRetry), false
			r.AgentID, r.Hostname, r.AgentURL, r.Started = "", "", "", time.Time{}
			r.TaskID = c.taskID(s, r)
			return
		}
		c.removeRun(s, r)
		c.failed(s, now)
	}
}

// removeRun drops r and lets a deferred run take the job's slot.
func (c *Core) removeRun(s *JobState, r *Run) {
	s.Runs = slices.DeleteFunc(s.Runs, func(x *Run) bool { return x == r })
	if !s.Job.Concurrent && !slices.ContainsFunc(s.Runs, (*Run).active) {
		for _, d := range s.Runs {
			if d.Phase == Deferred {
				d.Phase = Queued
				break
			}
		}
	}
}

func (c *Core) succeeded(s *JobState, now time.Time) {
	s.Job.SuccessCount++
	s.Job.LastSuccess = Timestamp(now)
	s.Job.ErrorsSinceLastSuccess = 0
	c.dirty[s.Job.Name] = true
	c.dagDirty = true
	for _, child := range c.progress.Succeeded(c.Graph(), s.Job.Name) {
		c.triggerDependent(child, now)
	}
}

// failed counts a run that failed on every attempt. A softError job's
// failures are counted and kept in the history but never disable it.
func (c *Core) failed(s *JobState, now time.Time) {
	s.Job.ErrorCount++
	s.Job.LastError = Timestamp(now)
	s.Job.ErrorsSinceLastSuccess++
	if n := c.cfg.DisableAfterFailures; n > 0 && !s.Job.SoftError && s.Job.ErrorsSinceLastSuccess >= int64(n) {
		s.Job.Disabled = true
	}
}

func (c *Core) record(s *JobState, rec Record) {
	s.History = append(s.History, rec)
	if over := len(s.History) - c.cfg.TaskHistory; over > 0 {
		s.History = slices.Delete(s.History, 0, over)
	}
}
