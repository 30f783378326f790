package core

import (
	"context"
	"sync"

	"go.uber.org/zap"

	"github.com/agoraproject/agora/sdk/scheduler"
)

// call is one request to the master the loop decided on. The loop never
// waits for the master: calls go out from the outbox goroutine, in order.
type call struct {
	name string
	fn   func(ctx context.Context, cl *scheduler.Client) error
	// failed, if set, runs on the loop when the call fails.
	failed func(err error)
}

// outbox sends calls for one subscription term.
type outbox struct {
	client *scheduler.Client
	log    *zap.Logger
	post   func(func())
	mu     sync.Mutex
	items  []call
	ready  chan struct{}
}

func newOutbox(cl *scheduler.Client, log *zap.Logger, post func(func())) *outbox {
	return &outbox{client: cl, log: log, post: post, ready: make(chan struct{}, 1)}
}

func (o *outbox) push(cs []call) {
	o.mu.Lock()
	o.items = append(o.items, cs...)
	o.mu.Unlock()
	select {
	case o.ready <- struct{}{}:
	default:
	}
}

// run sends calls until ctx ends. Calls made before the subscription is
// up fail and are reported; reconciliation at subscription repairs them.
func (o *outbox) run(ctx context.Context) {
	var batch []call
	for {
		select {
		case <-ctx.Done():
			return
		case <-o.ready:
		}
		o.mu.Lock()
		batch, o.items = o.items, batch[:0]
		o.mu.Unlock()
		for i, c := range batch {
			if ctx.Err() != nil {
				return
			}
			if err := c.fn(ctx, o.client); err != nil {
				o.log.Warn("call to the master failed", zap.String("call", c.name), zap.Error(err))
				if c.failed != nil {
					f := c.failed
					o.post(func() { f(err) })
				}
			}
			batch[i] = call{}
		}
	}
}
