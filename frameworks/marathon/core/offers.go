package core

import (
	"context"
	"slices"
	"strings"

	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/frameworks/marathon/placement"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	"github.com/agoraproject/agora/sdk/scheduler"
)

// handleOffers carves launches for the queued apps out of each offer: all
// the launches on one offer go in one ACCEPT; an offer nothing fits is
// declined, and every app it did not fit records why.
func (c *Core) handleOffers(offers []*mesos.Offer) {
	if !c.leader {
		return
	}
	c.settle()
	now := c.now()
	c.lastOffers = now
	var queued []*appState
	for _, as := range c.apps {
		if c.launchable(as, now) {
			if _, held := c.phase(as.app.ID); !held {
				queued = append(queued, as)
			}
		}
	}
	slices.SortFunc(queued, func(a, b *appState) int { return strings.Compare(a.app.ID, b.app.ID) })
	existing := map[string][]placement.Instance{}
	for _, o := range offers {
		po := placement.NewOffer(o)
		attrs := placement.AgentAttributes(o)
		var infos []*mesos.TaskInfo
		for _, as := range queued {
			if as.toLaunch == 0 {
				continue
			}
			inst, ok := existing[as.app.ID]
			if !ok {
				inst = c.placed(as)
			}
			as.offers.processed++
			used := false
			for as.toLaunch > 0 {
				l, reasons := po.Place(as.app, inst)
				if len(reasons) > 0 || l.AgentID == "" {
					if !used {
						as.offers.refused(o, reasons, now)
					}
					break
				}
				used = true
				t := c.newTask(as, l, attrs)
				infos = append(infos, taskInfo(as.app, t, l))
				inst = append(inst, placement.Instance{AgentID: l.AgentID, Hostname: l.Hostname, Attributes: attrs})
				as.toLaunch--
			}
			existing[as.app.ID] = inst
			if used {
				as.offers.lastUsedAt = now
			}
			as.view = nil
			c.dirty = true
		}
		if len(infos) == 0 {
			c.decline(o, len(queued) > 0)
			continue
		}
		c.accept(o, infos)
	}
}

// placed is where an app's instances are, for its constraints.
func (c *Core) placed(as *appState) []placement.Instance {
	out := make([]placement.Instance, 0, len(as.tasks))
	for _, t := range as.sorted() {
		if t.terminal() || t.Killing {
			continue
		}
		out = append(out, placement.Instance{AgentID: t.AgentID, Hostname: t.Host, Attributes: t.Attributes})
	}
	return out
}

// newTask records a launch before it is sent: the instance is persisted
// at the end of the batch, before the ACCEPT goes out.
func (c *Core) newTask(as *appState, l placement.Launch, attrs map[string]string) *task {
	t := &task{
		ID:            appTaskID(as.app.ID, c.uuid()),
		AppID:         as.app.ID,
		AgentID:       l.AgentID,
		Host:          l.Hostname,
		Ports:         append([]int{}, l.HostPorts...),
		Version:       as.app.Version,
		ConfigVersion: configVersion(as.app),
		Attributes:    attrs,
		StagedAt:      c.now(),
		State:         mesos.TaskState_TASK_STAGING,
	}
	as.addTask(t)
	c.tasks[t.ID] = t
	as.persist = true
	return t
}

func (c *Core) accept(o *mesos.Offer, infos []*mesos.TaskInfo) {
	ids := []*mesos.OfferID{o.GetId()}
	// The rest of the offer comes back at once while more waits.
	refuse := 0.0
	if !c.anyQueued() {
		refuse = c.cfg.DeclineRefuse.Seconds()
	}
	filters := &mesos.Filters{RefuseSeconds: proto.Float64(refuse)}
	taskIDs := make([]string, len(infos))
	for i, ti := range infos {
		taskIDs[i] = ti.GetTaskId().GetValue()
	}
	c.log.Debug("launching", zap.String("offer_id", o.GetId().GetValue()), zap.Int("tasks", len(infos)))
	c.enqueue(call{
		name: "ACCEPT " + o.GetId().GetValue(),
		fn: func(ctx context.Context, cl *scheduler.Client) error {
			return cl.Launch(ctx, ids, infos, filters)
		},
		// A launch the master never got will never report: forget it,
		// and converge launches a replacement.
		failed: func(error) { c.launchFailed(taskIDs) },
	})
}

func (c *Core) decline(o *mesos.Offer, waiting bool) {
	refuse := c.cfg.IdleRefuse
	if waiting || c.anyQueued() {
		refuse = c.cfg.DeclineRefuse
	}
	ids := []*mesos.OfferID{o.GetId()}
	filters := &mesos.Filters{RefuseSeconds: proto.Float64(refuse.Seconds())}
	c.enqueue(call{name: "DECLINE " + o.GetId().GetValue(), fn: func(ctx context.Context, cl *scheduler.Client) error {
		return cl.Decline(ctx, ids, filters)
	}})
}

func (c *Core) launchFailed(taskIDs []string) {
	for _, id := range taskIDs {
		t := c.tasks[id]
		if t == nil || t.State != mesos.TaskState_TASK_STAGING {
			continue
		}
		c.removeTask(t)
		if as := c.apps[t.AppID]; as != nil {
			c.converge(as)
		}
	}
	c.progress()
}

func (c *Core) anyQueued() bool {
	for _, as := range c.apps {
		if as.toLaunch > 0 && !as.deleting {
			return true
		}
	}
	return false
}

// updateOfferInterest suppresses offers when nothing waits and revives
// them when something new can launch (which also clears decline filters).
func (c *Core) updateOfferInterest() {
	if c.client == nil || !c.connected {
		return
	}
	now := c.now()
	want := false
	for _, as := range c.apps {
		if c.launchable(as, now) {
			if _, held := c.phase(as.app.ID); !held {
				want = true
				break
			}
		}
	}
	// Offers declined while waiting come back only after their filter; a
	// revive brings them back when the wait has lasted that long anyway.
	stale := !now.Before(c.lastOffers.Add(c.cfg.DeclineRefuse))
	switch {
	case want && (c.suppressed || c.demand || stale):
		c.suppressed, c.demand = false, false
		c.lastOffers = now
		c.enqueue(call{name: "REVIVE", fn: func(ctx context.Context, cl *scheduler.Client) error {
			return cl.Revive(ctx)
		}})
	case !want && !c.anyQueued() && !c.suppressed:
		c.suppressed, c.demand = true, false
		c.enqueue(call{name: "SUPPRESS", fn: func(ctx context.Context, cl *scheduler.Client) error {
			return cl.Suppress(ctx)
		}})
	}
}
