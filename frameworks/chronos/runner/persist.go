package runner

import (
	"maps"
	"slices"
	"time"

	"github.com/agoraproject/agora/frameworks/chronos/dag"
	"github.com/agoraproject/agora/frameworks/chronos/schedule"
)

// Dirty returns what changed since the last call: the jobs whose record
// must be written (or deleted, when Job no longer finds them) and whether
// the dependency progress must be written. It resets the set.
func (c *Core) Dirty() (jobs []string, progress bool) {
	jobs = slices.Sorted(maps.Keys(c.dirty))
	clear(c.dirty)
	progress, c.dagDirty = c.dagDirty, false
	return jobs, progress
}

// Restore loads persisted state into an empty core. Runs that may have
// reached the master (launched or running) are not relaunched: Restore
// returns a Reconcile decision for each, and their next status decides.
// Jobs whose schedule no longer parses are dropped and named in bad.
func (c *Core) Restore(now time.Time, states []*JobState, progress dag.Progress) (ds []Decision, bad []string) {
	for _, s := range states {
		if len(s.Job.Parents) == 0 {
			// Put stored the schedule with its start resolved, so now
			// fills nothing in and NextIndex still names the same
			// occurrence.
			sched, err := schedule.Parse(s.Job.Schedule, s.Job.ScheduleTimeZone, now)
			if err != nil {
				bad = append(bad, s.Job.Name)
				continue
			}
			s.sched = sched
		}
		c.jobs[s.Job.Name] = s
		c.setNext(s)
		for _, r := range s.Runs {
			if r.Phase == Launched || r.Phase == Running {
				ds = append(ds, Decision{Kind: Reconcile, TaskID: r.TaskID, AgentID: r.AgentID})
			}
		}
	}
	if progress != nil {
		c.progress = progress
	}
	c.rebuildGraph()
	return ds, bad
}

// InFlight lists the tasks the master may know of, for reconciliation
// after a resubscription.
func (c *Core) InFlight() []Decision {
	var ds []Decision
	for _, n := range c.Names() {
		for _, r := range c.jobs[n].Runs {
			if r.Phase == Launched || r.Phase == Running {
				ds = append(ds, Decision{Kind: Reconcile, TaskID: r.TaskID, AgentID: r.AgentID})
			}
		}
	}
	return ds
}

// Redirty marks jobs (and the progress) to be persisted again, after the
// shell failed to write them.
func (c *Core) Redirty(jobs []string, progress bool) {
	for _, n := range jobs {
		c.dirty[n] = true
	}
	c.dagDirty = c.dagDirty || progress
}
