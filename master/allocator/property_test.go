package allocator_test

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/master/allocator"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// TestMatchesReference drives the allocator and the naive reference with
// the same random clusters and operations (agents and frameworks coming and
// going, reservations, used resources, suppression, filters, weights, time)
// and requires identical offers after every allocation and identical shares
// after every operation.
func TestMatchesReference(t *testing.T) {
	cases := 400
	if testing.Short() {
		cases = 60
	}
	for seed := range uint64(cases) {
		if !runPropertyCase(t, seed, 150) {
			return // one failing case is enough to read
		}
	}
}

var (
	propAgents = []string{"A0", "A1", "A2", "A3", "A4"}
	propFws    = []string{"F0", "F1", "F2", "F3"}
	propRoles  = []string{"*", "r0", "r1", "r2"}
	propMins   = [][]map[string]float64{nil, {{"cpus": 1}}, {{}}, {{"mem": 100, "cpus": 0.5}, {"ports": 3}}}
)

type propCase struct {
	t      *testing.T
	rng    *rand.Rand
	a      *allocator.Allocator
	m      *reference
	now    time.Time
	log    []string
	offers []allocator.Offer // last offers, for whole declines
}

func runPropertyCase(t *testing.T, seed uint64, ops int) bool {
	rng := rand.New(rand.NewPCG(seed, 99))
	cfg := allocator.Config{MinAllocatable: propMins[rng.IntN(len(propMins))]}
	var refRng *rand.Rand
	if rng.IntN(2) == 0 {
		cfg.Rand, refRng = rand.New(rand.NewPCG(seed, 1)), rand.New(rand.NewPCG(seed, 1))
	}
	c := &propCase{t: t, rng: rng, a: allocator.New(cfg), m: newReference(cfg.MinAllocatable, refRng), now: t0}
	for range 2 + rng.IntN(3) {
		c.addAgent()
	}
	for range 1 + rng.IntN(3) {
		c.addFramework()
	}
	for range ops {
		c.step()
		if !c.sharesMatch() {
			t.Errorf("seed %d: operations:\n%s", seed, strings.Join(c.log, "\n"))
			return false
		}
		if t.Failed() {
			t.Errorf("seed %d: operations:\n%s", seed, strings.Join(c.log, "\n"))
			return false
		}
	}
	return true
}

func pick[T any](rng *rand.Rand, xs []T) T { return xs[rng.IntN(len(xs))] }

func (c *propCase) subset(xs []string) []string {
	var out []string
	for _, x := range xs {
		if c.rng.IntN(2) == 0 {
			out = append(out, x)
		}
	}
	return out
}

func (c *propCase) step() {
	switch n := c.rng.IntN(100); {
	case n < 16:
		c.compare("Allocate", c.a.Allocate(c.now), c.m.Allocate(c.now))
	case n < 24:
		ids := c.subset(append(slices.Clone(propAgents), "nope", "A1"))
		c.compare(fmt.Sprintf("AllocateAgents %v", ids), c.a.AllocateAgents(c.now, ids...), c.m.AllocateAgents(c.now, ids...))
	case n < 44:
		c.recoverPart()
	case n < 52:
		c.declineOffer()
	case n < 58:
		c.addAgent()
	case n < 61:
		id := pick(c.rng, propAgents)
		c.do(fmt.Sprintf("RemoveAgent %s", id), func() { c.a.RemoveAgent(id); c.m.RemoveAgent(id) })
	case n < 65:
		id, on := pick(c.rng, propAgents), c.rng.IntN(2) == 0
		c.do(fmt.Sprintf("SetAgentActive %s %v", id, on), func() { c.a.SetAgentActive(id, on); c.m.SetAgentActive(id, on) })
	case n < 70:
		c.addFramework()
	case n < 74:
		id, roles := pick(c.rng, propFws), c.subset(propRoles)
		sup := c.subset(propRoles)
		c.do(fmt.Sprintf("UpdateFramework %s %v %v", id, roles, sup), func() { c.a.UpdateFramework(id, roles, sup); c.m.UpdateFramework(id, roles, sup) })
	case n < 76:
		id := pick(c.rng, propFws)
		c.do("RemoveFramework "+id, func() { c.a.RemoveFramework(id); c.m.RemoveFramework(id) })
	case n < 80:
		id, on := pick(c.rng, propFws), c.rng.IntN(3) > 0
		c.do(fmt.Sprintf("SetFrameworkActive %s %v", id, on), func() { c.a.SetFrameworkActive(id, on); c.m.SetFrameworkActive(id, on) })
	case n < 84:
		id, roles := pick(c.rng, propFws), c.subset(propRoles)
		c.do(fmt.Sprintf("Suppress %s %v", id, roles), func() { c.a.Suppress(id, roles); c.m.Suppress(id, roles) })
	case n < 89:
		id, roles := pick(c.rng, propFws), c.subset(propRoles)
		c.do(fmt.Sprintf("Revive %s %v", id, roles), func() { c.a.Revive(id, roles); c.m.Revive(id, roles) })
	case n < 92:
		role, w := pick(c.rng, propRoles), pick(c.rng, []float64{0.5, 1, 2, 3, 0})
		c.do(fmt.Sprintf("SetWeight %s %v", role, w), func() { c.a.SetWeight(role, w); c.m.SetWeight(role, w) })
	default:
		d := pick(c.rng, []time.Duration{0, time.Second, 3 * time.Second, 10 * time.Second, 2 * time.Hour})
		c.now = c.now.Add(d)
		c.log = append(c.log, fmt.Sprintf("advance %v", d))
	}
}

func (c *propCase) do(desc string, fn func()) {
	c.log = append(c.log, desc)
	fn()
}

func (c *propCase) compare(desc string, got []allocator.Offer, want []refOffer) {
	c.log = append(c.log, desc)
	c.offers = got
	var g, w []string
	for _, o := range got {
		bags := toBags(o.Resources)
		if len(bags) != 1 || bags[o.Role] == nil {
			c.t.Errorf("offer %s@%s/%s: allocation roles %v", o.FrameworkID, o.AgentID, o.Role, slices.Collect(maps.Keys(bags)))
		}
		g = append(g, fmt.Sprintf("%s@%s/%s %v", o.FrameworkID, o.AgentID, o.Role, bags[o.Role]))
	}
	for _, o := range want {
		w = append(w, fmt.Sprintf("%s@%s/%s %v", o.fw, o.agent, o.role, o.res))
	}
	if !slices.Equal(g, w) {
		c.t.Errorf("%s at %v:\n got  %s\n want %s", desc, c.now.Sub(t0), strings.Join(g, "\n      "), strings.Join(w, "\n      "))
	}
}

func (c *propCase) sharesMatch() bool {
	for name, pair := range map[string][2]map[string]float64{
		"RoleShares":      {c.a.RoleShares(), c.m.RoleShares()},
		"FrameworkShares": {c.a.FrameworkShares(), c.m.FrameworkShares()},
	} {
		if !maps.Equal(pair[0], pair[1]) {
			c.t.Errorf("%s after %s:\n got  %v\n want %v", name, c.log[len(c.log)-1], pair[0], pair[1])
			return false
		}
	}
	return true
}

// addAgent adds an agent with random unreserved and reserved resources and
// sometimes resources already used by frameworks, known or not.
func (c *propCase) addAgent() {
	id := pick(c.rng, propAgents)
	var terms, usedTerms []string
	usedBy := pick(c.rng, propFws)
	usedRole := pick(c.rng, propRoles)
	scalar := func(pool, name string, vals []float64) {
		v := pick(c.rng, vals)
		terms = append(terms, fmt.Sprintf("%s%s:%g", name, pool, v))
		if c.rng.IntN(4) == 0 {
			usedTerms = append(usedTerms, fmt.Sprintf("%s%s:%g", name, pool, v/2))
		}
	}
	pools := []string{""}
	for _, r := range c.subset(propRoles[1:]) {
		pools = append(pools, "("+r+")")
	}
	for i, pool := range pools {
		scalar(pool, "cpus", []float64{0.005, 0.5, 1, 2.5, 8})
		scalar(pool, "mem", []float64{16, 64, 512, 4096})
		if c.rng.IntN(3) == 0 {
			scalar(pool, "disk", []float64{100, 1000})
		}
		if c.rng.IntN(4) == 0 {
			scalar(pool, "gpus", []float64{1, 2})
		}
		if c.rng.IntN(4) == 0 {
			scalar(pool, "foo", []float64{0.5, 3})
		}
		if c.rng.IntN(2) == 0 {
			lo := 1000 + 20*i + c.rng.IntN(5)
			terms = append(terms, fmt.Sprintf("ports%s:[%d-%d,%d-%d]", pool, lo, lo+3, lo+6, lo+6+c.rng.IntN(4)))
			if c.rng.IntN(3) == 0 {
				usedTerms = append(usedTerms, fmt.Sprintf("ports%s:[%d-%d]", pool, lo+1, lo+2))
			}
		}
		if c.rng.IntN(3) == 0 {
			terms = append(terms, fmt.Sprintf("zones%s:{%s}", pool, strings.Join(append(c.subset([]string{"a", "b", "c"}), "z"), ",")))
		}
	}
	used := map[string][]*mesos.Resource{}
	if len(usedTerms) > 0 {
		// Reserved resources are used in their own role.
		for _, r := range rs(strings.Join(usedTerms, ";")) {
			role := usedRole
			if n := len(r.Reservations); n > 0 {
				role = r.Reservations[n-1].GetRole()
			}
			used[usedBy] = append(used[usedBy], withRole(role, []*mesos.Resource{r})...)
		}
	}
	total := rs(strings.Join(terms, ";"))
	c.do(fmt.Sprintf("AddAgent %s %s used %s:%s", id, strings.Join(terms, ";"), usedBy, strings.Join(usedTerms, ";")), func() {
		c.a.AddAgent(id, total, used)
		c.m.AddAgent(id, total, used)
	})
}

func (c *propCase) addFramework() {
	id := pick(c.rng, propFws)
	roles := c.subset(propRoles)
	if len(roles) == 0 {
		roles = []string{pick(c.rng, propRoles)}
	}
	var sup []string
	if c.rng.IntN(4) == 0 {
		sup = c.subset(roles)
	}
	c.do(fmt.Sprintf("AddFramework %s %v %v", id, roles, sup), func() { c.a.AddFramework(id, roles, sup); c.m.AddFramework(id, roles, sup) })
}

var propRefuse = []time.Duration{0, 0, 2 * time.Second, 10 * time.Second, time.Hour, 1000 * 24 * time.Hour}

// recoverPart hands back a random part of something a framework holds (a
// task ending, part of an offer declined), sometimes with resources it
// never held mixed in.
func (c *propCase) recoverPart() {
	var held [][3]string // agent, framework, role
	for _, agID := range slices.Sorted(maps.Keys(c.m.agents)) {
		ag := c.m.agents[agID]
		keys := slices.Collect(maps.Keys(ag.alloc))
		sort.Slice(keys, func(i, j int) bool { return keys[i][0]+"/"+keys[i][1] < keys[j][0]+"/"+keys[j][1] })
		for _, k := range keys {
			held = append(held, [3]string{agID, k[0], k[1]})
		}
	}
	if len(held) == 0 {
		return
	}
	h := pick(c.rng, held)
	part := bag{}
	for _, it := range slices.SortedFunc(maps.Keys(c.m.agents[h[0]].alloc[[2]string{h[1], h[2]}]), func(x, y item) int {
		return strings.Compare(fmt.Sprint(x), fmt.Sprint(y))
	}) {
		v := c.m.agents[h[0]].alloc[[2]string{h[1], h[2]}][it]
		switch c.rng.IntN(3) {
		case 0:
			part[it] = v
		case 1:
			if it.elem == "" && v/2 > 0 {
				part[it] = v / 2
			}
		}
	}
	res := bagToResources(part, h[2])
	if c.rng.IntN(5) == 0 {
		res = append(res, withRole(h[2], rs("cpus:1;ports:[1-2]"))...)
	}
	refuse := pick(c.rng, propRefuse)
	c.do(fmt.Sprintf("Recover %s %s %v refuse %v", h[1], h[0], part, refuse), func() {
		c.a.Recover(h[1], h[0], res, refuse, c.now)
		c.m.Recover(h[1], h[0], res, refuse, c.now)
	})
}

// declineOffer hands back one whole offer of the last allocation.
func (c *propCase) declineOffer() {
	if len(c.offers) == 0 {
		return
	}
	i := c.rng.IntN(len(c.offers))
	o := c.offers[i]
	refuse := pick(c.rng, propRefuse)
	if c.rng.IntN(2) == 0 {
		// The master's way: the offer's held form, once per offer. Parts
		// of it may have gone back already, or its agent or framework may
		// have been re-added since.
		c.offers = slices.Delete(c.offers, i, i+1)
		c.do(fmt.Sprintf("DeclineHeld %s@%s/%s refuse %v", o.FrameworkID, o.AgentID, o.Role, refuse), func() {
			c.a.RecoverOffer(o, refuse, c.now)
			c.m.Recover(o.FrameworkID, o.AgentID, o.Resources, refuse, c.now)
		})
		return
	}
	c.do(fmt.Sprintf("Decline %s@%s/%s refuse %v", o.FrameworkID, o.AgentID, o.Role, refuse), func() {
		c.a.Recover(o.FrameworkID, o.AgentID, o.Resources, refuse, c.now)
		c.m.Recover(o.FrameworkID, o.AgentID, o.Resources, refuse, c.now)
	})
}

// bagToResources renders a bag as resources allocated to role.
func bagToResources(b bag, role string) []*mesos.Resource {
	type key struct{ pool, name string }
	scalars := map[key]int64{}
	ports := map[key][]uint64{}
	sets := map[key][]string{}
	for it, v := range b {
		k := key{it.pool, it.name}
		switch {
		case it.elem == "":
			scalars[k] += v
		case it.elem[0] == '#':
			var p uint64
			fmt.Sscanf(it.elem[1:], "%d", &p)
			ports[k] = append(ports[k], p)
		default:
			sets[k] = append(sets[k], it.elem[1:])
		}
	}
	var out []*mesos.Resource
	mk := func(k key) *mesos.Resource {
		r := &mesos.Resource{Name: proto.String(k.name),
			AllocationInfo: &mesos.Resource_AllocationInfo{Role: proto.String(role)}}
		if k.pool != "*" {
			r.Reservations = []*mesos.Resource_ReservationInfo{{
				Type: mesos.Resource_ReservationInfo_STATIC.Enum(), Role: proto.String(k.pool)}}
		}
		return r
	}
	for k, v := range scalars {
		r := mk(k)
		r.Type, r.Scalar = mesos.Value_SCALAR.Enum(), &mesos.Value_Scalar{Value: proto.Float64(float64(v) / 1000)}
		out = append(out, r)
	}
	for k, ps := range ports {
		r := mk(k)
		r.Type, r.Ranges = mesos.Value_RANGES.Enum(), &mesos.Value_Ranges{}
		slices.Sort(ps)
		for _, p := range ps { // one range per port: unmerged input is fine
			r.Ranges.Range = append(r.Ranges.Range, &mesos.Value_Range{Begin: proto.Uint64(p), End: proto.Uint64(p)})
		}
		out = append(out, r)
	}
	for k, items := range sets {
		r := mk(k)
		r.Type, r.Set = mesos.Value_SET.Enum(), &mesos.Value_Set{Item: items}
		out = append(out, r)
	}
	return out
}
