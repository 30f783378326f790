package runner

import (
	"slices"
	"time"

	"github.com/agoraproject/agora/frameworks/chronos/job"
)

// JobView is a copy of one job's state for readers outside the loop.
type JobView struct {
	// Job, its counters current and, for a scheduled job, Schedule the
	// remaining schedule from the next occurrence on, as Chronos shows it.
	Job     job.Job
	Status  string // fresh, success or failure (the latest run)
	State   string // idle, queued or running
	NextRun time.Time
	Running []string // task IDs launched or running
	History []Record
}

// View copies the state of the named job.
func (c *Core) View(name string) (JobView, bool) {
	s, ok := c.jobs[name]
	if !ok {
		return JobView{}, false
	}
	v := JobView{Job: s.Job.Clone(), Status: s.LastStatus(), State: s.Status(), NextRun: s.nextAt, History: slices.Clone(s.History)}
	if s.Job.Scheduled() {
		v.Job.Schedule = s.RemainingSchedule()
	}
	for _, r := range s.Runs {
		if r.Phase == Launched || r.Phase == Running {
			v.Running = append(v.Running, r.TaskID)
		}
	}
	return v, true
}

// Views copies every job's state, sorted by name.
func (c *Core) Views() []JobView {
	out := make([]JobView, 0, len(c.jobs))
	for _, n := range c.Names() {
		v, _ := c.View(n)
		out = append(out, v)
	}
	return out
}
