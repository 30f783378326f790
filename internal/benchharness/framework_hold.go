package benchharness

import (
	"context"
	"time"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	"github.com/agoraproject/agora/sdk/scheduler"
)

// heldOffer is an offer a rate-limited framework keeps until its budget
// allows a launch on it, or until Config.HoldOffers passes.
type heldOffer struct {
	offer *mesos.Offer
	at    time.Time
}

// hold keeps offers for the hold loop, which launches on them as the
// budget refills: a framework under a launch rate then costs the master
// one offer per launch instead of a decline and a re-offer of every agent
// each RefuseSeconds.
func (b *framework) hold(ctx context.Context, c *scheduler.Client, os []*mesos.Offer) error {
	now := time.Now()
	b.mu.Lock()
	for _, o := range os {
		b.held = append(b.held, heldOffer{o, now})
	}
	b.mu.Unlock()
	b.holdOnce.Do(func() {
		b.wake = make(chan struct{}, 1)
		go b.holdLoop(c)
	})
	select {
	case b.wake <- struct{}{}:
	default:
	}
	return nil
}

func (b *framework) rescind(ctx context.Context, c *scheduler.Client, id *mesos.OfferID) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, o := range b.pending {
		if o.GetId().GetValue() == id.GetValue() {
			b.pending = append(b.pending[:i], b.pending[i+1:]...)
			break
		}
	}
	for i, h := range b.held {
		if h.offer.GetId().GetValue() == id.GetValue() {
			b.held = append(b.held[:i], b.held[i+1:]...)
			break
		}
	}
	return nil
}

// holdLoop launches on held offers as the budget allows and declines
// offers held too long, until the framework is torn down: once all its
// tasks are launched it suppresses and declines whatever still comes, so a
// finished framework never sits on offers the others wait for.
func (b *framework) holdLoop(c *scheduler.Client) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { <-b.stopped; cancel() }()
	perTask := time.Duration(float64(time.Second) * float64(b.cfg.Frameworks) / b.cfg.LaunchRate)
	for ctx.Err() == nil {
		now := time.Now()
		b.mu.Lock()
		budget := min(b.budget(now), b.total-b.next)
		var launches []launchOn
		var expired []*mesos.OfferID
		kept := b.held[:0]
		for _, h := range b.held {
			switch {
			case budget > 0:
				if tasks := b.pack(h.offer, min(budget, b.cfg.MaxTasksPerOffer), now); len(tasks) > 0 {
					budget -= len(tasks)
					b.tokens -= float64(len(tasks))
					launches = append(launches, launchOn{h.offer.GetId(), tasks})
				} else {
					expired = append(expired, h.offer.GetId()) // too small: let it go
				}
			case b.next >= b.total || now.Sub(h.at) >= b.cfg.HoldOffers:
				expired = append(expired, h.offer.GetId())
			default:
				kept = append(kept, h)
			}
		}
		clear(b.held[len(kept):])
		b.held = kept
		waiting := b.total - b.next
		b.mu.Unlock()

		b.send(ctx, c, launches, expired, waiting)
		// Sleep until about the next token, or until offers arrive.
		t := time.NewTimer(min(max(perTask, time.Millisecond), 100*time.Millisecond))
		select {
		case <-ctx.Done():
		case <-b.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

type launchOn struct {
	offer *mesos.OfferID
	tasks []*mesos.TaskInfo
}

// stop ends the hold loop; teardown calls it once the client stopped.
func (b *framework) stop() { b.stopOnce.Do(func() { close(b.stopped) }) }
