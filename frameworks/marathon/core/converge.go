package core

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/frameworks/marathon/app"
	"github.com/agoraproject/agora/frameworks/marathon/deploy"
	"github.com/agoraproject/agora/frameworks/marathon/state"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	"github.com/agoraproject/agora/sdk/scheduler"
)

// converge moves one app towards what its deployment phase asks for:
// launches are queued and surplus instances killed. It is idempotent and
// cheap, so it runs after anything that may have changed the app.
func (c *Core) converge(as *appState) {
	if c.apps[as.app.ID] != as {
		return // removed
	}
	action, held := c.phase(as.app.ID)
	if held {
		c.setQueue(as, 0)
		return
	}
	if as.deleting {
		c.setQueue(as, 0)
		for _, t := range as.tasks {
			c.kill(t)
		}
		if len(as.tasks) == 0 {
			c.removeApp(as)
		}
		return
	}
	if action == state.RestartApplication {
		c.restart(as, true)
		return
	}
	target := as.app.Instances
	if action == state.StartApplication {
		target = 0
	}
	active := c.active(as)
	diff := target - len(active) - as.toLaunch
	switch {
	case diff > 0:
		c.setQueue(as, as.toLaunch+diff)
	case diff < 0:
		excess := -diff
		cut := min(excess, as.toLaunch)
		c.setQueue(as, as.toLaunch-cut)
		excess -= cut
		if excess > 0 {
			for _, id := range deploy.SelectKills(c.instances(as, active), excess, as.app.KillSelection) {
				if t := as.tasks[id]; t != nil {
					c.kill(t)
				}
			}
		}
	}
}

// active is an app's instances that count towards its instances: not
// terminal, not being killed, not unreachable for too long.
func (c *Core) active(as *appState) []*task {
	now := c.now()
	out := make([]*task, 0, len(as.tasks))
	for _, t := range as.sorted() {
		if t.terminal() || t.Killing || t.inactive(as.app, now) {
			continue
		}
		out = append(out, t)
	}
	return out
}

func (c *Core) instances(as *appState, ts []*task) []deploy.Instance {
	out := make([]deploy.Instance, len(ts))
	for i, t := range ts {
		out[i] = deploy.Instance{
			ID: t.ID, Version: t.ConfigVersion, Running: t.running(),
			Healthy: t.healthy(as.app), StartedAt: t.StartedAt,
		}
		if out[i].StartedAt.IsZero() {
			out[i].StartedAt = t.StagedAt
		}
	}
	return out
}

// restart asks the rolling-restart decision what to do now, and with
// apply does it.
func (c *Core) restart(as *appState, apply bool) deploy.RestartDecision {
	strategy := app.DefaultUpgradeStrategy()
	if as.app.UpgradeStrategy != nil {
		strategy = *as.app.UpgradeStrategy
	}
	in := deploy.RestartInput{
		Target:        as.app.Instances,
		NewVersion:    configVersion(as.app),
		Strategy:      strategy,
		Instances:     c.instances(as, c.active(as)),
		Pending:       as.toLaunch,
		KillSelection: as.app.KillSelection,
	}
	dec := deploy.Restart(in)
	if !apply {
		return dec
	}
	if dec.Launch > 0 {
		c.setQueue(as, as.toLaunch+dec.Launch)
	}
	for _, id := range dec.Kill {
		if t := as.tasks[id]; t != nil {
			c.kill(t)
		}
	}
	return dec
}

// setQueue sets how many instances of an app wait for offers.
func (c *Core) setQueue(as *appState, n int) {
	if n == as.toLaunch {
		return
	}
	if as.toLaunch == 0 {
		as.queuedSince = c.now()
		as.offers = offerStats{}
	}
	if n > as.toLaunch {
		c.demand = true
	}
	as.toLaunch = n
	as.view = nil
	c.dirty = true
}

// kill asks the master to kill a task; it stops counting at once.
func (c *Core) kill(t *task) {
	if t.Killing {
		return
	}
	t.Killing = true
	t.view = nil
	if as := c.apps[t.AppID]; as != nil {
		as.persist = true
		as.view = nil
	}
	c.dirty = true
	c.sendKill(t.ID, t.AgentID)
}

func (c *Core) sendKill(taskID, agentID string) {
	id := &mesos.TaskID{Value: proto.String(taskID)}
	var ag *mesos.AgentID
	if agentID != "" {
		ag = &mesos.AgentID{Value: proto.String(agentID)}
	}
	c.enqueue(call{name: "KILL " + taskID, fn: func(ctx context.Context, cl *scheduler.Client) error {
		return cl.Kill(ctx, id, ag)
	}})
}

// removeApp forgets a deleted app whose instances are all gone.
func (c *Core) removeApp(as *appState) {
	if c.apps[as.app.ID] != as {
		return // already removed
	}
	delete(c.apps, as.app.ID)
	c.forgetApp(as)
	c.emit(appTerminatedEvent(as.app.ID, c.now()))
	c.dirty = true
}

// launchable says whether an app may use an offer now.
func (c *Core) launchable(as *appState, now time.Time) bool {
	return as.toLaunch > 0 && !as.deleting && !now.Before(as.launchAfter)
}

// waitingText says, in a line a human can act on, why an app's action is
// not done.
func (c *Core) waitingText(as *appState) string {
	if as == nil {
		return ""
	}
	now := c.now()
	var parts []string
	if as.toLaunch > 0 {
		switch {
		case now.Before(as.launchAfter):
			parts = append(parts, fmt.Sprintf("%d instance(s) to launch, delayed %s by the back-off after task failures",
				as.toLaunch, as.launchAfter.Sub(now).Round(time.Second)))
		case as.offers.unused > 0:
			parts = append(parts, fmt.Sprintf("%d instance(s) to launch; %d of %d offers declined: %s",
				as.toLaunch, as.offers.unused, as.offers.processed, reasonsText(as.offers.reasons)))
		default:
			parts = append(parts, fmt.Sprintf("%d instance(s) waiting for offers", as.toLaunch))
		}
	}
	staging, unhealthy, killing := 0, 0, 0
	for _, t := range as.sorted() {
		switch {
		case t.terminal():
		case t.Killing:
			killing++
		case !t.running():
			staging++
		case !t.healthy(as.app):
			unhealthy++
		}
	}
	if staging > 0 {
		parts = append(parts, fmt.Sprintf("%d instance(s) starting", staging))
	}
	if unhealthy > 0 {
		hc := as.app.HealthChecks[0]
		what := hc.Protocol
		if hc.Path != "" {
			what += " " + hc.Path
		}
		if hc.Command != nil {
			what += " " + hc.Command.Value
		}
		parts = append(parts, fmt.Sprintf("%d running instance(s) not yet healthy (health check %s)", unhealthy, what))
	}
	if killing > 0 {
		parts = append(parts, fmt.Sprintf("%d instance(s) being killed", killing))
	}
	return strings.Join(parts, "; ")
}

// reasonsText renders reject reasons by count, most frequent first.
func reasonsText(m map[string]int) string {
	type rc struct {
		r string
		n int
	}
	var rs []rc
	for r, n := range m {
		rs = append(rs, rc{r, n})
	}
	slices.SortFunc(rs, func(a, b rc) int {
		if a.n != b.n {
			return b.n - a.n
		}
		return strings.Compare(a.r, b.r)
	})
	parts := make([]string, len(rs))
	for i, x := range rs {
		parts[i] = fmt.Sprintf("%s (%d)", x.r, x.n)
	}
	return strings.Join(parts, ", ")
}
