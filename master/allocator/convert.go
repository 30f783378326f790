package allocator

import (
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// This file is the proto boundary: []*mesos.Resource in (parse) and out
// (appendProtos). Nothing else in the package looks at mesos.Resource.

// parsed is a group of input resources sharing a reservation and an
// allocation role.
type parsed struct {
	resv      reservation
	allocRole string // allocation_info.role, "" if absent
	r         res
}

// parse converts resources into groups by (reservation, allocation role),
// in first-seen order. Resources the allocator cannot account (TEXT type,
// non-positive scalars, malformed reservations) are skipped: validating
// resources is the master's job, and the allocator must not fail on them.
func (a *Allocator) parse(rs []*mesos.Resource) []parsed {
	var out []parsed
	for _, r := range rs {
		k, ok := a.kinds.kindOf(r)
		if !ok {
			continue
		}
		var v int64
		var spans []span
		var items []string
		typ := a.kinds.kinds[k].typ
		switch typ {
		case mesos.Value_SCALAR:
			v = toMilli(r.GetScalar().GetValue())
			ok = v > 0
		case mesos.Value_RANGES:
			rg := r.GetRanges().GetRange()
			spans = make([]span, 0, len(rg))
			for _, x := range rg {
				spans = append(spans, span{x.GetBegin(), x.GetEnd()})
			}
			spans = normalizeSpans(spans)
			ok = len(spans) > 0
		case mesos.Value_SET:
			items = normalizeSet(append([]string(nil), r.GetSet().GetItem()...))
			ok = len(items) > 0
		}
		if !ok {
			continue
		}
		resv, err := reservationOf(r)
		if err != nil {
			continue
		}
		role := r.GetAllocationInfo().GetRole()
		i := 0
		for i < len(out) && (out[i].resv.key != resv.key || out[i].allocRole != role) {
			i++
		}
		if i == len(out) {
			out = append(out, parsed{resv: resv, allocRole: role})
		}
		switch g := &out[i].r; typ {
		case mesos.Value_SCALAR:
			g.addScalar(k, v)
		case mesos.Value_RANGES:
			g.addSpans(k, spans)
		case mesos.Value_SET:
			g.addItems(k, items)
		}
	}
	return out
}

// count returns how many Resource messages appendProtos makes for q.
func count(q *res) int {
	n := len(q.scalars) + len(q.ranges) + len(q.sets)
	for _, v := range q.fixed {
		if v > 0 {
			n++
		}
	}
	return n
}

// appendProtos appends q (of pool p) as resources allocated as ai says. All
// messages come from the slab: an offer costs a handful of allocations per
// few hundred offers instead of a dozen each.
func (a *Allocator) appendProtos(dst []*mesos.Resource, p *pool, q *res, ai *mesos.Resource_AllocationInfo) []*mesos.Resource {
	s := &a.slab
	for k, v := range q.fixed {
		if v > 0 {
			dst = append(dst, a.scalarProto(p, int32(k), v, ai))
		}
	}
	for _, x := range q.scalars {
		dst = append(dst, a.scalarProto(p, x.kind, x.v, ai))
	}
	for _, x := range q.ranges {
		r := a.baseProto(p, x.kind, ai)
		rs := take(&s.rangesMsgs, 1)
		rs[0].Range = take(&s.rangePtrs, len(x.spans))
		vals := take(&s.rangeMsgs, len(x.spans))
		ends := take(&s.u64, 2*len(x.spans))
		for i, sp := range x.spans {
			ends[2*i], ends[2*i+1] = sp.lo, sp.hi
			vals[i].Begin, vals[i].End = &ends[2*i], &ends[2*i+1]
			rs[0].Range[i] = &vals[i]
		}
		r.Ranges = &rs[0]
		dst = append(dst, r)
	}
	for _, x := range q.sets {
		r := a.baseProto(p, x.kind, ai)
		r.Set = &mesos.Value_Set{Item: append([]string(nil), x.items...)}
		dst = append(dst, r)
	}
	return dst
}

func (a *Allocator) scalarProto(p *pool, k int32, v int64, ai *mesos.Resource_AllocationInfo) *mesos.Resource {
	r := a.baseProto(p, k, ai)
	sc := take(&a.slab.scalars, 1)
	f := take(&a.slab.f64, 1)
	f[0] = float64(v) / milli
	sc[0].Value = &f[0]
	r.Scalar = &sc[0]
	return r
}

// allocationInfo returns a fresh AllocationInfo for role, shared by the
// resources of one offer (they all have that role).
func (a *Allocator) allocationInfo(role string) *mesos.Resource_AllocationInfo {
	str := &take(&a.slab.strs, 1)[0]
	*str = role
	ai := &take(&a.slab.allocInfos, 1)[0]
	ai.Role = str
	return ai
}

func (a *Allocator) baseProto(p *pool, k int32, ai *mesos.Resource_AllocationInfo) *mesos.Resource {
	s := &a.slab
	kd := &a.kinds.kinds[k]
	r := &take(&s.resources, 1)[0]
	name := &take(&s.strs, 1)[0]
	*name = kd.name
	typ := &take(&s.types, 1)[0]
	*typ = kd.typ
	r.Name, r.Type, r.AllocationInfo = name, typ, ai
	if p.role != nil {
		// Full slice expression: an append by the caller must not write
		// into the pool's template.
		r.Reservations = p.resv.stack[:len(p.resv.stack):len(p.resv.stack)]
	}
	if e := kd.extra; e != nil {
		r.Disk, r.Revocable, r.Shared, r.ProviderId = e.Disk, e.Revocable, e.Shared, e.ProviderId
	}
	return r
}

// slab hands out message structs carved from large arrays. Offers keep
// whole chunks alive until all their offers are gone; that is the price of
// building 10,000 offers in a few milliseconds.
type slab struct {
	resources  []mesos.Resource
	ptrs       []*mesos.Resource
	scalars    []mesos.Value_Scalar
	f64        []float64
	strs       []string
	types      []mesos.Value_Type
	allocInfos []mesos.Resource_AllocationInfo
	rangesMsgs []mesos.Value_Ranges
	rangeMsgs  []mesos.Value_Range
	rangePtrs  []*mesos.Value_Range
	u64        []uint64
}

const slabChunk = 1024

// take carves n elements off *s, refilling it with a fresh chunk when short.
// The capacity is clipped so appending to the result cannot reach a
// neighbour's elements.
func take[T any](s *[]T, n int) []T {
	if len(*s) < n {
		*s = make([]T, max(n, slabChunk))
	}
	out := (*s)[:n:n]
	*s = (*s)[n:]
	return out
}
