package allocator

import (
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// This file is the input side of the proto boundary: []*mesos.Resource into
// the compact form. protos.go is the output side.

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
