package allocator

import (
	"slices"
	"sort"
)

// framework is a framework the allocator knows: added by the master, or
// only seen holding resources on a (re)registering agent before the
// framework itself resubscribed (known == false).
type framework struct {
	id      string
	known   bool
	active  bool
	roles   []string  // subscribed roles as given; roles[0] is the fallback allocation role
	clients []*client // sorted by role name
}

// AddFramework adds an active framework subscribed to roles, suppressed in
// suppressedRoles. Adding a known framework again updates it.
func (a *Allocator) AddFramework(frameworkID string, roles []string, suppressedRoles []string) {
	fw := a.framework(frameworkID)
	fw.known, fw.active = true, true
	a.setRoles(fw, roles, suppressedRoles)
}

// UpdateFramework replaces a framework's roles and suppressed roles. A role
// it leaves keeps the framework's allocations in it (until recovered) but
// gets no more offers, and its filters are dropped.
func (a *Allocator) UpdateFramework(frameworkID string, roles []string, suppressedRoles []string) {
	fw := a.frameworks[frameworkID]
	if fw == nil || !fw.known {
		return
	}
	a.setRoles(fw, roles, suppressedRoles)
}

// RemoveFramework forgets a framework; everything allocated to it returns to
// the free pools.
func (a *Allocator) RemoveFramework(frameworkID string) {
	fw := a.frameworks[frameworkID]
	if fw == nil {
		return
	}
	for _, ag := range a.order {
		for i := 0; i < len(ag.allocs); {
			if e := ag.allocs[i]; e.c.fw == fw {
				a.release(ag, i, true)
				continue
			}
			i++
		}
	}
	fw.known = false
	a.setRoles(fw, nil, nil) // unsubscribes, drops filters and clients
	delete(a.frameworks, frameworkID)
}

// SetFrameworkActive marks a framework connected or disconnected. An
// inactive framework keeps its allocations but gets no offers.
func (a *Allocator) SetFrameworkActive(frameworkID string, active bool) {
	fw := a.frameworks[frameworkID]
	if fw == nil || !fw.known {
		return
	}
	fw.active = active
	for _, c := range fw.clients {
		a.sync(c)
	}
}

// Suppress stops offers to a framework in the given roles (nil or empty:
// all its roles) until Revive.
func (a *Allocator) Suppress(frameworkID string, roles []string) {
	a.forRoles(frameworkID, roles, func(c *client) {
		c.suppressed = true
		a.sync(c)
	})
}

// Revive resumes offers to a framework in the given roles (nil or empty: all
// its roles) and clears its filters in those roles.
func (a *Allocator) Revive(frameworkID string, roles []string) {
	a.forRoles(frameworkID, roles, func(c *client) {
		c.suppressed = false
		a.dropFilters(c)
		a.sync(c)
	})
}

func (a *Allocator) forRoles(frameworkID string, roles []string, fn func(*client)) {
	fw := a.frameworks[frameworkID]
	if fw == nil || !fw.known {
		return
	}
	for _, c := range fw.clients {
		if c.subscribed && (len(roles) == 0 || slices.Contains(roles, c.role.name)) {
			fn(c)
		}
	}
}

func (a *Allocator) framework(id string) *framework {
	fw := a.frameworks[id]
	if fw == nil {
		fw = &framework{id: id}
		a.frameworks[id] = fw
	}
	return fw
}

func (a *Allocator) setRoles(fw *framework, roles, suppressed []string) {
	fw.roles = fw.roles[:0]
	for _, r := range roles {
		if !slices.Contains(fw.roles, r) {
			fw.roles = append(fw.roles, r)
		}
	}
	for _, r := range fw.roles {
		a.client(fw, r)
	}
	// Iterate over a copy: dropping a client edits fw.clients.
	for _, c := range slices.Clone(fw.clients) {
		c.subscribed = slices.Contains(fw.roles, c.role.name)
		c.suppressed = c.subscribed && slices.Contains(suppressed, c.role.name)
		if !c.subscribed {
			a.dropFilters(c)
		}
		a.sync(c)
		a.maybeDrop(c)
	}
}

// client returns fw's client in role name, creating it.
func (a *Allocator) client(fw *framework, name string) *client {
	i := sort.Search(len(fw.clients), func(i int) bool { return fw.clients[i].role.name >= name })
	if i < len(fw.clients) && fw.clients[i].role.name == name {
		return fw.clients[i]
	}
	c := &client{fw: fw, role: a.role(name), heapIdx: -1}
	c.role.members = append(c.role.members, c)
	fw.clients = slices.Insert(fw.clients, i, c)
	return c
}

// lookupClient returns fw's client in role name, or nil.
func lookupClient(fw *framework, name string) *client {
	for _, c := range fw.clients {
		if c.role.name == name {
			return c
		}
	}
	return nil
}

// sync puts c into its role's heap iff it may receive offers, and the role
// into the role heap iff it has such a client. Keeping ineligible clients
// out of the heaps means a cycle never wades through suppressed or
// disconnected frameworks.
func (a *Allocator) sync(c *client) {
	eligible := c.fw.known && c.fw.active && c.subscribed && !c.suppressed
	r := c.role
	switch {
	case eligible && c.heapIdx < 0:
		r.fws.push(c)
	case !eligible && c.heapIdx >= 0:
		r.fws.remove(c.heapIdx)
	}
	switch {
	case r.fws.len() > 0 && r.heapIdx < 0:
		a.roleHeap.push(r)
	case r.fws.len() == 0 && r.heapIdx >= 0:
		a.roleHeap.remove(r.heapIdx)
	}
}

// maybeDrop forgets a client that is neither subscribed nor holding
// resources, and a framework left with no reason to be tracked.
func (a *Allocator) maybeDrop(c *client) {
	if c.subscribed || c.nalloc > 0 {
		return
	}
	fw := c.fw
	if i := slices.Index(fw.clients, c); i >= 0 {
		fw.clients = slices.Delete(fw.clients, i, i+1)
		m := c.role.members
		c.role.members = slices.Delete(m, slices.Index(m, c), slices.Index(m, c)+1)
		a.dropFilters(c)
		a.unref(c.role)
	}
	if !fw.known && len(fw.clients) == 0 {
		delete(a.frameworks, fw.id)
	}
}

func (a *Allocator) role(name string) *role {
	r := a.roles[name]
	if r == nil {
		w, ok := a.weights[name]
		if !ok {
			w = 1
		}
		r = &role{name: name, weight: w, heapIdx: -1}
		a.roles[name] = r
	}
	r.refs++
	return r
}

func (a *Allocator) unref(r *role) {
	if r.refs--; r.refs == 0 {
		delete(a.roles, r.name)
	}
}
