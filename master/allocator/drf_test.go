package allocator_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/agoraproject/agora/master/allocator"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// sim is a small simulated cluster: frameworks with unbounded demand accept
// every offer, launch as many tasks of their fixed shape as fit, and hand
// the rest back (with the default 5 s filter); tasks end after a random
// 5-30 s and their resources are recovered. Time is fake and advances one
// second per allocation cycle, as the master's batch interval.
type sim struct {
	a     *allocator.Allocator
	rng   *rand.Rand
	now   time.Time
	fws   map[string]shape
	tasks []task
}

type shape struct{ cpus, mem float64 }

type task struct {
	fw, agent, role string
	res             shape
	ends            time.Time
}

func scalars(role string, cpus, mem float64) []*mesos.Resource {
	var terms []string
	if cpus > 1e-9 {
		terms = append(terms, fmt.Sprintf("cpus:%g", cpus))
	}
	if mem > 1e-9 {
		terms = append(terms, fmt.Sprintf("mem:%g", mem))
	}
	return withRole(role, rs(strings.Join(terms, ";")))
}

func (s *sim) cycle(t *testing.T) {
	kept := s.tasks[:0]
	for _, tk := range s.tasks {
		if tk.ends.After(s.now) {
			kept = append(kept, tk)
			continue
		}
		s.a.Recover(tk.fw, tk.agent, scalars(tk.role, tk.res.cpus, tk.res.mem), 0, s.now)
	}
	s.tasks = kept
	for _, o := range s.a.Allocate(s.now) {
		var cpus, mem float64
		for _, r := range o.Resources {
			switch r.GetName() {
			case "cpus":
				cpus += r.GetScalar().GetValue()
			case "mem":
				mem += r.GetScalar().GetValue()
			default:
				t.Fatalf("unexpected resource %v", r)
			}
		}
		sh := s.fws[o.FrameworkID]
		n := math.Floor(min(cpus/sh.cpus, mem/sh.mem) + 1e-9)
		for range int(n) {
			s.tasks = append(s.tasks, task{o.FrameworkID, o.AgentID, o.Role, sh,
				s.now.Add(time.Duration(5+s.rng.IntN(26)) * time.Second)})
		}
		if rest := scalars(o.Role, cpus-n*sh.cpus, mem-n*sh.mem); len(rest) > 0 {
			s.a.Recover(o.FrameworkID, o.AgentID, rest, 5*time.Second, s.now)
		}
	}
	s.now = s.now.Add(time.Second)
}

// TestDRFConvergence runs frameworks with different task shapes against
// each other until their dominant shares settle, and checks that DRF made
// them equal (divided by role weight) within one percentage point.
//
// The agents hold memory in the ratio at which the tasks, at the target
// shares, exhaust cpus and memory together: for <1 cpu, 4 GB> and <3 cpus,
// 1 GB> at equal shares that is 2/√3 GB per cpu (16 cpus, 18918 MB). On a
// cluster with slack in one resource the slack sits idle in every offer,
// and because offered resources count as allocated (as in Mesos) it
// inflates the share of whoever is dominant in that resource: the shares
// then settle a few points apart by design of offer-based DRF, not by an
// allocator fault.
func TestDRFConvergence(t *testing.T) {
	cases := []struct {
		name    string
		agent   string // default cpus:16;mem:18918
		weights map[string]float64
		fws     map[string]shape  // framework -> task shape
		roles   map[string]string // framework -> role
	}{
		{
			name:  "two frameworks, one role",
			fws:   map[string]shape{"A": {1, 4096}, "B": {3, 1024}},
			roles: map[string]string{"A": "r", "B": "r"},
		},
		{
			name:  "three frameworks, one role",
			fws:   map[string]shape{"A": {1, 4096}, "B": {3, 1024}, "C": {2, 2048}},
			roles: map[string]string{"A": "r", "B": "r", "C": "r"},
		},
		{
			name:  "three frameworks, three roles",
			fws:   map[string]shape{"A": {1, 4096}, "B": {3, 1024}, "C": {2, 2048}},
			roles: map[string]string{"A": "a", "B": "b", "C": "c"},
		},
		{
			name: "weighted roles",
			// With A's role at weight 2 the ratio is (1+√(5/3)) GB per cpu.
			agent:   "cpus:16;mem:37537",
			weights: map[string]float64{"a": 2},
			fws:     map[string]shape{"A": {1, 4096}, "B": {3, 1024}},
			roles:   map[string]string{"A": "a", "B": "b"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := &sim{a: allocator.New(allocator.Config{}), rng: rand.New(rand.NewPCG(7, 7)), now: t0, fws: tc.fws}
			agent := tc.agent
			if agent == "" {
				agent = "cpus:16;mem:18918"
			}
			for i := range 100 {
				s.a.AddAgent(fmt.Sprintf("agent-%03d", i), rs(agent), nil)
			}
			for role, w := range tc.weights {
				s.a.SetWeight(role, w)
			}
			for id, role := range tc.roles {
				s.a.AddFramework(id, []string{role}, nil)
			}
			// Warm up, then average over the last 200 cycles: a single
			// snapshot moves with every task that starts or ends.
			shares := map[string]float64{}
			for i := range 600 {
				s.cycle(t)
				if i >= 400 {
					for id, v := range s.a.FrameworkShares() {
						shares[id] += v / 200
					}
				}
			}
			lo, hi := math.Inf(1), math.Inf(-1)
			for id := range tc.fws {
				w := tc.weights[tc.roles[id]]
				if w == 0 {
					w = 1
				}
				lo, hi = min(lo, shares[id]/w), max(hi, shares[id]/w)
			}
			if hi-lo > 0.01 || lo < 0.2 {
				t.Errorf("dominant shares / weight spread %.4f (shares %v), want ≤ 0.01 on a busy cluster", hi-lo, shares)
			}
			t.Logf("average dominant shares %v", shares)
		})
	}
}
