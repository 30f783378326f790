package agent

import (
	"context"
	"path/filepath"

	"go.uber.org/zap"

	"github.com/agoraproject/agora/agent/containerizer"
	"github.com/agoraproject/agora/agent/fetcher"
)

// DefaultFetcherCacheDir is where cached URIs go when --fetcher_cache_dir
// is not set, relative to the work directory.
const DefaultFetcherCacheDir = "fetch-cache"

// newFetcher builds the fetcher from the agent's configuration; cfg has
// its defaults and an absolute WorkDir.
func newFetcher(cfg Config, log *zap.Logger) (*fetcher.Fetcher, error) {
	dir := cfg.FetcherCacheDir
	if dir == "" {
		dir = filepath.Join(cfg.WorkDir, DefaultFetcherCacheDir)
	}
	return fetcher.New(fetcher.Config{
		CacheDir:     dir,
		CacheSize:    cfg.FetcherCacheSize,
		StallTimeout: cfg.FetcherStallTimeout,
		Logger:       log,
	})
}

// fetchContext returns the context a launch of tasks fetches under. Killing
// any of the tasks cancels it (killTask calls cancelFetch), so a KILL ends
// a slow download at once instead of waiting for it.
func (a *Agent) fetchContext(tasks []*task) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(a.runCtx)
	for _, t := range tasks {
		t.cancelFetch = cancel
	}
	return ctx, cancel
}

// fetchAll fetches each spec's command URIs into its sandbox. It runs on
// the launch goroutine, never the loop, and before any container of the
// launch starts, so a group whose artifact is missing starts nothing. The
// failing spec's error goes to errs.
func fetchAll(ctx context.Context, f *fetcher.Fetcher, specs []containerizer.LaunchSpec, errs []error) error {
	for i, spec := range specs {
		if err := f.Fetch(ctx, spec.Command.GetUris(), spec.Sandbox, spec.User); err != nil {
			errs[i] = err
			return err
		}
	}
	return nil
}
