package agent

// The launch of command tasks and task groups, off the loop.

import (
	"context"
	"runtime"
	"time"

	"github.com/agoraproject/agora/agent/containerizer"
)

// maxSandboxCreations bounds the launches creating sandboxes at once. A burst of
// RUN_TASKs (a Marathon app scaled to 1,000 instances) would otherwise
// put a thousand goroutines into mkdir at once, each holding an OS thread
// while the file system serializes them anyway. The containerizers bound
// their own work (cgroups, fork/exec) likewise.
var maxSandboxCreations = max(4, 2*runtime.GOMAXPROCS(0))

// launch creates the tasks' sandboxes (runDir first, when the executor's
// run is new), fetches their URIs, then starts the containers, in a
// goroutine, and posts the outcome as one launched message. A group is all
// or nothing: if one launch fails, the ones already started are killed.
// Killing a task while its launch waits or fetches cancels the launch
// (fetchContext): the group ends TASK_KILLED without running.
func (a *Agent) launch(tasks []*task, specs []containerizer.LaunchSpec, runDir string) {
	a.launching++
	m := launched{
		keys:       make([]taskKey, len(tasks)),
		containers: make([]containerizer.Container, len(tasks)),
		errs:       make([]error, len(tasks)),
	}
	for i, t := range tasks {
		t.launching = true
		m.keys[i] = t.key
	}
	if a.sandboxSlots == nil {
		a.sandboxSlots = make(chan struct{}, maxSandboxCreations)
	}
	ctx, c, f, slots := a.runCtx, a.containerizer, a.fetcher, a.sandboxSlots
	fctx, cancelFetch := a.fetchContext(tasks)
	go func() {
		m.failed = createSandboxes(fctx, slots, runDir, specs)
		if m.failed != nil && fctx.Err() == nil {
			for i := range m.errs {
				m.errs[i] = m.failed // every task fails of it alike
			}
		}
		if m.failed == nil {
			m.failed = fetchAll(fctx, f, specs, m.errs)
		}
		cancelFetch()
		for i, spec := range specs {
			if m.failed != nil {
				break
			}
			m.containers[i], m.errs[i] = c.Launch(ctx, spec)
			if m.errs[i] != nil {
				m.failed = m.errs[i]
				break
			}
		}
		if m.failed != nil {
			for i, cont := range m.containers {
				if cont != nil {
					_ = cont.Kill()
					wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
					_, _ = cont.Wait(wctx)
					cancel()
					m.containers[i] = nil
				}
			}
		}
		a.post(m)
	}()
}

// createSandboxes creates runDir (with its runs/latest link) when set, and
// every spec's sandbox, once one of slots is free. It returns ctx's error
// when ctx ends while it waits for a slot: the launch was killed while
// queued. (A launch that gets a slot at once goes on, killed or not: the
// container then starts and is killed on arrival, as any killed during its
// launch.)
func createSandboxes(ctx context.Context, slots chan struct{}, runDir string, specs []containerizer.LaunchSpec) error {
	select {
	case slots <- struct{}{}:
	default:
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	defer func() { <-slots }()
	if runDir != "" {
		if err := createRunDir(runDir); err != nil {
			return err
		}
	}
	for _, spec := range specs {
		if spec.Sandbox == runDir {
			continue
		}
		if err := mkdir(spec.Sandbox); err != nil {
			return err
		}
	}
	return nil
}
