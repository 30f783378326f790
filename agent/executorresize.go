package agent

import (
	"context"
	"sync"

	"go.uber.org/zap"

	"github.com/agoraproject/agora/agent/containerizer"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	protores "github.com/agoraproject/agora/proto/resources"
)

// A custom executor's container is sized for the executor's resources plus
// those of its live tasks. As Mesos calls containerizer->update whenever a
// task joins or ends, the agent resizes the running container when a task
// is queued to it or reaches a terminal state, if its container implements
// containerizer.Updater. The engine calls run off the loop, one at a time
// per container and in order (a newer size replaces one not yet applied);
// a failure is logged and does not fail any task.

// executorResources is what ex's container is sized for: the executor's
// resources plus its live tasks'.
func executorResources(ex *executor) []*mesos.Resource {
	res := ex.info.GetResources()
	for _, t := range ex.tasks {
		if t.live() {
			res = protores.Add(res, t.info.GetResources())
		}
	}
	return res
}

// resizeExecutor updates the limits of ex's running container when its
// live tasks' resources changed since it was last sized.
func (a *Agent) resizeExecutor(ex *executor) {
	r := ex.run
	if r == nil || r.container == nil || r.exited {
		return // not launched yet: executorLaunched calls it again
	}
	u, ok := r.container.(containerizer.Updater)
	if !ok {
		return
	}
	res := executorResources(ex)
	if protores.Equal(res, r.sized) {
		return
	}
	r.sized = res
	if r.resizer == nil {
		r.resizer = &resizer{log: a.log.With(zap.String("framework_id", ex.frameworkID), zap.String("executor_id", ex.id),
			zap.String("container_id", ex.containerID))}
	}
	r.resizer.resize(a.runCtx, u, res)
}

// resizer applies a container's updates in order, off the agent's loop.
type resizer struct {
	log     *zap.Logger
	mu      sync.Mutex
	next    []*mesos.Resource
	pending bool
	running bool // a goroutine applies next
}

func (z *resizer) resize(ctx context.Context, u containerizer.Updater, res []*mesos.Resource) {
	z.mu.Lock()
	z.next, z.pending = res, true
	start := !z.running
	z.running = true
	z.mu.Unlock()
	if start {
		go z.run(ctx, u)
	}
}

func (z *resizer) run(ctx context.Context, u containerizer.Updater) {
	for {
		z.mu.Lock()
		if !z.pending {
			z.running = false
			z.mu.Unlock()
			return
		}
		res := z.next
		z.next, z.pending = nil, false
		z.mu.Unlock()
		if err := u.Update(ctx, res); err != nil {
			z.log.Warn("failed to update the executor's container", zap.String("resources", protores.String(res)), zap.Error(err))
		} else {
			z.log.Debug("updated the executor's container", zap.String("resources", protores.String(res)))
		}
	}
}
