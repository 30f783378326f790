package chronos

import (
	"context"
	"time"

	"github.com/agoraproject/agora/frameworks/chronos/job"
	"github.com/agoraproject/agora/frameworks/chronos/runner"
)

// The methods below are what package api calls; each runs on the loop and
// returns once its change is persisted.

// PutJob creates or replaces a validated job.
func (f *Framework) PutJob(ctx context.Context, j job.Job) error {
	return f.do(ctx, func(now time.Time) error { return f.core.Put(now, j) })
}

// DeleteJob removes a job and kills its runs in flight.
func (f *Framework) DeleteJob(ctx context.Context, name string) error {
	return f.do(ctx, func(now time.Time) error {
		ds, err := f.core.Delete(now, name)
		f.enqueueDecisions(ds)
		return err
	})
}

// RunJob starts a run now; arguments, when not nil, replace the job's.
func (f *Framework) RunJob(ctx context.Context, name string, arguments []string) error {
	return f.do(ctx, func(now time.Time) error { return f.core.RunNow(now, name, arguments) })
}

// MarkSuccess records a success of the job, which may start its children.
func (f *Framework) MarkSuccess(ctx context.Context, name string) error {
	return f.do(ctx, func(now time.Time) error { return f.core.MarkSuccess(now, name) })
}

// KillTasks kills the job's runs in flight.
func (f *Framework) KillTasks(ctx context.Context, name string) error {
	return f.do(ctx, func(time.Time) error {
		ds, err := f.core.KillTasks(name)
		f.enqueueDecisions(ds)
		return err
	})
}

// Jobs returns a copy of every job's state.
func (f *Framework) Jobs(ctx context.Context) ([]runner.JobView, error) {
	var out []runner.JobView
	err := f.do(ctx, func(time.Time) error { out = f.core.Views(); return nil })
	return out, err
}

// Job returns a copy of one job's state, or runner.ErrNotFound.
func (f *Framework) Job(ctx context.Context, name string) (runner.JobView, error) {
	var out runner.JobView
	err := f.do(ctx, func(time.Time) error {
		v, ok := f.core.View(name)
		if !ok {
			return runner.ErrNotFound
		}
		out = v
		return nil
	})
	return out, err
}

// Metrics returns gauges and counters for /metrics, Mesos-style names.
func (f *Framework) Metrics(ctx context.Context) (map[string]float64, error) {
	m := map[string]float64{}
	err := f.do(ctx, func(time.Time) error {
		var queued, running, disabled, success, failure float64
		for _, v := range f.core.Views() {
			switch v.State {
			case "queued":
				queued++
			case "running":
				running++
			}
			if v.Job.Disabled {
				disabled++
			}
			success += float64(v.Job.SuccessCount)
			failure += float64(v.Job.ErrorCount)
		}
		m["chronos/jobs"] = float64(len(f.core.Names()))
		m["chronos/jobs_queued"] = queued
		m["chronos/jobs_running"] = running
		m["chronos/jobs_disabled"] = disabled
		m["chronos/runs_succeeded"] = success
		m["chronos/runs_failed"] = failure
		if f.subscribed {
			m["chronos/subscribed"] = 1
		} else {
			m["chronos/subscribed"] = 0
		}
		return nil
	})
	return m, err
}
