package allocator

import (
	"slices"
	"sort"
	"strings"

	"google.golang.org/protobuf/proto"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

type agent struct {
	id     string
	active bool
	// pools[0] holds the unreserved resources (possibly none); the others
	// one reservation each, sorted by role then reservation key. An agent's
	// pools are fixed from AddAgent on, so pool indices are stable and used
	// in allocations and filters.
	pools   []pool
	allocs  []*allocation
	filters []filter
	// spare is an emptied allocation kept for the next grant on this agent:
	// offer, decline, offer again is the common cycle, and reusing it saves
	// two allocations per offer.
	spare *allocation
}

type pool struct {
	resv  reservation
	role  *role // nil for the unreserved pool
	total res
	free  res
}

// allocation is what one client holds on one agent, per pool.
type allocation struct {
	c   *client
	res []res // indexed like agent.pools
}

func (e *allocation) empty() bool {
	for i := range e.res {
		if !e.res[i].empty() {
			return false
		}
	}
	return true
}

// AddAgent adds an agent with its total resources and what frameworks
// already use on it (a reregistering agent's tasks and executors; the
// resources should carry allocation_info). Adding a known agent replaces it.
// Frameworks not yet added are tracked from their allocations alone and get
// no offers until AddFramework.
func (a *Allocator) AddAgent(agentID string, total []*mesos.Resource, used map[string][]*mesos.Resource) {
	if a.agents[agentID] != nil {
		a.RemoveAgent(agentID)
	}
	ag := &agent{id: agentID, active: true, pools: []pool{{resv: reservation{role: "*"}}}}
	for _, g := range a.parse(total) {
		p := ag.poolIndex(g.resv.key)
		if p < 0 {
			ag.pools = append(ag.pools, pool{resv: g.resv.clone(), role: a.role(g.resv.role)})
			p = len(ag.pools) - 1
		}
		ag.pools[p].total.add(&g.r)
	}
	rest := ag.pools[1:]
	sort.Slice(rest, func(i, j int) bool {
		if rest[i].resv.role != rest[j].resv.role {
			return rest[i].resv.role < rest[j].resv.role
		}
		return rest[i].resv.key < rest[j].resv.key
	})
	for i := range ag.pools {
		p := &ag.pools[i]
		p.free = p.total.clone()
		a.total = a.addDims(a.total, &p.total, 1)
	}
	a.sharesDirty = true
	a.agents[agentID] = ag
	i := sort.Search(len(a.order), func(i int) bool { return a.order[i].id >= agentID })
	a.order = slices.Insert(a.order, i, ag)

	fwIDs := make([]string, 0, len(used))
	for id := range used {
		fwIDs = append(fwIDs, id)
	}
	sort.Strings(fwIDs) // map order must not leak into the result
	for _, id := range fwIDs {
		fw := a.framework(id)
		for _, g := range a.parse(used[id]) {
			p := ag.poolIndex(g.resv.key)
			if p < 0 {
				continue // not part of the agent's total
			}
			c := a.client(fw, a.allocRole(fw, ag, g))
			take := ag.pools[p].free.intersect(&g.r)
			if take.empty() {
				a.maybeDrop(c)
				continue
			}
			ag.pools[p].free.sub(&take)
			ag.allocationOf(c, true).res[p].add(&take)
			a.charge(c, &take, 1)
		}
		if !fw.known && len(fw.clients) == 0 {
			delete(a.frameworks, id) // it turned out to hold nothing here
		}
	}
}

// RemoveAgent forgets an agent; what frameworks held on it is no longer
// allocated to them.
func (a *Allocator) RemoveAgent(agentID string) {
	ag := a.agents[agentID]
	if ag == nil {
		return
	}
	for len(ag.allocs) > 0 {
		a.release(ag, len(ag.allocs)-1, false)
	}
	for _, f := range ag.filters {
		a.forgetFilter(f.c, ag)
	}
	ag.filters = nil
	for i := range ag.pools {
		p := &ag.pools[i]
		a.total = a.addDims(a.total, &p.total, -1)
		if p.role != nil {
			a.unref(p.role)
		}
	}
	a.sharesDirty = true
	delete(a.agents, agentID)
	i := sort.Search(len(a.order), func(i int) bool { return a.order[i].id >= agentID })
	a.order = slices.Delete(a.order, i, i+1)
}

// SetAgentActive marks an agent reachable or not; an inactive agent keeps
// its allocations and counts in the cluster total but gets no offers.
func (a *Allocator) SetAgentActive(agentID string, active bool) {
	if ag := a.agents[agentID]; ag != nil {
		ag.active = active
	}
}

// release drops allocation i of ag from its client's books, returning the
// resources to the free pools if toFree (they vanish with a removed agent).
func (a *Allocator) release(ag *agent, i int, toFree bool) {
	e := ag.allocs[i]
	for p := range e.res {
		a.charge(e.c, &e.res[p], -1)
		if toFree {
			ag.pools[p].free.add(&e.res[p])
		}
	}
	ag.allocs = slices.Delete(ag.allocs, i, i+1)
	e.c.nalloc--
	a.maybeDrop(e.c)
}

func (ag *agent) poolIndex(key string) int {
	for i := range ag.pools {
		if ag.pools[i].resv.key == key {
			return i
		}
	}
	return -1
}

// allocationOf returns c's allocation on ag, creating it if create.
func (ag *agent) allocationOf(c *client, create bool) *allocation {
	for _, e := range ag.allocs {
		if e.c == c {
			return e
		}
	}
	if !create {
		return nil
	}
	e := ag.spare
	if e != nil {
		ag.spare = nil
		e.c = c
	} else {
		e = &allocation{c: c, res: make([]res, len(ag.pools))}
	}
	ag.allocs = append(ag.allocs, e)
	c.nalloc++
	return e
}

// allocRole is the role a group of resources is allocated to: its
// allocation_info role; else, for resources from a framework that predates
// MULTI_ROLE, the reservation role, the framework's only role on this agent,
// or its first role.
func (a *Allocator) allocRole(fw *framework, ag *agent, g parsed) string {
	if g.allocRole != "" {
		return g.allocRole
	}
	if g.resv.role != "*" {
		return g.resv.role
	}
	var only string
	n := 0
	for _, e := range ag.allocs {
		if e.c.fw == fw {
			only = e.c.role.name
			n++
		}
	}
	if n == 1 {
		return only
	}
	if len(fw.roles) > 0 {
		return fw.roles[0]
	}
	return "*"
}

// clone deep-copies the reservation stack: the pool keeps it as the
// template of every offer, and the caller may reuse its messages.
func (r reservation) clone() reservation {
	c := reservation{key: r.key, role: strings.Clone(r.role)}
	for _, ri := range r.stack {
		c.stack = append(c.stack, proto.Clone(ri).(*mesos.Resource_ReservationInfo))
	}
	return c
}
