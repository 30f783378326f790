package allocator_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"time"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// This file is a naive reference allocator: the same semantics as the
// package, written for obviousness rather than speed. Resources are bags of
// unit items, every decision re-sorts everything, nothing is cached. The
// property test drives both with the same random operations and requires
// identical offers and shares.

// item is one unit of a bag: a scalar (quantity in milli-units), one port
// of a ranges resource, or one element of a set, in a reservation pool.
type item struct {
	pool string // reservation role; "*" unreserved
	name string
	elem string // "" scalar, "#<n>" range element, "=<x>" set element
}

type bag map[item]int64

func (b bag) add(o bag) {
	for k, v := range o {
		b[k] += v
	}
}

func (b bag) sub(o bag) {
	for k, v := range o {
		if b[k] -= v; b[k] <= 0 {
			delete(b, k)
		}
	}
}

func (b bag) intersect(o bag) bag {
	out := bag{}
	for k, v := range b {
		if w := min(v, o[k]); w > 0 {
			out[k] = w
		}
	}
	return out
}

// contains reports o ⊆ b.
func (b bag) contains(o bag) bool {
	for k, v := range o {
		if b[k] < v {
			return false
		}
	}
	return true
}

func (b bag) String() string {
	var out []string
	for k, v := range b {
		out = append(out, fmt.Sprintf("%s/%s%s=%d", k.pool, k.name, k.elem, v))
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

// scalarsByName sums scalar items per resource name, pools together.
func (b bag) scalarsByName(into map[string]int64) {
	for k, v := range b {
		if k.elem == "" {
			into[k.name] += v
		}
	}
}

// toBags converts resources into bags by allocation role ("" if none).
func toBags(rs []*mesos.Resource) map[string]bag {
	out := map[string]bag{}
	for _, r := range rs {
		pool := "*"
		if n := len(r.Reservations); n > 0 {
			pool = r.Reservations[n-1].GetRole()
		} else if r.Role != nil && *r.Role != "*" && *r.Role != "" { //nolint:staticcheck
			pool = *r.Role //nolint:staticcheck
		}
		role := r.GetAllocationInfo().GetRole()
		if out[role] == nil {
			out[role] = bag{}
		}
		b := out[role]
		switch r.GetType() {
		case mesos.Value_SCALAR:
			if v := int64(math.Round(r.GetScalar().GetValue() * 1000)); v > 0 {
				b[item{pool, r.GetName(), ""}] += v
			}
		case mesos.Value_RANGES:
			for _, x := range r.GetRanges().GetRange() {
				for p := x.GetBegin(); p <= x.GetEnd(); p++ {
					b[item{pool, r.GetName(), fmt.Sprintf("#%d", p)}] = 1
				}
			}
		case mesos.Value_SET:
			for _, x := range r.GetSet().GetItem() {
				b[item{pool, r.GetName(), "=" + x}] = 1
			}
		}
	}
	return out
}

type refAgent struct {
	active      bool
	total, free bag
	alloc       map[[2]string]bag // (framework, role) -> held
}

type refFramework struct {
	known, active bool
	roles         []string
	suppressed    map[string]bool
}

type refFilter struct {
	fw, role, agent string
	refused         bag
	expiry          time.Time
}

type refOffer struct {
	fw, agent, role string
	res             bag
}

type reference struct {
	minAlloc []map[string]float64
	rng      *rand.Rand
	agents   map[string]*refAgent
	fws      map[string]*refFramework
	filters  []refFilter
	weights  map[string]float64
}

func newReference(minAlloc []map[string]float64, rng *rand.Rand) *reference {
	if minAlloc == nil {
		minAlloc = []map[string]float64{{"cpus": 0.01}, {"mem": 32}}
	}
	return &reference{minAlloc: minAlloc, rng: rng, agents: map[string]*refAgent{},
		fws: map[string]*refFramework{}, weights: map[string]float64{}}
}

func (m *reference) totals() map[string]int64 {
	t := map[string]int64{}
	for _, ag := range m.agents {
		ag.total.scalarsByName(t)
	}
	return t
}

func dominantOf(alloc, total map[string]int64) float64 {
	var s float64
	for name, v := range alloc {
		if v > 0 && total[name] > 0 {
			s = max(s, float64(v)/float64(total[name]))
		}
	}
	return s
}

// held sums what the matching (framework, role) pairs hold, cluster-wide.
func (m *reference) held(match func(fw, role string) bool) map[string]int64 {
	sum := map[string]int64{}
	for _, ag := range m.agents {
		for k, b := range ag.alloc {
			if match(k[0], k[1]) {
				b.scalarsByName(sum)
			}
		}
	}
	return sum
}

func (m *reference) weight(role string) float64 {
	if w, ok := m.weights[role]; ok {
		return w
	}
	return 1
}

func (m *reference) eligible(id, role string) bool {
	fw := m.fws[id]
	return fw != nil && fw.known && fw.active && slices.Contains(fw.roles, role) && !fw.suppressed[role]
}

func (m *reference) allocatable(cand bag) bool {
	if len(cand) == 0 {
		return false
	}
	for _, set := range m.minAlloc {
		ok := true
		for name, q := range set {
			var have int64
			for k, v := range cand {
				if k.name == name {
					if k.elem == "" {
						have += v
					} else {
						have += 1000
					}
				}
			}
			if have < int64(math.Round(q*1000)) {
				ok = false
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func (m *reference) filtered(fw, role, agent string, cand bag, now time.Time) bool {
	for _, f := range m.filters {
		if f.fw == fw && f.role == role && f.agent == agent && now.Before(f.expiry) && f.refused.contains(cand) {
			return true
		}
	}
	return false
}

func (m *reference) allocate(now time.Time, ids []string) []refOffer {
	var out []refOffer
	for _, id := range ids {
		ag := m.agents[id]
		for ag.active {
			o, ok := m.grantOne(id, ag, now)
			if !ok {
				break
			}
			out = append(out, o)
		}
	}
	return out
}

// grantOne makes the first grant DRF order allows on the agent, re-sorting
// roles and frameworks from scratch.
func (m *reference) grantOne(agentID string, ag *refAgent, now time.Time) (refOffer, bool) {
	total := m.totals()
	roleSet := map[string]bool{}
	for id, fw := range m.fws {
		for _, r := range fw.roles {
			if m.eligible(id, r) {
				roleSet[r] = true
			}
		}
	}
	type ranked struct {
		name string
		key  float64
	}
	var roles []ranked
	for r := range roleSet {
		share := dominantOf(m.held(func(_, role string) bool { return role == r }), total)
		roles = append(roles, ranked{r, share / m.weight(r)})
	}
	sort.Slice(roles, func(i, j int) bool {
		if roles[i].key != roles[j].key {
			return roles[i].key < roles[j].key
		}
		return roles[i].name < roles[j].name
	})
	for _, r := range roles {
		cand := bag{}
		for k, v := range ag.free {
			if k.pool == "*" || k.pool == r.name {
				cand[k] = v
			}
		}
		if !m.allocatable(cand) {
			continue
		}
		var fws []ranked
		for id := range m.fws {
			if m.eligible(id, r.name) {
				share := dominantOf(m.held(func(fw, role string) bool { return fw == id && role == r.name }), total)
				fws = append(fws, ranked{id, share})
			}
		}
		sort.Slice(fws, func(i, j int) bool {
			if fws[i].key != fws[j].key {
				return fws[i].key < fws[j].key
			}
			return fws[i].name < fws[j].name
		})
		for _, f := range fws {
			if m.filtered(f.name, r.name, agentID, cand, now) {
				continue
			}
			ag.free.sub(cand)
			k := [2]string{f.name, r.name}
			if ag.alloc[k] == nil {
				ag.alloc[k] = bag{}
			}
			ag.alloc[k].add(cand)
			return refOffer{f.name, agentID, r.name, cand}, true
		}
	}
	return refOffer{}, false
}
