package allocator

import (
	"slices"
	"time"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// maxRefuse caps a filter's duration, as Mesos caps refuse_seconds.
const maxRefuse = 365 * 24 * time.Hour

// filter is a framework's refusal of resources on one agent, in one role (a
// RefusedOfferFilter in Mesos). It blocks offers to that client on that
// agent while now < expiry and the candidate offer is a subset of refused:
// when more resources become free the framework sees them again.
type filter struct {
	c       *client
	refused []res // indexed like agent.pools
	expiry  time.Time
}

// Recover returns resources a framework held on an agent to the free pool:
// the declined or unused part of an offer, a rescinded offer, or a terminal
// task's resources. Resources should carry allocation_info (as offered);
// anything the framework does not hold is ignored. refuse > 0 installs a
// filter for the given resources until now+refuse (capped at 365 days).
func (a *Allocator) Recover(frameworkID, agentID string, rs []*mesos.Resource, refuse time.Duration, now time.Time) {
	ag, fw := a.agents[agentID], a.frameworks[frameworkID]
	if ag == nil || fw == nil {
		return
	}
	for _, g := range a.groups(fw, ag, rs) {
		c := lookupClient(fw, g.role)
		if c == nil {
			continue
		}
		if e := ag.allocationOf(c, false); e != nil {
			for p := range g.res {
				back := e.res[p].intersect(&g.res[p])
				if back.empty() {
					continue
				}
				e.res[p].sub(&back)
				a.charge(c, &back, -1)
				ag.pools[p].free.add(&back)
			}
			if e.empty() {
				a.dropAllocation(ag, e)
			}
		}
		if refuse > 0 && c.subscribed && !allEmpty(g.res) {
			a.addFilter(ag, c, g.res, now.Add(min(refuse, maxRefuse)))
		}
		a.maybeDrop(c)
	}
}

// dropAllocation forgets an emptied allocation, keeping it as ag's spare.
func (a *Allocator) dropAllocation(ag *agent, e *allocation) {
	ag.allocs = slices.DeleteFunc(ag.allocs, func(x *allocation) bool { return x == e })
	e.c.nalloc--
	e.c, ag.spare = nil, e
}

// recovered is the part of a Recover call in one allocation role, per pool.
type recovered struct {
	role string
	res  []res
}

func (a *Allocator) groups(fw *framework, ag *agent, rs []*mesos.Resource) []recovered {
	var out []recovered
	for _, g := range a.parse(rs) {
		p := ag.poolIndex(g.resv.key)
		if p < 0 {
			continue
		}
		role := a.allocRole(fw, ag, g)
		i := slices.IndexFunc(out, func(x recovered) bool { return x.role == role })
		if i < 0 {
			out = append(out, recovered{role: role, res: make([]res, len(ag.pools))})
			i = len(out) - 1
		}
		out[i].res[p].moveFrom(&g.r)
	}
	return out
}

func allEmpty(rs []res) bool {
	for i := range rs {
		if !rs[i].empty() {
			return false
		}
	}
	return true
}

func (a *Allocator) addFilter(ag *agent, c *client, refused []res, expiry time.Time) {
	// A filter the new one dominates (refusing no more, expiring no later)
	// can never block alone: drop it, so a framework that keeps declining a
	// growing offer does not pile filters up.
	for i := 0; i < len(ag.filters); {
		if f := &ag.filters[i]; f.c == c && !f.expiry.After(expiry) && dominates(refused, f.refused) {
			ag.filters = slices.Delete(ag.filters, i, i+1)
			a.forgetFilter(c, ag)
			continue
		}
		i++
	}
	ag.filters = append(ag.filters, filter{c: c, refused: refused, expiry: expiry})
	if a.filterSweepAt.IsZero() || expiry.Before(a.filterSweepAt) {
		a.filterSweepAt = expiry
	}
	if c.filterAgents == nil {
		c.filterAgents = map[*agent]int{}
	}
	c.filterAgents[ag]++
}

// forgetFilter updates c's per-agent filter count after one of its filters
// on ag went away.
func (a *Allocator) forgetFilter(c *client, ag *agent) {
	if c.filterAgents[ag]--; c.filterAgents[ag] <= 0 {
		delete(c.filterAgents, ag)
	}
}

// filterSweepInterval bounds how often ExpireFilters walks the agents:
// a stream of one-second filters costs one walk a second.
const filterSweepInterval = time.Second

// ExpireFilters drops the filters that expired by now. An allocation that
// meets an expired filter drops it too, but one of a suppressed framework,
// or on an agent with nothing free, is never met: without the sweep such
// filters, one per declined offer, would be kept until the framework
// revives.
func (a *Allocator) ExpireFilters(now time.Time) {
	if a.filterSweepAt.IsZero() || now.Before(a.filterSweepAt) {
		return
	}
	var next time.Time
	for _, ag := range a.order {
		if len(ag.filters) == 0 {
			continue
		}
		kept := ag.filters[:0]
		for _, f := range ag.filters {
			if !now.Before(f.expiry) {
				a.forgetFilter(f.c, ag)
				continue
			}
			kept = append(kept, f)
			if next.IsZero() || f.expiry.Before(next) {
				next = f.expiry
			}
		}
		clear(ag.filters[len(kept):])
		ag.filters = kept
		if len(kept) == 0 {
			ag.filters = nil
		}
	}
	if soonest := now.Add(filterSweepInterval); !next.IsZero() && next.Before(soonest) {
		next = soonest
	}
	a.filterSweepAt = next
}

// dropFilters removes all of c's filters.
func (a *Allocator) dropFilters(c *client) {
	for ag := range c.filterAgents {
		ag.filters = slices.DeleteFunc(ag.filters, func(f filter) bool { return f.c == c })
	}
	c.filterAgents = nil
}

// filtered reports whether a filter of c blocks the candidate offer on ag
// (the unreserved pool if withUnres, plus c's role's reserved pools). It
// prunes c's expired filters on the way.
func (a *Allocator) filtered(ag *agent, c *client, withUnres bool, now time.Time) bool {
	for i := 0; i < len(ag.filters); {
		f := &ag.filters[i]
		if f.c != c {
			i++
			continue
		}
		if !now.Before(f.expiry) {
			ag.filters = slices.Delete(ag.filters, i, i+1)
			a.forgetFilter(c, ag)
			continue
		}
		if candidateWithin(ag, c.role, withUnres, f.refused) {
			return true
		}
		i++
	}
	return false
}

func candidateWithin(ag *agent, r *role, withUnres bool, refused []res) bool {
	for p := range ag.pools {
		pl := &ag.pools[p]
		if (p == 0 && !withUnres) || (p > 0 && pl.role != r) || pl.free.empty() {
			continue
		}
		if !refused[p].contains(&pl.free) {
			return false
		}
	}
	return true
}

// dominates reports whether refused ⊇ old in every pool.
func dominates(refused, old []res) bool {
	for p := range old {
		if !refused[p].contains(&old[p]) {
			return false
		}
	}
	return true
}
