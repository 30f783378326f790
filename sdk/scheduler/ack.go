package scheduler

import (
	"context"
	"sync"

	"go.uber.org/zap"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// acker sends automatic acknowledgements off the event goroutine, at most
// cap(slots) at once. Each acknowledgement is its own call (the scheduler
// API has one per call); several in flight share the keep-alive
// connections of the call client, so one master round trip no longer
// limits a framework to one update at a time. A task's acknowledgements
// go out in the order its updates arrived: a later one waits behind the
// one in flight.
type acker struct {
	slots  chan struct{} // one per acknowledgement goroutine running
	waitMu sync.Mutex    // one wait at a time takes the slots, or two could each hold some

	mu      sync.Mutex
	waiting map[string][]*mesos.TaskStatus // by task ID: in flight (key present) and queued behind it
}

func newAcker(n int) *acker {
	return &acker{slots: make(chan struct{}, max(n, 1)), waiting: map[string][]*mesos.TaskStatus{}}
}

// send acknowledges status in the background. When every slot is taken it
// waits for one, which holds the event loop back while the master is
// behind.
func (a *acker) send(ctx context.Context, c *Client, status *mesos.TaskStatus) {
	task := status.GetTaskId().GetValue()
	a.mu.Lock()
	if q, busy := a.waiting[task]; busy {
		a.waiting[task] = append(q, status)
		a.mu.Unlock()
		return
	}
	a.waiting[task] = nil
	a.mu.Unlock()

	a.slots <- struct{}{}
	go func() {
		defer func() { <-a.slots }()
		for status != nil {
			if err := c.Acknowledge(ctx, status); err != nil {
				c.log.Warn("acknowledge failed", zap.String("task_id", task), zap.Error(err))
			}
			status = a.nextOf(task)
		}
	}()
}

// nextOf pops the task's next queued status, or forgets the task.
func (a *acker) nextOf(task string) *mesos.TaskStatus {
	a.mu.Lock()
	defer a.mu.Unlock()
	q := a.waiting[task]
	if len(q) == 0 {
		delete(a.waiting, task)
		return nil
	}
	a.waiting[task] = q[1:]
	return q[0]
}

// wait returns once every acknowledgement handed to send before it was
// called has been answered (or has failed; CallTimeout bounds each): it
// takes every slot, which only an idle acker has free. Safe to call from
// any goroutine, while send is being called too.
func (a *acker) wait() {
	a.waitMu.Lock()
	defer a.waitMu.Unlock()
	for range cap(a.slots) {
		a.slots <- struct{}{}
	}
	for range cap(a.slots) {
		<-a.slots
	}
}
