package allocator

import (
	"time"
)

// Held is an offer's resources in the allocator's own form, kept with the
// offer so that giving it back (a decline, a rescind, an expiry) does not
// parse its []*mesos.Resource again: a framework that can use few offers
// declines thousands a second. The zero value holds nothing, and
// RecoverOffer then falls back to Recover.
type Held struct{ h *held }

type held struct {
	ag  *agent
	c   *client
	res []res // indexed like ag.pools; owned by the Held until recovered
	// used is set once the resources went back: recovering the same offer
	// again is a no-op, where Recover would take back whatever a later
	// offer holds of the same resources.
	used bool
}

// hold records what grant moved into c's allocation on ag, pool by pool.
func hold(ag *agent, c *client, moved []res) Held {
	return Held{&held{ag: ag, c: c, res: moved}}
}

// RecoverOffer gives back a whole offer, as Recover(o.FrameworkID,
// o.AgentID, o.Resources, refuse, now) would, using the form the offer was
// granted in when the agent, framework and role are still the ones it was
// granted on. An offer is recovered once; later calls do nothing.
func (a *Allocator) RecoverOffer(o Offer, refuse time.Duration, now time.Time) {
	h := o.Held.h
	if h != nil && h.used {
		return
	}
	if h == nil || !a.current(h, o.FrameworkID, o.AgentID, o.Role) {
		a.Recover(o.FrameworkID, o.AgentID, o.Resources, refuse, now)
		return
	}
	h.used = true
	ag, c := h.ag, h.c
	if e := ag.allocationOf(c, false); e != nil {
		a.refund(ag, e, h.res)
	}
	if refuse > 0 && c.subscribed && !allEmpty(h.res) {
		// The filter takes the held resources over: refund copied them.
		a.addFilter(ag, c, h.res, now.Add(min(refuse, maxRefuse)))
		h.res = nil
	}
	a.maybeDrop(c)
}

// refund moves rs (indexed like ag.pools) from allocation e back to the
// free pools, or what e still holds of it.
func (a *Allocator) refund(ag *agent, e *allocation, rs []res) {
	c := e.c
	for p := range rs {
		got := &rs[p]
		if got.empty() {
			continue
		}
		if e.res[p].contains(got) {
			e.res[p].sub(got)
			a.charge(c, got, -1)
			ag.pools[p].free.add(got)
			continue
		}
		// Something else took part of it back already: refund only what
		// the allocation still holds, as Recover does.
		back := e.res[p].intersect(got)
		e.res[p].sub(&back)
		a.charge(c, &back, -1)
		ag.pools[p].free.add(&back)
	}
	if e.empty() {
		a.dropAllocation(ag, e)
	}
}

// current reports whether h was granted on the agent, framework client and
// role the allocator knows under those names now: an agent re-added or a
// client dropped and recreated since makes the held form stale.
func (a *Allocator) current(h *held, frameworkID, agentID, role string) bool {
	fw := a.frameworks[frameworkID]
	return a.agents[agentID] == h.ag && fw != nil && h.c.fw == fw && h.c.role.name == role &&
		lookupClient(fw, role) == h.c
}
