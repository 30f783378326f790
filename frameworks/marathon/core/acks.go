package core

import (
	"context"
	"sync"

	"go.uber.org/zap"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	"github.com/agoraproject/agora/sdk/scheduler"
)

// ackConcurrency is how many acknowledgements are in flight at once. An
// agent sends a task's next update only once the previous one is
// acknowledged, so during a scale-up of thousands of tasks the round
// trips, not the loop, would pace the updates if they went one by one.
const ackConcurrency = 32

// acker acknowledges status updates for one subscription term, off the
// loop. The loop hands it the updates of a batch only once that batch is
// persisted, so an update is acknowledged after it has been applied and
// whatever it changed is durable; an update whose acknowledgement is lost
// is sent again by the agent and applied again (applying is idempotent).
type acker struct {
	client *scheduler.Client
	log    *zap.Logger
	mu     sync.Mutex
	queue  []*mesos.TaskStatus
	ready  chan struct{}
}

func newAcker(cl *scheduler.Client, log *zap.Logger) *acker {
	return &acker{client: cl, log: log, ready: make(chan struct{}, 1)}
}

// push queues acknowledgements; it never blocks the loop.
func (a *acker) push(sts []*mesos.TaskStatus) {
	if len(sts) == 0 {
		return
	}
	a.mu.Lock()
	a.queue = append(a.queue, sts...)
	a.mu.Unlock()
	a.wake()
}

func (a *acker) wake() {
	select {
	case a.ready <- struct{}{}:
	default:
	}
}

// pop takes the oldest queued status, waking another worker when more
// remain, so that a push of many wakes them all in turn.
func (a *acker) pop() *mesos.TaskStatus {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.queue) == 0 {
		return nil
	}
	st := a.queue[0]
	a.queue[0] = nil
	a.queue = a.queue[1:]
	if len(a.queue) == 0 {
		a.queue = nil // let the backing array go
	} else {
		a.wake()
	}
	return st
}

// run sends acknowledgements with ackConcurrency workers until ctx ends.
func (a *acker) run(ctx context.Context) {
	var wg sync.WaitGroup
	for range ackConcurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a.work(ctx)
		}()
	}
	wg.Wait()
}

func (a *acker) work(ctx context.Context) {
	for {
		st := a.pop()
		if st == nil {
			select {
			case <-ctx.Done():
				return
			case <-a.ready:
				continue
			}
		}
		if err := a.client.Acknowledge(ctx, st); err != nil && ctx.Err() == nil {
			// The agent sends the update again; it is applied and
			// acknowledged again.
			a.log.Debug("acknowledgement failed", zap.String("task_id", st.GetTaskId().GetValue()), zap.Error(err))
		}
	}
}
