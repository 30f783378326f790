package docker

import (
	"time"

	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"
	"go.uber.org/zap"
)

// watchOOM starts, once, the subscription to the engine's OOM events for
// this agent's containers; it lasts until Close and resubscribes after an
// engine restart. One stream for all containers keeps the connections to
// the engine constant. An event missed (before the first subscription is
// up, or while resubscribing) still shows at exit, since the engine
// records OOM kills: the container is then only not destroyed early.
func (d *Containerizer) watchOOM() {
	d.events.Do(func() { go d.oomLoop() })
}

func (d *Containerizer) oomLoop() {
	args := filters.NewArgs(
		filters.Arg("type", string(events.ContainerEventType)),
		filters.Arg("event", string(events.ActionOOM)),
		filters.Arg("label", LabelWorkDir+"="+d.cfg.WorkDir),
	)
	for delay := 100 * time.Millisecond; d.ctx.Err() == nil; delay = min(2*delay, waitRetryMax) {
		msgs, errs := d.cli.Events(d.ctx, events.ListOptions{Filters: args})
	stream:
		for {
			select {
			case m := <-msgs:
				delay = 100 * time.Millisecond
				if c := d.tracked(m.Actor.ID); c != nil {
					c.oomed()
				}
			case err := <-errs:
				if d.ctx.Err() == nil {
					d.log.Warn("the engine's event stream broke; resubscribing", zap.Error(err), zap.Duration("in", delay))
				}
				break stream
			}
		}
		select {
		case <-time.After(delay):
		case <-d.ctx.Done():
		}
	}
}
