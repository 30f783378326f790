package runner

import (
	"time"

	"github.com/agoraproject/agora/frameworks/chronos/job"
)

// Tick fires the schedules due at now and queues the retries whose wait
// is over. Occurrences missed since the last tick (a leader was down)
// collapse into one run of the latest; with an epsilon set, an occurrence
// older than now minus epsilon is skipped instead, as Chronos does. A
// disabled job's occurrences pass without running.
func (c *Core) Tick(now time.Time) {
	for _, s := range c.jobs {
		if !s.nextAt.IsZero() && !s.nextAt.After(now) {
			c.fire(s, now)
		}
		for _, r := range s.Runs {
			if r.Phase == Retrying && !r.NotBefore.After(now) {
				r.Phase = Queued
				c.dirty[s.Job.Name] = true
			}
		}
	}
}

func (c *Core) fire(s *JobState, now time.Time) {
	idx, ok := s.sched.Due(now)
	if !ok || idx < s.NextIndex {
		return
	}
	at := s.sched.At(idx)
	s.NextIndex = idx + 1
	c.setNext(s)
	c.dirty[s.Job.Name] = true
	if s.Job.Disabled {
		return
	}
	if s.Job.Epsilon != "" {
		if eps, err := job.ParseDuration(s.Job.Epsilon); err == nil && now.Sub(at) > eps {
			return
		}
	}
	c.trigger(s, at, s.Job.Arguments)
}

// NextWake is when Tick has something to do next: the earliest next
// occurrence or retry; ok is false when nothing is pending.
func (c *Core) NextWake() (t time.Time, ok bool) {
	consider := func(at time.Time) {
		if !at.IsZero() && (!ok || at.Before(t)) {
			t, ok = at, true
		}
	}
	for _, s := range c.jobs {
		consider(s.nextAt) // a disabled job's occurrences pass too, keeping progress current
		for _, r := range s.Runs {
			if r.Phase == Retrying {
				consider(r.NotBefore)
			}
		}
	}
	return t, ok
}

// Pending is a queued run and its job, for the shell to place on an offer.
type Pending struct {
	Job *job.Job
	Run *Run
}

// Queue lists the runs waiting for an offer, oldest due first.
func (c *Core) Queue() []Pending {
	var out []Pending
	for _, s := range c.jobs {
		for _, r := range s.Runs {
			if r.Phase == Queued {
				out = append(out, Pending{Job: &s.Job, Run: r})
			}
		}
	}
	sortPending(out)
	return out
}

// Waiting reports whether any run waits for an offer.
func (c *Core) Waiting() bool {
	for _, s := range c.jobs {
		for _, r := range s.Runs {
			if r.Phase == Queued {
				return true
			}
		}
	}
	return false
}
