package allocator

import (
	"slices"
	"sort"
)

// milli is the fixed-point scale of scalar quantities. Mesos rounds scalar
// arithmetic to three decimal digits; integers make sums, differences and
// subset tests exact, so repeated offer/recover cycles never drift.
const milli = 1000

// Fixed scalar kinds. The four resources every agent has get array slots so
// the hot path (grant, share update, MinAllocatable) touches no slice.
const (
	kCPUs = iota
	kMem
	kDisk
	kGPUs
	numFixed
)

// span is an inclusive range [lo, hi] of a ranges resource (ports).
type span struct{ lo, hi uint64 }

type scalarQ struct {
	kind int32
	v    int64 // milli-units, > 0
}

type rangeQ struct {
	kind  int32
	spans []span // sorted, disjoint, non-adjacent, non-empty
}

type setQ struct {
	kind  int32
	items []string // sorted, unique, non-empty
}

// res is the allocator's compact representation of a bag of resources of one
// reservation pool on one agent. A kind identifies name, type and any other
// identity (disk info, revocable...) of a resource, see kinds.go. Entries of
// each slice are sorted by kind and never empty. A res owns its slices: no
// two res values share backing arrays, so operations may modify in place.
type res struct {
	fixed   [numFixed]int64
	scalars []scalarQ
	ranges  []rangeQ
	sets    []setQ
}

func (r *res) empty() bool {
	return r.fixed == [numFixed]int64{} && len(r.scalars) == 0 && len(r.ranges) == 0 && len(r.sets) == 0
}

func (r *res) clone() res {
	c := res{fixed: r.fixed}
	if len(r.scalars) > 0 {
		c.scalars = append([]scalarQ(nil), r.scalars...)
	}
	for _, q := range r.ranges {
		c.ranges = append(c.ranges, rangeQ{q.kind, append([]span(nil), q.spans...)})
	}
	for _, q := range r.sets {
		c.sets = append(c.sets, setQ{q.kind, append([]string(nil), q.items...)})
	}
	return c
}

// moveFrom adds src to r and empties src. When r is empty it steals src's
// slices instead of copying: a grant moves a whole free pool this way.
func (r *res) moveFrom(src *res) {
	if r.empty() {
		*r = *src
	} else {
		r.add(src)
	}
	*src = res{}
}

// add sets r = r + o without aliasing o's slices.
func (r *res) add(o *res) {
	for i := range r.fixed {
		r.fixed[i] += o.fixed[i]
	}
	for _, q := range o.scalars {
		r.addScalar(q.kind, q.v)
	}
	for _, q := range o.ranges {
		r.addSpans(q.kind, append([]span(nil), q.spans...))
	}
	for _, q := range o.sets {
		r.addItems(q.kind, append([]string(nil), q.items...))
	}
}

func (r *res) addScalar(k int32, v int64) {
	if k < numFixed {
		r.fixed[k] += v
		return
	}
	i := sort.Search(len(r.scalars), func(i int) bool { return r.scalars[i].kind >= k })
	if i < len(r.scalars) && r.scalars[i].kind == k {
		r.scalars[i].v += v
		return
	}
	r.scalars = slices.Insert(r.scalars, i, scalarQ{k, v})
}

// addSpans adds normalized spans, taking ownership of s.
func (r *res) addSpans(k int32, s []span) {
	i := sort.Search(len(r.ranges), func(i int) bool { return r.ranges[i].kind >= k })
	if i < len(r.ranges) && r.ranges[i].kind == k {
		r.ranges[i].spans = spansUnion(r.ranges[i].spans, s)
		return
	}
	r.ranges = slices.Insert(r.ranges, i, rangeQ{k, s})
}

// addItems adds a normalized set, taking ownership of items.
func (r *res) addItems(k int32, items []string) {
	i := sort.Search(len(r.sets), func(i int) bool { return r.sets[i].kind >= k })
	if i < len(r.sets) && r.sets[i].kind == k {
		r.sets[i].items = setUnion(r.sets[i].items, items)
		return
	}
	r.sets = slices.Insert(r.sets, i, setQ{k, items})
}

// sub sets r = r - o, clamped at zero: the allocator never trusts callers to
// hand back exactly what it holds.
func (r *res) sub(o *res) {
	for i := range r.fixed {
		r.fixed[i] = max(r.fixed[i]-o.fixed[i], 0)
	}
	if len(o.scalars) > 0 {
		out := r.scalars[:0]
		for _, q := range r.scalars {
			if v, ok := findScalar(o.scalars, q.kind); ok {
				q.v -= v
			}
			if q.v > 0 {
				out = append(out, q)
			}
		}
		r.scalars = out
	}
	if len(o.ranges) > 0 {
		out := r.ranges[:0]
		for _, q := range r.ranges {
			if s := findRanges(o.ranges, q.kind); s != nil {
				q.spans = spansDiff(q.spans, s)
			}
			if len(q.spans) > 0 {
				out = append(out, q)
			}
		}
		r.ranges = out
	}
	if len(o.sets) > 0 {
		out := r.sets[:0]
		for _, q := range r.sets {
			if s := findSet(o.sets, q.kind); s != nil {
				q.items = setDiff(q.items, s)
			}
			if len(q.items) > 0 {
				out = append(out, q)
			}
		}
		r.sets = out
	}
}

// intersect returns a new res holding what r and o have in common.
func (r *res) intersect(o *res) res {
	var c res
	for i := range r.fixed {
		c.fixed[i] = min(r.fixed[i], o.fixed[i])
	}
	for _, q := range r.scalars {
		if v, ok := findScalar(o.scalars, q.kind); ok {
			c.scalars = append(c.scalars, scalarQ{q.kind, min(q.v, v)})
		}
	}
	for _, q := range r.ranges {
		if s := spansIntersect(q.spans, findRanges(o.ranges, q.kind)); len(s) > 0 {
			c.ranges = append(c.ranges, rangeQ{q.kind, s})
		}
	}
	for _, q := range r.sets {
		if s := setIntersect(q.items, findSet(o.sets, q.kind)); len(s) > 0 {
			c.sets = append(c.sets, setQ{q.kind, s})
		}
	}
	return c
}

// contains reports whether o ⊆ r.
func (r *res) contains(o *res) bool {
	for i := range r.fixed {
		if o.fixed[i] > r.fixed[i] {
			return false
		}
	}
	for _, q := range o.scalars {
		if v, _ := findScalar(r.scalars, q.kind); v < q.v {
			return false
		}
	}
	for _, q := range o.ranges {
		if !spansContain(findRanges(r.ranges, q.kind), q.spans) {
			return false
		}
	}
	for _, q := range o.sets {
		if len(setIntersect(findSet(r.sets, q.kind), q.items)) != len(q.items) {
			return false
		}
	}
	return true
}

func findScalar(qs []scalarQ, kind int32) (int64, bool) {
	for _, q := range qs {
		if q.kind == kind {
			return q.v, true
		}
	}
	return 0, false
}

func findRanges(qs []rangeQ, kind int32) []span {
	for _, q := range qs {
		if q.kind == kind {
			return q.spans
		}
	}
	return nil
}

func findSet(qs []setQ, kind int32) []string {
	for _, q := range qs {
		if q.kind == kind {
			return q.items
		}
	}
	return nil
}
