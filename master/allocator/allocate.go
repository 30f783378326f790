package allocator

import (
	"slices"
	"sort"
	"time"
)

// Allocate runs one full allocation cycle over all agents (sorted by ID, or
// shuffled by Config.Rand) and returns the offers made, in grant order.
func (a *Allocator) Allocate(now time.Time) []Offer {
	a.prepare()
	order := a.order
	if a.rng != nil {
		order = append(a.agentScratch[:0], a.order...)
		a.rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		a.agentScratch = order
	}
	return a.run(order, now)
}

// AllocateAgents is an event-triggered cycle over only the given agents (a
// new agent, resources just recovered). Unknown IDs are ignored; the agents
// are served in ID order, or shuffled by Config.Rand.
func (a *Allocator) AllocateAgents(now time.Time, agentIDs ...string) []Offer {
	a.prepare()
	order := a.agentScratch[:0]
	for _, id := range agentIDs {
		if ag := a.agents[id]; ag != nil {
			order = append(order, ag)
		}
	}
	if len(order) > 1 {
		sort.Slice(order, func(i, j int) bool { return order[i].id < order[j].id })
		order = slices.Compact(order)
		if a.rng != nil {
			a.rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		}
	}
	a.agentScratch = order
	return a.run(order, now)
}

// run allocates the agents in order. Offers collect in a reused buffer and
// are copied out once at the right size: growing a fresh slice to 10,000
// offers would make several times that in garbage.
func (a *Allocator) run(order []*agent, now time.Time) []Offer {
	buf := a.offerScratch[:0]
	for _, ag := range order {
		buf = a.allocateAgent(ag, now, buf)
	}
	var out []Offer
	if len(buf) > 0 {
		out = slices.Clone(buf)
	}
	clear(buf) // drop references to the offers' resources
	a.offerScratch = buf[:0]
	return out
}

// allocateAgent offers an agent's free resources. First the role that comes
// first in weighted DRF order and has an eligible framework gets everything
// unreserved plus its own reservations; then every other role with free
// reservations here gets those, again in DRF order. That is the same as
// re-sorting all roles after each grant: a grant changes only the granted
// role's share, and a candidate offer that failed (not allocatable, or
// filtered) only shrinks afterwards, so it would fail again.
func (a *Allocator) allocateAgent(ag *agent, now time.Time, out []Offer) []Offer {
	if !ag.active {
		return out
	}
	if !ag.pools[0].free.empty() {
		out = a.allocateUnreserved(ag, now, out)
	}
	if len(ag.pools) > 1 {
		out = a.allocateReserved(ag, now, out)
	}
	return out
}

func (a *Allocator) allocateUnreserved(ag *agent, now time.Time, out []Offer) []Offer {
	unresOK := a.allocatable(ag, nil, true)
	if !unresOK && len(ag.pools) == 1 {
		return out
	}
	popped := a.roleScratch[:0]
	for a.roleHeap.len() > 0 {
		r := a.roleHeap.pop()
		popped = append(popped, r)
		ok := unresOK
		if len(ag.pools) > 1 && ag.hasFreeReserved(r) {
			ok = a.allocatable(ag, r, true)
		}
		if !ok {
			continue
		}
		if c := a.pick(ag, r, true, now); c != nil {
			out = a.grant(ag, c, true, out)
			break
		}
	}
	// Popped roles still have eligible clients; the granted one goes back
	// with its new key.
	for _, r := range popped {
		a.roleHeap.push(r)
	}
	a.roleScratch = popped[:0]
	return out
}

func (a *Allocator) allocateReserved(ag *agent, now time.Time, out []Offer) []Offer {
	roles := a.roleScratch[:0]
	for p := 1; p < len(ag.pools); p++ {
		pl := &ag.pools[p]
		r := pl.role
		if pl.free.empty() || r.fws.len() == 0 || (len(roles) > 0 && roles[len(roles)-1] == r) {
			continue // pools of one role are adjacent
		}
		roles = append(roles, r)
	}
	if len(roles) > 1 {
		sort.Slice(roles, func(i, j int) bool { return roles[i].before(roles[j]) })
	}
	for _, r := range roles {
		if !a.allocatable(ag, r, false) {
			continue
		}
		if c := a.pick(ag, r, false, now); c != nil {
			out = a.grant(ag, c, false, out)
		}
	}
	a.roleScratch = roles[:0]
	return out
}

func (ag *agent) hasFreeReserved(r *role) bool {
	for p := 1; p < len(ag.pools); p++ {
		if ag.pools[p].role == r && !ag.pools[p].free.empty() {
			return true
		}
	}
	return false
}

// pick returns r's lowest-share eligible client that no filter blocks on
// ag, or nil. Blocked clients are popped and pushed back, so the heap is
// left as it was.
func (a *Allocator) pick(ag *agent, r *role, withUnres bool, now time.Time) *client {
	if len(ag.filters) == 0 {
		return r.fws.min()
	}
	var found *client
	popped := a.clientScratch[:0]
	for r.fws.len() > 0 {
		c := r.fws.min()
		if !a.filtered(ag, c, withUnres, now) {
			found = c
			break
		}
		popped = append(popped, r.fws.pop())
	}
	for _, c := range popped {
		r.fws.push(c)
	}
	a.clientScratch = popped[:0]
	return found
}

// allocatable reports whether the candidate offer for role r on ag (the
// unreserved pool if withUnres, plus r's reserved pools; r nil: none) is
// non-empty and holds one of the MinAllocatable quantity sets.
func (a *Allocator) allocatable(ag *agent, r *role, withUnres bool) bool {
	nonEmpty := false
	for p := range ag.pools {
		if inCandidate(ag, p, r, withUnres) && !ag.pools[p].free.empty() {
			nonEmpty = true
			break
		}
	}
	if !nonEmpty {
		return false
	}
sets:
	for _, set := range a.minAlloc {
		for _, q := range set {
			var have int64
			for p := range ag.pools {
				if inCandidate(ag, p, r, withUnres) {
					have += a.quantity(&ag.pools[p].free, q)
				}
			}
			if have < q.q {
				continue sets
			}
		}
		return true
	}
	return false
}

func inCandidate(ag *agent, p int, r *role, withUnres bool) bool {
	if p == 0 {
		return withUnres
	}
	return ag.pools[p].role == r
}

// quantity is how much of q's resource name q holds: scalars in
// milli-units over all kinds of that name, ranges and sets by element count.
func (a *Allocator) quantity(x *res, q minQ) int64 {
	var v int64
	if q.dim < numFixed {
		v = x.fixed[q.dim]
	}
	for _, s := range x.scalars {
		if a.kinds.kinds[s.kind].dim == q.dim {
			v += s.v
		}
	}
	for _, s := range x.ranges {
		if a.kinds.kinds[s.kind].name == q.name {
			v += int64(spansCount(s.spans)) * milli
		}
	}
	for _, s := range x.sets {
		if a.kinds.kinds[s.kind].name == q.name {
			v += int64(len(s.items)) * milli
		}
	}
	return v
}

// grant moves the candidate offer for c's role on ag into c's allocation and
// returns it as an Offer.
func (a *Allocator) grant(ag *agent, c *client, withUnres bool, out []Offer) []Offer {
	r := c.role
	n := 0
	for p := range ag.pools {
		if inCandidate(ag, p, r, withUnres) {
			n += count(&ag.pools[p].free)
		}
	}
	rs := take(&a.slab.ptrs, n)[:0]
	ai := a.allocationInfo(r.name)
	e := ag.allocationOf(c, true)
	moved := make([]res, len(ag.pools))
	delta := a.delta // zero between uses
	for p := range ag.pools {
		free := &ag.pools[p].free
		if !inCandidate(ag, p, r, withUnres) || free.empty() {
			continue
		}
		rs = a.appendProtos(rs, &ag.pools[p], free, ai)
		delta = a.addDims(delta, free, 1)
		moved[p] = free.clone()
		e.res[p].moveFrom(free)
	}
	a.delta = delta
	a.chargeDims(c, delta)
	clear(delta)
	return append(out, Offer{FrameworkID: c.fw.id, AgentID: ag.id, Role: r.name, Resources: rs, Held: hold(ag, c, moved)})
}
