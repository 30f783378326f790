package placement

import (
	"sort"

	"google.golang.org/protobuf/proto"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// Why a need could not be met.
const (
	shortfall     = "short"      // the offer does not hold enough
	roleShortfall = "short-role" // it does, but in roles the app does not accept
)

// plan is a tentative carving of an offer for one instance: nothing is taken
// until commit, so a refused placement leaves the offer as it was.
type plan struct {
	offer    *Offer
	accepted map[string]bool
	takes    []take
}

type take struct {
	s      *slot
	milli  int64
	ranges [][2]uint64
}

// scalar plans to take amount (thousandths) of the named scalar from slots
// of accepted roles, reserved ones first.
func (p *plan) scalar(name string, amount int64) string {
	if amount <= 0 {
		return ""
	}
	var total int64
	left := amount
	for _, pass := range []bool{true, false} {
		for _, s := range p.offer.slots {
			if s.name != name || s.ranges != nil || (s.role != "*") != pass {
				continue
			}
			total += s.milli
			if !p.accepted[s.role] || left == 0 {
				continue
			}
			n := min(left, s.milli)
			if n > 0 {
				p.takes = append(p.takes, take{s: s, milli: n})
				left -= n
			}
		}
	}
	switch {
	case left == 0:
		return ""
	case total >= amount:
		return roleShortfall
	default:
		return shortfall
	}
}

// ports plans the host ports: fixed ones must be offered, any-port requests
// take the lowest free ports. It returns one entry per request (0 where no
// host port is wanted).
func (p *plan) ports(reqs []portRequest) ([]int, string) {
	out := make([]int, len(reqs))
	chosen := map[uint64]bool{}
	anyRole := false
	// Fixed ports first, so that "any" never takes a port asked for by number.
	for i, r := range reqs {
		if r <= 0 {
			continue
		}
		port := uint64(r)
		s, inOtherRole := p.findPort(port, chosen)
		if s == nil {
			if inOtherRole {
				anyRole = true
				continue
			}
			return nil, shortfall
		}
		chosen[port] = true
		p.takes = append(p.takes, take{s: s, ranges: [][2]uint64{{port, port}}})
		out[i] = int(r)
	}
	for i, r := range reqs {
		if r != 0 {
			continue
		}
		port, s := p.freePort(chosen)
		if s == nil {
			return nil, shortfall
		}
		chosen[port] = true
		p.takes = append(p.takes, take{s: s, ranges: [][2]uint64{{port, port}}})
		out[i] = int(port)
	}
	if anyRole {
		return nil, roleShortfall
	}
	return out, ""
}

// findPort finds an accepted slot offering port; inOtherRole says a slot of
// a role the app does not accept has it.
func (p *plan) findPort(port uint64, chosen map[uint64]bool) (*slot, bool) {
	if chosen[port] {
		return nil, false
	}
	other := false
	for _, s := range p.offer.slots {
		if s.name != "ports" || !inRanges(s.ranges, port) {
			continue
		}
		if p.accepted[s.role] {
			return s, false
		}
		other = true
	}
	return nil, other
}

func (p *plan) freePort(chosen map[uint64]bool) (uint64, *slot) {
	for _, s := range p.offer.slots {
		if s.name != "ports" || !p.accepted[s.role] {
			continue
		}
		for _, r := range s.ranges {
			for port := r[0]; port <= r[1]; port++ {
				if !chosen[port] {
					return port, s
				}
				if port == r[1] { // avoid wrapping at the top of uint64
					break
				}
			}
		}
	}
	return 0, nil
}

// commit takes the planned amounts from the offer and returns them as
// resources with the identities (role, reservation, allocation) they were
// offered with: one item per offered item drawn from, ports coalesced.
func (p *plan) commit() []*mesos.Resource {
	var order []*slot
	sums := map[*slot]*take{}
	for _, t := range p.takes {
		agg, ok := sums[t.s]
		if !ok {
			agg = &take{s: t.s}
			sums[t.s] = agg
			order = append(order, t.s)
		}
		agg.milli += t.milli
		agg.ranges = append(agg.ranges, t.ranges...)
		t.s.milli -= t.milli
		for _, r := range t.ranges {
			t.s.ranges = cut(t.s.ranges, r[0])
		}
	}
	out := make([]*mesos.Resource, 0, len(order))
	for _, s := range order {
		agg := sums[s]
		if r := s.take(agg.milli, coalesce(agg.ranges)); r != nil {
			out = append(out, r)
		}
	}
	return out
}

// coalesce sorts ranges and joins adjacent and overlapping ones.
func coalesce(rs [][2]uint64) [][2]uint64 {
	if len(rs) < 2 {
		return rs
	}
	sortRanges(rs)
	out := rs[:1]
	for _, r := range rs[1:] {
		last := &out[len(out)-1]
		if r[0] <= last[1]+1 {
			last[1] = max(last[1], r[1])
			continue
		}
		out = append(out, r)
	}
	return out
}

// take renders an amount of the slot's resource.
func (s *slot) take(milli int64, ranges [][2]uint64) *mesos.Resource {
	r := proto.Clone(s.template).(*mesos.Resource)
	if s.template.GetType() == mesos.Value_SCALAR {
		if milli <= 0 {
			return nil
		}
		r.Scalar = &mesos.Value_Scalar{Value: proto.Float64(float64(milli) / 1000)}
		return r
	}
	if len(ranges) == 0 {
		return nil
	}
	r.Ranges = &mesos.Value_Ranges{}
	for _, rg := range ranges {
		r.Ranges.Range = append(r.Ranges.Range, &mesos.Value_Range{Begin: proto.Uint64(rg[0]), End: proto.Uint64(rg[1])})
	}
	return r
}

func inRanges(rs [][2]uint64, v uint64) bool {
	for _, r := range rs {
		if v >= r[0] && v <= r[1] {
			return true
		}
	}
	return false
}

// cut removes one value from sorted disjoint ranges.
func cut(rs [][2]uint64, v uint64) [][2]uint64 {
	out := make([][2]uint64, 0, len(rs)+1)
	for _, r := range rs {
		switch {
		case v < r[0] || v > r[1]:
			out = append(out, r)
		case r[0] == r[1]:
		case v == r[0]:
			out = append(out, [2]uint64{r[0] + 1, r[1]})
		case v == r[1]:
			out = append(out, [2]uint64{r[0], r[1] - 1})
		default:
			out = append(out, [2]uint64{r[0], v - 1}, [2]uint64{v + 1, r[1]})
		}
	}
	return out
}

func sortRanges(rs [][2]uint64) {
	sort.Slice(rs, func(i, j int) bool { return rs[i][0] < rs[j][0] })
}
