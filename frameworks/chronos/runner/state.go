// Package runner is the pure core of the Chronos framework: given the jobs,
// their runtime state, the current time and what happened (a tick, a task
// status, an API request), it decides which runs to launch, retry, kill or
// reconcile, and keeps each job's counters, history, schedule progress and
// dependency progress.
//
// It has no goroutines, no I/O and no clock: every method takes now, and
// what the shell must do comes back as data (Decisions, the queue of runs
// waiting for offers, the set of records to persist). It is not safe for
// concurrent use; the shell's one goroutine owns it.
package runner

import (
	"time"

	"github.com/agoraproject/agora/frameworks/chronos/job"
	"github.com/agoraproject/agora/frameworks/chronos/schedule"
)

// Phase is where one run of a job stands.
type Phase string

const (
	// Deferred: triggered while another run of a non-concurrent job is
	// active; it becomes Queued when that run ends.
	Deferred Phase = "deferred"
	// Retrying: a failed attempt waits until NotBefore to be queued again.
	Retrying Phase = "retrying"
	// Queued: waiting for an offer.
	Queued Phase = "queued"
	// Launched: handed to the master; no status seen yet.
	Launched Phase = "launched"
	// Running: the agent reported it running.
	Running Phase = "running"
)

// Run is one run of a job across its attempts.
type Run struct {
	TaskID    string    `json:"taskId"`
	Due       time.Time `json:"due"`
	Attempt   int       `json:"attempt"`
	Arguments []string  `json:"arguments"`
	Phase     Phase     `json:"phase"`
	NotBefore time.Time `json:"notBefore,omitzero"`
	AgentID   string    `json:"agentId,omitempty"`
	Hostname  string    `json:"hostname,omitempty"`
	AgentURL  string    `json:"agentUrl,omitempty"`
	Started   time.Time `json:"started,omitzero"`
	// Seen is set once any status of the current attempt arrived, so an
	// "unknown task" answer tells a launch that never reached the master
	// (queue again) from a task that was lost (a failure).
	Seen bool `json:"seen,omitempty"`
	// Killing is set when the user asked for the run to be killed: its end
	// is not a failure and is not retried.
	Killing bool `json:"killing,omitempty"`
}

// active reports whether the run holds the job's one slot when the job is
// not concurrent.
func (r *Run) active() bool { return r.Phase != Deferred }

// Record is one ended attempt, as /scheduler/job/stat shows it.
type Record struct {
	TaskID    string `json:"taskId"`
	JobName   string `json:"jobName"`
	SlaveID   string `json:"slaveId"`
	Hostname  string `json:"hostname"`
	AgentURL  string `json:"agentUrl,omitempty"`
	StartTime string `json:"startTime"`
	EndTime   string `json:"endTime"`
	Status    string `json:"status"` // success, failure or killed
	TaskState string `json:"taskState"`
	Message   string `json:"message"`
	Attempt   int    `json:"attempt"`
}

// JobState is everything kept about one job: its definition (with the
// counters the runner writes), schedule progress, runs in flight and
// recent history. It is what the shell persists, one record per job.
type JobState struct {
	Job       job.Job  `json:"job"`
	NextIndex int      `json:"nextIndex"` // the first occurrence not yet fired
	Runs      []*Run   `json:"runs"`
	History   []Record `json:"history"`

	sched  schedule.Schedule // parsed Job.Schedule, for scheduled jobs
	nextAt time.Time         // occurrence NextIndex; zero when none is left
}

// Status is the summary state Chronos shows for a job: "idle", "queued"
// or "running".
func (s *JobState) Status() string {
	state := "idle"
	for _, r := range s.Runs {
		switch r.Phase {
		case Running, Launched:
			return "running"
		case Queued, Retrying, Deferred:
			state = "queued"
		}
	}
	return state
}

// LastStatus is Chronos's "status" of a job: "fresh" before any run ended,
// else "success" or "failure" after the latest one.
func (s *JobState) LastStatus() string {
	switch {
	case s.Job.LastSuccess == "" && s.Job.LastError == "":
		return "fresh"
	case s.Job.LastError > s.Job.LastSuccess:
		return "failure"
	}
	return "success"
}

// RemainingSchedule is the schedule from the next occurrence on, as
// Chronos shows a scheduled job's schedule; "" for a dependent job.
func (s *JobState) RemainingSchedule() string {
	if !s.Job.Scheduled() {
		return ""
	}
	return s.sched.From(s.NextIndex).String()
}

// NextRun is when the job runs next by its schedule (zero if never).
func (s *JobState) NextRun() time.Time { return s.nextAt }

// Timestamp is how the runner writes times: Chronos's ISO 8601 with
// milliseconds in UTC. Strings in this form sort in time order.
func Timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
