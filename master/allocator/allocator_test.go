package allocator_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/agoraproject/agora/master/allocator"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

func TestSuppressRevivePerRole(t *testing.T) {
	a := allocator.New(allocator.Config{})
	a.AddAgent("A1", rs("cpus:1;mem:64"), nil)
	a.AddAgent("A2", rs("cpus:1;mem:64"), nil)
	a.AddFramework("F1", []string{"a", "b"}, nil)

	a.Suppress("F1", []string{"a"})
	offers := a.Allocate(t0)
	expectOffers(t, offers, "F1@A1/b cpus:1;mem:64", "F1@A2/b cpus:1;mem:64")
	declineAll(a, offers, 0, t0)

	a.Revive("F1", []string{"a"})
	offers = a.Allocate(t0)
	expectOffers(t, offers, "F1@A1/a cpus:1;mem:64", "F1@A2/b cpus:1;mem:64")
	declineAll(a, offers, 0, t0)

	a.Suppress("F1", nil)
	expectOffers(t, a.Allocate(t0))
	a.Revive("F1", []string{"b"})
	expectOffers(t, a.Allocate(t0), "F1@A1/b cpus:1;mem:64", "F1@A2/b cpus:1;mem:64")
}

func TestSuppressedRolesAtSubscribeAndUpdate(t *testing.T) {
	a := allocator.New(allocator.Config{})
	a.AddAgent("A1", rs("cpus:1;mem:64"), nil)
	a.AddFramework("F1", []string{"a", "b"}, []string{"a", "b"})
	expectOffers(t, a.Allocate(t0))
	a.UpdateFramework("F1", []string{"a", "b"}, []string{"a"})
	expectOffers(t, a.Allocate(t0), "F1@A1/b cpus:1;mem:64")
}

func TestReservationsOnlyToTheirRole(t *testing.T) {
	agent := rs("cpus:2;mem:512;cpus(web):2;mem(web):256")
	cases := []struct {
		name       string
		frameworks map[string]string // id -> role
		want       []string
	}{
		{
			name:       "other role gets only unreserved",
			frameworks: map[string]string{"F2": "db"},
			want:       []string{"F2@A1/db cpus:2;mem:512"},
		},
		{
			name:       "reservation role gets everything in one offer",
			frameworks: map[string]string{"F1": "web"},
			want:       []string{"F1@A1/web cpus(web):2;cpus:2;mem(web):256;mem:512"},
		},
		{
			name:       "unreserved to first in DRF order, reservation to its role",
			frameworks: map[string]string{"F1": "web", "F2": "db"},
			want:       []string{"F2@A1/db cpus:2;mem:512", "F1@A1/web cpus(web):2;mem(web):256"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := allocator.New(allocator.Config{})
			a.AddAgent("A1", agent, nil)
			for id, role := range tc.frameworks {
				a.AddFramework(id, []string{role}, nil)
			}
			expectOffers(t, a.Allocate(t0), tc.want...)
		})
	}
}

func TestReservationProtoCarriesReservations(t *testing.T) {
	a := allocator.New(allocator.Config{})
	a.AddAgent("A1", rs("cpus(web):2;mem(web):256;ports(web):[80-80,443-443]"), nil)
	a.AddFramework("F1", []string{"web"}, nil)
	offers := a.Allocate(t0)
	if len(offers) != 1 || len(offers[0].Resources) != 3 {
		t.Fatalf("offers = %v", offers)
	}
	for _, r := range offers[0].Resources {
		if n := len(r.Reservations); n != 1 || r.Reservations[0].GetRole() != "web" ||
			r.Reservations[0].GetType() != mesos.Resource_ReservationInfo_STATIC {
			t.Errorf("%s: reservations %v", r.GetName(), r.Reservations)
		}
	}
	// Legacy role-only resources are the same pool.
	legacy := withRole("web", rs("cpus:2;mem:256"))
	for _, r := range legacy {
		r.Role = new("web") //nolint:staticcheck // the pre-refinement format
	}
	a.Recover("F1", "A1", legacy, 0, t0)
	expectOffers(t, a.Allocate(t0), "F1@A1/web cpus(web):2;mem(web):256")
}

func TestMinAllocatable(t *testing.T) {
	cases := []struct {
		name  string
		cfg   allocator.Config
		agent string
		offer bool
	}{
		{"default: too little", allocator.Config{}, "cpus:0.009;mem:31", false},
		{"default: cpus enough", allocator.Config{}, "cpus:0.01;mem:1", true},
		{"default: mem enough", allocator.Config{}, "mem:32", true},
		{"default: ports alone", allocator.Config{}, "ports:[1-100]", false},
		{"custom set: one short", allocator.Config{MinAllocatable: []map[string]float64{{"cpus": 1, "mem": 128}}}, "cpus:2;mem:127", false},
		{"custom set: met", allocator.Config{MinAllocatable: []map[string]float64{{"cpus": 1, "mem": 128}}}, "cpus:1;mem:128", true},
		{"custom ports count", allocator.Config{MinAllocatable: []map[string]float64{{"ports": 2}}}, "ports:[1-1,5-5]", true},
		{"empty set: anything", allocator.Config{MinAllocatable: []map[string]float64{{}}}, "ports:[1-1]", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := allocator.New(tc.cfg)
			a.AddAgent("A1", rs(tc.agent), nil)
			a.AddFramework("F1", []string{"r"}, nil)
			if got := len(a.Allocate(t0)) == 1; got != tc.offer {
				t.Errorf("offered = %v, want %v", got, tc.offer)
			}
		})
	}
}

func TestLeftoverBelowMinAllocatableIsNotOffered(t *testing.T) {
	a := allocator.New(allocator.Config{})
	a.AddAgent("A1", rs("cpus:1;mem:64"), map[string][]*mesos.Resource{
		"F0": withRole("r", rs("cpus:0.995;mem:40")),
	})
	a.AddFramework("F1", []string{"r"}, nil)
	expectOffers(t, a.Allocate(t0))
	a.Recover("F0", "A1", withRole("r", rs("mem:10")), 0, t0)
	expectOffers(t, a.Allocate(t0), "F1@A1/r cpus:0.005;mem:34")
}

func TestInactiveAgentsAndFrameworksGetNothing(t *testing.T) {
	a := allocator.New(allocator.Config{})
	a.AddAgent("A1", rs("cpus:1;mem:64"), nil)
	a.AddAgent("A2", rs("cpus:1;mem:64"), nil)
	a.AddFramework("F1", []string{"r"}, nil)
	a.SetAgentActive("A1", false)
	offers := a.Allocate(t0)
	expectOffers(t, offers, "F1@A2/r cpus:1;mem:64")

	a.SetFrameworkActive("F1", false)
	a.SetAgentActive("A1", true)
	expectOffers(t, a.Allocate(t0))
	// An inactive framework keeps what it holds.
	if s := a.FrameworkShares()["F1"]; s != 0.5 {
		t.Errorf("inactive F1 share = %v, want 0.5", s)
	}
	a.SetFrameworkActive("F1", true)
	expectOffers(t, a.Allocate(t0), "F1@A1/r cpus:1;mem:64")
}

func TestWeights(t *testing.T) {
	a := allocator.New(allocator.Config{})
	for i := range 12 {
		a.AddAgent(string(rune('A'+i)), rs("cpus:1;mem:1024"), nil)
	}
	a.SetWeight("heavy", 2)
	a.AddFramework("Fh", []string{"heavy"}, nil)
	a.AddFramework("Fl", []string{"light"}, nil)
	count := map[string]int{}
	for _, o := range a.Allocate(t0) {
		count[o.Role]++
	}
	if count["heavy"] != 8 || count["light"] != 4 {
		t.Errorf("agents per role = %v, want heavy 8, light 4", count)
	}
	s := a.RoleShares()
	if math.Abs(s["heavy"]-2*s["light"]) > 1e-9 {
		t.Errorf("role shares %v, want heavy = 2 × light", s)
	}
}

func TestRemoveFrameworkReleasesAllocations(t *testing.T) {
	a := allocator.New(allocator.Config{})
	a.AddAgent("A1", rs("cpus:1;mem:64;ports:[31000-31010]"), nil)
	a.AddFramework("F1", []string{"r"}, nil)
	expectOffers(t, a.Allocate(t0), "F1@A1/r cpus:1;mem:64;ports:[31000-31010]")
	a.RemoveFramework("F1")
	if _, ok := a.FrameworkShares()["F1"]; ok {
		t.Error("removed framework still has a share")
	}
	a.AddFramework("F2", []string{"r"}, nil)
	expectOffers(t, a.Allocate(t0), "F2@A1/r cpus:1;mem:64;ports:[31000-31010]")
}

func TestAddAgentWithUsedResources(t *testing.T) {
	a := allocator.New(allocator.Config{})
	a.AddAgent("A1", rs("cpus:4;mem:1024;ports:[31000-31009]"), map[string][]*mesos.Resource{
		// F0 has not resubscribed yet: it is tracked, gets no offers.
		"F0": withRole("r", rs("cpus:1;mem:512;ports:[31002-31003]")),
	})
	a.AddFramework("F1", []string{"r"}, nil)
	expectOffers(t, a.Allocate(t0), "F1@A1/r cpus:3;mem:512;ports:[31000-31001,31004-31009]")
	if s := a.FrameworkShares(); s["F0"] != 0.5 || s["F1"] != 0.75 {
		t.Errorf("framework shares = %v", s)
	}
	// When F0's task ends its resources are free again.
	a.Recover("F0", "A1", withRole("r", rs("cpus:1;mem:512;ports:[31002-31003]")), 0, t0)
	expectOffers(t, a.Allocate(t0), "F1@A1/r cpus:1;mem:512;ports:[31002-31003]")
}

func TestRecoverIgnoresWhatIsNotHeld(t *testing.T) {
	a := allocator.New(allocator.Config{})
	a.AddAgent("A1", rs("cpus:2;mem:64"), nil)
	a.AddFramework("F1", []string{"r"}, nil)
	a.AddFramework("F2", []string{"r"}, nil)
	offers := a.Allocate(t0)
	expectOffers(t, offers, "F1@A1/r cpus:2;mem:64")
	declineAll(a, offers, 0, t0)
	declineAll(a, offers, 0, t0)                              // twice: no double free
	a.Recover("F2", "A1", withRole("r", rs("cpus:5")), 0, t0) // never held
	a.Recover("F1", "nope", offers[0].Resources, 0, t0)
	expectOffers(t, a.Allocate(t0), "F1@A1/r cpus:2;mem:64")
}

func TestRemoveAgent(t *testing.T) {
	a := allocator.New(allocator.Config{})
	a.AddAgent("A1", rs("cpus:1;mem:64"), nil)
	a.AddAgent("A2", rs("cpus:3;mem:64"), nil)
	a.AddFramework("F1", []string{"r"}, nil)
	a.Allocate(t0)
	a.RemoveAgent("A2")
	if s := a.FrameworkShares()["F1"]; s != 1 {
		t.Errorf("share after removing A2 = %v, want 1", s)
	}
	a.RemoveAgent("A1")
	if s := a.RoleShares()["r"]; s != 0 {
		t.Errorf("role share with no agents = %v", s)
	}
	expectOffers(t, a.AllocateAgents(t0, "A1", "A2"))
}

func TestAllocateAgentsOnlyTouchesGivenAgents(t *testing.T) {
	a := allocator.New(allocator.Config{})
	for _, id := range []string{"A1", "A2", "A3"} {
		a.AddAgent(id, rs("cpus:1;mem:64"), nil)
	}
	a.AddFramework("F1", []string{"r"}, nil)
	expectOffers(t, a.AllocateAgents(t0, "A3", "A1", "A3", "unknown"),
		"F1@A1/r cpus:1;mem:64", "F1@A3/r cpus:1;mem:64")
	expectOffers(t, a.Allocate(t0), "F1@A2/r cpus:1;mem:64")
}

func TestLowestShareFrameworkFirstTiesByID(t *testing.T) {
	a := allocator.New(allocator.Config{})
	a.AddAgent("A1", rs("cpus:1;mem:64"), nil)
	a.AddAgent("A2", rs("cpus:1;mem:64"), nil)
	a.AddAgent("A3", rs("cpus:1;mem:64"), nil)
	a.AddFramework("Fb", []string{"r"}, nil)
	a.AddFramework("Fa", []string{"r"}, nil)
	expectOffers(t, a.Allocate(t0),
		"Fa@A1/r cpus:1;mem:64", "Fb@A2/r cpus:1;mem:64", "Fa@A3/r cpus:1;mem:64")
}

func TestRandShufflesDeterministically(t *testing.T) {
	run := func(rng *rand.Rand) []string {
		a := allocator.New(allocator.Config{Rand: rng})
		for i := range 20 {
			a.AddAgent(string(rune('A'+i)), rs("cpus:1;mem:64"), nil)
		}
		a.AddFramework("F1", []string{"r"}, nil)
		var ids []string
		for _, o := range a.Allocate(t0) {
			ids = append(ids, o.AgentID)
		}
		return ids
	}
	sorted := run(nil)
	if !slices.IsSorted(sorted) || len(sorted) != 20 {
		t.Errorf("nil Rand order = %v", sorted)
	}
	x, y := run(rand.New(rand.NewPCG(1, 2))), run(rand.New(rand.NewPCG(1, 2)))
	if !slices.Equal(x, y) || slices.Equal(x, sorted) {
		t.Errorf("seeded orders %v, %v", x, y)
	}
}

func TestConfigValidate(t *testing.T) {
	if err := (allocator.Config{MinAllocatable: []map[string]float64{{"cpus": -1}}}).Validate(); err == nil {
		t.Error("negative quantity accepted")
	}
	if err := (allocator.Config{}).Validate(); err != nil {
		t.Error(err)
	}
}
