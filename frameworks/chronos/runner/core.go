package runner

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/agoraproject/agora/frameworks/chronos/dag"
	"github.com/agoraproject/agora/frameworks/chronos/job"
	"github.com/agoraproject/agora/frameworks/chronos/schedule"
)

// Config holds the runner's policies.
type Config struct {
	// FailureRetry is the wait before a failed attempt is retried
	// (--failure_retry; default 60s).
	FailureRetry time.Duration
	// DisableAfterFailures disables a job after this many failed runs in a
	// row, each after its retries (--disable_after_failures; 0 = never).
	DisableAfterFailures int
	// TaskHistory bounds each job's kept history (--task_history; default 50).
	TaskHistory int
}

// WithDefaults fills unset fields.
func (c Config) WithDefaults() Config {
	if c.FailureRetry == 0 {
		c.FailureRetry = 60 * time.Second
	}
	if c.TaskHistory == 0 {
		c.TaskHistory = 50
	}
	return c
}

// Validate reports what is wrong with c.
func (c Config) Validate() error {
	var errs []error
	if c.FailureRetry < 0 {
		errs = append(errs, fmt.Errorf("failure_retry %v is negative", c.FailureRetry))
	}
	if c.DisableAfterFailures < 0 {
		errs = append(errs, fmt.Errorf("disable_after_failures %d is negative", c.DisableAfterFailures))
	}
	if c.TaskHistory < 0 {
		errs = append(errs, fmt.Errorf("task_history %d is negative", c.TaskHistory))
	}
	return errors.Join(errs...)
}

// Kind of a Decision.
type Kind string

const (
	// Kill the task (a run of a deleted job, or killed through the API).
	Kill Kind = "kill"
	// Reconcile asks the master for the task's latest status (restored
	// runs that may or may not have reached it).
	Reconcile Kind = "reconcile"
)

// Decision is one thing the shell must do besides launching queued runs.
type Decision struct {
	Kind    Kind
	TaskID  string
	AgentID string
}

// Errors the API maps to HTTP statuses.
var (
	ErrNotFound = errors.New("job not found")
	ErrInvalid  = errors.New("invalid job")
)

// Core holds all jobs' state.
type Core struct {
	cfg      Config
	jobs     map[string]*JobState
	graph    *dag.Graph // nil when stale: rebuilt on first use
	progress dag.Progress
	dirty    map[string]bool // job names to persist (deleted ones too)
	dagDirty bool
}

// New returns an empty core.
func New(cfg Config) *Core {
	return &Core{
		cfg:      cfg.WithDefaults(),
		jobs:     map[string]*JobState{},
		progress: dag.Progress{},
		dirty:    map[string]bool{},
	}
}

// Job returns a job's state; the caller must not change it.
func (c *Core) Job(name string) (*JobState, bool) {
	s, ok := c.jobs[name]
	return s, ok
}

// Names lists the jobs, sorted.
func (c *Core) Names() []string {
	out := make([]string, 0, len(c.jobs))
	for n := range c.jobs {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// Graph is the current dependency graph.
func (c *Core) Graph() *dag.Graph {
	if c.graph == nil {
		c.graph = dag.New(c.edges())
	}
	return c.graph
}

// Progress is the current dependency progress; the caller must not change it.
func (c *Core) Progress() dag.Progress { return c.progress }

// Put creates or replaces a job, already validated for its kind. A
// scheduled job's schedule is parsed at now and stored in its canonical
// form, so a start left empty ("R//PT1H") means this moment for good.
// Replacing keeps the counters, history and runs in flight; a new schedule
// starts its progress afresh. Parents must exist and must not form a cycle.
func (c *Core) Put(now time.Time, j job.Job) error {
	j = j.Clone()
	var sched schedule.Schedule
	if len(j.Parents) == 0 {
		var err error
		if sched, err = schedule.Parse(j.Schedule, j.ScheduleTimeZone, now); err != nil {
			return fmt.Errorf("%w: schedule: %v", ErrInvalid, err)
		}
		j.Schedule = sched.String()
	} else {
		j.Schedule = ""
		var missing []string
		for _, p := range j.Parents {
			if _, ok := c.jobs[p]; !ok {
				missing = append(missing, p)
			}
		}
		if len(missing) > 0 {
			return fmt.Errorf("%w: parents: no such job: %s", ErrInvalid, strings.Join(missing, ", "))
		}
		edges := c.edges()
		edges[j.Name] = j.Parents
		if err := dag.New(edges).FindCycle(); err != nil {
			return fmt.Errorf("%w: parents: %v", ErrInvalid, err)
		}
	}
	s, exists := c.jobs[j.Name]
	if !exists {
		s = &JobState{}
		c.jobs[j.Name] = s
	} else {
		// The runner owns the counters; a client cannot reset them.
		old := s.Job
		j.SuccessCount, j.ErrorCount, j.ErrorsSinceLastSuccess = old.SuccessCount, old.ErrorCount, old.ErrorsSinceLastSuccess
		j.LastSuccess, j.LastError = old.LastSuccess, old.LastError
		if old.Schedule == j.Schedule && old.ScheduleTimeZone == j.ScheduleTimeZone {
			sched, j.Schedule = s.sched, old.Schedule
		} else {
			s.NextIndex = 0
		}
	}
	s.Job, s.sched = j, sched
	c.setNext(s)
	c.rebuildGraph()
	c.dirty[j.Name] = true
	return nil
}

func (c *Core) edges() map[string][]string {
	e := make(map[string][]string, len(c.jobs))
	for n, s := range c.jobs {
		e[n] = s.Job.Parents
	}
	return e
}

// rebuildGraph marks the graph stale; building it costs O(jobs), so
// adding 10,000 scheduled jobs must not build it 10,000 times.
func (c *Core) rebuildGraph() { c.graph = nil }

// setNext caches when s's next occurrence is.
func (c *Core) setNext(s *JobState) {
	s.nextAt = time.Time{}
	if !s.Job.Scheduled() {
		return
	}
	if s.sched.Repeats >= 0 && s.NextIndex >= s.sched.Repeats {
		return
	}
	s.nextAt = s.sched.At(s.NextIndex)
}

// Delete removes a job: its runs in flight are killed, and it stops
// gating its children, which keep their other parents (with none left
// they run only when started by hand).
func (c *Core) Delete(now time.Time, name string) ([]Decision, error) {
	s, ok := c.jobs[name]
	if !ok {
		return nil, ErrNotFound
	}
	children := c.Graph().Children(name)
	ds := c.killRuns(s)
	delete(c.jobs, name)
	c.dirty[name] = true
	for _, child := range children {
		cs := c.jobs[child]
		cs.Job.Parents = slices.DeleteFunc(slices.Clone(cs.Job.Parents), func(p string) bool { return p == name })
		c.dirty[child] = true
	}
	c.progress.Forget(name)
	c.dagDirty = true
	c.rebuildGraph()
	for _, child := range children {
		if c.progress.Ready(c.Graph(), child) {
			c.triggerDependent(child, now)
		}
	}
	return ds, nil
}

// killRuns asks for every launched run of s to be killed and drops those
// not launched yet.
func (c *Core) killRuns(s *JobState) []Decision {
	var ds []Decision
	kept := s.Runs[:0]
	for _, r := range s.Runs {
		switch r.Phase {
		case Launched, Running:
			r.Killing = true
			ds = append(ds, Decision{Kind: Kill, TaskID: r.TaskID, AgentID: r.AgentID})
			kept = append(kept, r)
		}
	}
	s.Runs = kept
	c.dirty[s.Job.Name] = true
	return ds
}

// KillTasks kills a job's runs in flight (DELETE /scheduler/task/kill).
func (c *Core) KillTasks(name string) ([]Decision, error) {
	s, ok := c.jobs[name]
	if !ok {
		return nil, ErrNotFound
	}
	return c.killRuns(s), nil
}

// RunNow starts a run at once (PUT /scheduler/job/{name}), disabled or
// not. arguments, when not nil, replace the job's arguments for this run.
func (c *Core) RunNow(now time.Time, name string, arguments []string) error {
	s, ok := c.jobs[name]
	if !ok {
		return ErrNotFound
	}
	if arguments == nil {
		arguments = s.Job.Arguments
	}
	c.trigger(s, now, arguments)
	return nil
}

// MarkSuccess records a successful run that happened outside the
// scheduler (PUT /scheduler/job/success/{name}): the counters move and
// the job's children may become ready.
func (c *Core) MarkSuccess(now time.Time, name string) error {
	s, ok := c.jobs[name]
	if !ok {
		return ErrNotFound
	}
	c.succeeded(s, now)
	return nil
}

// trigger adds a run of s for due. A job that is not concurrent gets at
// most one run at a time: a trigger while one is active is deferred, and
// further triggers collapse into that deferred run.
func (c *Core) trigger(s *JobState, due time.Time, arguments []string) {
	phase := Queued
	if !s.Job.Concurrent && slices.ContainsFunc(s.Runs, (*Run).active) {
		if slices.ContainsFunc(s.Runs, func(r *Run) bool { return r.Phase == Deferred }) {
			return
		}
		phase = Deferred
	}
	r := &Run{Due: due, Arguments: slices.Clone(arguments), Phase: phase}
	r.TaskID = c.taskID(s, r)
	s.Runs = append(s.Runs, r)
	c.dirty[s.Job.Name] = true
}

func (c *Core) taskID(s *JobState, r *Run) string {
	return job.TaskID{Due: r.Due, Attempt: r.Attempt, Job: s.Job.Name, Arguments: strings.Join(r.Arguments, " ")}.String()
}

// triggerDependent runs a child whose parents have all succeeded.
func (c *Core) triggerDependent(name string, now time.Time) {
	s := c.jobs[name]
	c.progress.Started(name)
	c.dagDirty = true
	if s.Job.Disabled {
		return
	}
	c.trigger(s, now, s.Job.Arguments)
}
