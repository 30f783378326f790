package allocator

// role is a role known to the allocator: one a framework subscribes to or
// holds resources in, or one an agent has reservations for.
type role struct {
	name    string
	weight  float64
	alloc   []int64 // allocated scalars per share dimension, milli-units
	share   float64 // dominant share, unweighted
	key     float64 // share / weight: the DRF sort key
	heapIdx int
	fws     minHeap[*client] // eligible clients, lowest share first
	members []*client        // all clients, eligible or not
	refs    int              // clients + agent pools naming this role
}

func (r *role) before(o *role) bool {
	if r.key != o.key {
		return r.key < o.key
	}
	return r.name < o.name
}

func (r *role) slot() *int { return &r.heapIdx }

// client is a framework's membership in one role (a client of the role's
// framework sorter, in Mesos terms). A multi-role framework has one per role,
// each with its own allocation and share, so what it holds in one role does
// not count against it in another.
type client struct {
	fw         *framework
	role       *role
	alloc      []int64
	share      float64
	heapIdx    int
	subscribed bool // the role is among the framework's roles
	suppressed bool
	nalloc     int // agents holding an allocation of this client
	// filterAgents counts this client's filters per agent, so Revive does
	// not scan the whole cluster.
	filterAgents map[*agent]int
}

func (c *client) before(o *client) bool {
	if c.share != o.share {
		return c.share < o.share
	}
	return c.fw.id < o.fw.id
}

func (c *client) slot() *int { return &c.heapIdx }

// dominant returns max over dimensions of alloc/total. The reference
// implementation in the tests computes it with the same expression, so the
// DRF orders compare exactly.
func (a *Allocator) dominant(alloc []int64) float64 {
	var s float64
	for d, v := range alloc {
		if v > 0 && d < len(a.total) && a.total[d] > 0 {
			if x := float64(v) / float64(a.total[d]); x > s {
				s = x
			}
		}
	}
	return s
}

// addDims adds sign × the scalars of q to vec, growing vec to the number of
// dimensions.
func (a *Allocator) addDims(vec []int64, q *res, sign int64) []int64 {
	if n := len(a.kinds.dims); len(vec) < n {
		vec = append(vec, make([]int64, n-len(vec))...)
	}
	for k := 0; k < numFixed; k++ {
		vec[k] += sign * q.fixed[k]
	}
	for _, s := range q.scalars {
		vec[a.kinds.kinds[s.kind].dim] += sign * s.v
	}
	return vec
}

// charge books q (sign +1) or releases it (sign -1) against a client and its
// role, and refreshes their places in the DRF order.
func (a *Allocator) charge(c *client, q *res, sign int64) {
	a.delta = a.addDims(a.delta, q, sign)
	a.chargeDims(c, a.delta)
	clear(a.delta)
}

// chargeDims adds a per-dimension delta to a client and its role.
func (a *Allocator) chargeDims(c *client, d []int64) {
	c.alloc = addVec(c.alloc, d)
	c.role.alloc = addVec(c.role.alloc, d)
	if a.sharesDirty {
		return
	}
	c.share = a.dominant(c.alloc)
	if c.heapIdx >= 0 {
		c.role.fws.fix(c.heapIdx)
	}
	a.reshareRole(c.role)
}

func addVec(vec, d []int64) []int64 {
	if len(vec) < len(d) {
		vec = append(vec, make([]int64, len(d)-len(vec))...)
	}
	for i, v := range d {
		vec[i] += v
	}
	return vec
}

func (a *Allocator) reshareRole(r *role) {
	if a.sharesDirty {
		return
	}
	r.share = a.dominant(r.alloc)
	r.key = r.share / r.weight
	if r.heapIdx >= 0 {
		a.roleHeap.fix(r.heapIdx)
	}
}

// prepare recomputes every share after cluster totals changed.
func (a *Allocator) prepare() {
	if !a.sharesDirty {
		return
	}
	a.sharesDirty = false
	for _, r := range a.roles {
		r.share = a.dominant(r.alloc)
		r.key = r.share / r.weight
		for _, c := range r.members {
			c.share = a.dominant(c.alloc)
		}
		r.fws.init()
	}
	a.roleHeap.init()
}

// RoleShares returns each known role's dominant share (unweighted), for
// state endpoints and metrics.
func (a *Allocator) RoleShares() map[string]float64 {
	out := make(map[string]float64, len(a.roles))
	for name, r := range a.roles {
		out[name] = a.dominant(r.alloc)
	}
	return out
}

// FrameworkShares returns each framework's dominant share over all its
// roles together.
func (a *Allocator) FrameworkShares() map[string]float64 {
	out := make(map[string]float64, len(a.frameworks))
	var sum []int64
	for id, fw := range a.frameworks {
		sum = sum[:0]
		for _, c := range fw.clients {
			for len(sum) < len(c.alloc) {
				sum = append(sum, 0)
			}
			for d, v := range c.alloc {
				sum[d] += v
			}
		}
		out[id] = a.dominant(sum)
	}
	return out
}
