package chronos

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/agoraproject/agora/frameworks/chronos/dag"
	"github.com/agoraproject/agora/frameworks/chronos/runner"
	"github.com/agoraproject/agora/internal/store"
)

// Store keys: one record per job, the dependency progress, the framework ID.
const (
	jobsPrefix     = "jobs/"
	progressKey    = "dag"
	frameworkIDKey = "framework_id"
)

// storeTimeout bounds one store operation; a store that hangs longer is
// treated as failed (the change is retried with the next one).
const storeTimeout = 10 * time.Second

// load restores the jobs and progress and returns the stored framework ID.
func (f *Framework) load(ctx context.Context, now time.Time) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	keys, err := f.cfg.Store.List(ctx, jobsPrefix)
	if err != nil {
		return "", fmt.Errorf("chronos: reading jobs: %w", err)
	}
	var states []*runner.JobState
	for _, k := range keys {
		b, err := f.cfg.Store.Get(ctx, k)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("chronos: reading %s: %w", k, err)
		}
		var s runner.JobState
		if err := json.Unmarshal(b, &s); err != nil {
			f.log.Error("skipping a corrupt job record", zap.String("key", k), zap.Error(err))
			continue
		}
		states = append(states, &s)
	}
	progress := dag.Progress{}
	switch b, err := f.cfg.Store.Get(ctx, progressKey); {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return "", fmt.Errorf("chronos: reading %s: %w", progressKey, err)
	default:
		if err := json.Unmarshal(b, &progress); err != nil {
			f.log.Error("dependency progress unreadable; dependent jobs start over", zap.Error(err))
			progress = dag.Progress{}
		}
	}
	_, bad := f.core.Restore(now, states, progress)
	for _, name := range bad {
		f.log.Error("dropping a stored job whose schedule no longer parses", zap.String("job", name))
	}
	f.core.Dirty() // what was just read needs no writing
	id, err := f.cfg.Store.Get(ctx, frameworkIDKey)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return "", fmt.Errorf("chronos: reading %s: %w", frameworkIDKey, err)
	}
	f.log.Info("state loaded", zap.Int("jobs", len(states)), zap.String("framework_id", string(id)))
	return strings.TrimSpace(string(id)), nil
}

// persist writes every job record and the progress the last change
// touched. A failed write is logged and retried with the next change, so
// the store converges; the in-memory state stays authoritative while this
// replica leads.
func (f *Framework) persist(ctx context.Context) {
	jobs, progress := f.core.Dirty()
	if len(jobs) == 0 && !progress {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	var failed []string
	progFailed := false
	for _, name := range jobs {
		key := jobsPrefix + name
		s, ok := f.core.Job(name)
		var err error
		if !ok {
			err = f.cfg.Store.Delete(ctx, key)
		} else {
			var b []byte
			if b, err = json.Marshal(s); err == nil {
				err = f.cfg.Store.Put(ctx, key, b)
			}
		}
		if err != nil {
			f.log.Error("persisting a job failed", zap.String("job", name), zap.Error(err))
			failed = append(failed, name)
		}
	}
	if progress {
		b, err := json.Marshal(f.core.Progress())
		if err == nil {
			err = f.cfg.Store.Put(ctx, progressKey, b)
		}
		if err != nil {
			f.log.Error("persisting dependency progress failed", zap.Error(err))
			progFailed = true
		}
	}
	f.core.Redirty(failed, progFailed)
}

func (f *Framework) saveFrameworkID(ctx context.Context, id string) {
	ctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	if err := f.cfg.Store.Put(ctx, frameworkIDKey, []byte(id)); err != nil {
		f.log.Error("persisting the framework ID failed", zap.Error(err))
	}
}
