package master

import (
	"math"
	"slices"
	"sync"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// usedSum adds up the resources of many tasks for a State's sums. A task's
// resources are almost always plain scalars (no reservation, disk, ranges
// or set) allocated to a role; those are added here in fixed point, one
// slot per (name, role), and only what remains goes through
// resources.Add. The result equals sumStripped of everything added
// (property_sums_test.go checks it), at a fraction of its cost over
// 100,000 tasks.
type usedSum struct {
	items []sumItem // first-seen order, as resources.Add keeps it
}

type sumItem struct {
	other *mesos.Resource // set for items that are not plain scalars
	name  string
	role  string
	alloc bool // AllocationInfo present
	milli int64
}

// Scalars are summed in thousandths, as package resources does.
const maxSumMilli = 1 << 53

func toSumMilli(v float64) int64 {
	if math.IsNaN(v) {
		return 0
	}
	m := math.Round(v * 1000)
	switch {
	case m > maxSumMilli:
		return maxSumMilli
	case m < -maxSumMilli:
		return -maxSumMilli
	}
	return int64(m)
}

// plainScalar reports whether r's identity is only its name and allocation
// role, so that its value can be summed without a template.
func plainScalar(r *mesos.Resource) bool {
	return r.GetType() == mesos.Value_SCALAR && r.Scalar != nil && r.Ranges == nil && r.Set == nil &&
		r.Role == nil && r.Reservation == nil && len(r.Reservations) == 0 && r.Disk == nil &&
		r.Revocable == nil && r.Shared == nil && r.ProviderId == nil && r.Name != nil &&
		len(r.ProtoReflect().GetUnknown()) == 0
}

func (s *usedSum) add(rs []*mesos.Resource) {
	for _, r := range rs {
		if plainScalar(r) {
			s.addPlain(r.GetName(), r.GetAllocationInfo().GetRole(), r.AllocationInfo != nil, toSumMilli(r.GetScalar().GetValue()))
		} else {
			s.items = append(s.items, sumItem{other: r})
		}
	}
}

// addBoth adds rs to two sums (a framework's and an agent's), reading
// each resource once.
func addBoth(a, b *usedSum, rs []*mesos.Resource) {
	for _, r := range rs {
		if !plainScalar(r) {
			a.items = append(a.items, sumItem{other: r})
			b.items = append(b.items, sumItem{other: r})
			continue
		}
		name, role, alloc := r.GetName(), r.GetAllocationInfo().GetRole(), r.AllocationInfo != nil
		m := toSumMilli(r.GetScalar().GetValue())
		a.addPlain(name, role, alloc, m)
		b.addPlain(name, role, alloc, m)
	}
}

func (s *usedSum) addPlain(name, role string, alloc bool, m int64) {
	for i := range s.items {
		it := &s.items[i]
		if it.other == nil && it.alloc == alloc && it.name == name && it.role == role {
			it.milli = min(it.milli+m, maxSumMilli)
			return
		}
	}
	s.items = append(s.items, sumItem{name: name, role: role, alloc: alloc, milli: m})
}

// resources is the sum without allocation info, as sumStripped returns it.
func (s *usedSum) resources() []*mesos.Resource {
	if len(s.items) == 0 {
		return nil
	}
	rs := make([]*mesos.Resource, 0, len(s.items))
	for i := range s.items {
		it := &s.items[i]
		if it.other != nil {
			rs = append(rs, it.other)
			continue
		}
		r := &mesos.Resource{Name: strPtr(it.name), Type: mesos.Value_SCALAR.Enum(),
			Scalar: &mesos.Value_Scalar{Value: float64Ptr(float64(it.milli) / 1000)}}
		if it.alloc {
			r.AllocationInfo = &mesos.Resource_AllocationInfo{Role: strPtr(it.role)}
		}
		rs = append(rs, r)
	}
	return sumStripped(rs)
}

// sumCache keeps a State's sums from one read to the next. Tasks are
// grouped by (framework, agent); a group whose task views are the ones of
// the previous read keeps its sum, and a framework's or agent's total
// whose items are unchanged keeps its resources, so a read where few
// tasks changed adds up only their groups. Totals add the groups' items in
// group order, so an item's position in a total can differ from its first
// appearance among all tasks; the totals are equal as resource sets.
type sumCache struct {
	mu      sync.Mutex
	groups  map[groupKey]*groupSum
	results map[sumOwner]*sumResult
}

type groupKey struct{ framework, agent string }

type groupSum struct {
	views []*TaskView
	sum   usedSum
}

type sumOwner struct {
	agent bool
	id    string
}

type sumResult struct {
	items []sumItem
	res   []*mesos.Resource
}

// taskSums are a State's used resources by framework and by agent.
type taskSums struct {
	byFramework, byAgent map[string][]*mesos.Resource
}

// sums adds up the used resources of the frameworks' live tasks (tasks[i]
// are frameworks[i]'s, in order).
func (c *sumCache) sums(frameworks []FrameworkView, tasks [][]*TaskView) taskSums {
	c.mu.Lock()
	defer c.mu.Unlock()
	groups := map[groupKey]*groupSum{}
	var order []groupKey // first appearance
	for i := range frameworks {
		var g *groupSum
		var k groupKey
		for _, t := range tasks[i] {
			if g == nil || t.AgentID != k.agent {
				k = groupKey{frameworks[i].ID, t.AgentID}
				if g = groups[k]; g == nil {
					g = &groupSum{}
					groups[k] = g
					order = append(order, k)
				}
			}
			g.views = append(g.views, t)
		}
	}
	byFramework := map[string]*usedSum{}
	byAgent := map[string]*usedSum{}
	var owners []sumOwner
	total := func(o sumOwner, m map[string]*usedSum) *usedSum {
		s := m[o.id]
		if s == nil {
			s = &usedSum{}
			m[o.id] = s
			owners = append(owners, o)
		}
		return s
	}
	for _, k := range order {
		g := groups[k]
		if prev := c.groups[k]; prev != nil && slices.Equal(prev.views, g.views) {
			g.sum = prev.sum
		} else {
			for _, v := range g.views {
				g.sum.add(v.Resources)
				g.sum.add(v.executorResources)
			}
		}
		total(sumOwner{false, k.framework}, byFramework).addItems(g.sum.items)
		total(sumOwner{true, k.agent}, byAgent).addItems(g.sum.items)
	}
	out := taskSums{byFramework: map[string][]*mesos.Resource{}, byAgent: map[string][]*mesos.Resource{}}
	results := make(map[sumOwner]*sumResult, len(owners))
	for _, o := range owners {
		s, dst := byFramework[o.id], out.byFramework
		if o.agent {
			s, dst = byAgent[o.id], out.byAgent
		}
		r := c.results[o]
		if r == nil || !slices.Equal(r.items, s.items) {
			r = &sumResult{items: s.items, res: s.resources()}
		}
		results[o], dst[o.id] = r, r.res
	}
	c.groups, c.results = groups, results
	return out
}

func (s *usedSum) addItems(items []sumItem) {
	for _, it := range items {
		if it.other != nil {
			s.items = append(s.items, it)
		} else {
			s.addPlain(it.name, it.role, it.alloc, it.milli)
		}
	}
}
