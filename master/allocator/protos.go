package allocator

import (
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// The output side of the proto boundary: offers' resources as
// []*mesos.Resource, built only for the offers made.

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

// appendProtos appends q (of pool p) as resources allocated as ai says.
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

// slab hands out message structs carved from arrays shared by consecutive
// offers. Building an offer's dozen messages one allocation at a time, or
// even one allocation per offer, makes a 10,000-agent cycle 25-40% slower
// (measured); carving them from chunks costs a few allocations per 64
// offers. The price: a chunk stays alive while any of its offers does, so
// an offer a framework holds for hours keeps up to ~64 offers' messages
// (~80 KB) alive. Offers normally live seconds; chunks are kept small
// enough that hoarded ones cannot pin a whole cycle's worth.
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

// slabChunk is the elements per chunk: about 64 offers' worth of Resources.
const slabChunk = 256

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
