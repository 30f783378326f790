package allocator

import (
	"testing"
	"time"

	"github.com/agoraproject/agora/proto/resources"
)

// TestExpireFiltersDropsThoseNoAllocationMeets checks that a suppressed
// framework's filters, which no allocation meets, go once they expire.
func TestExpireFiltersDropsThoseNoAllocationMeets(t *testing.T) {
	t0 := time.Unix(1700000000, 0)
	total, _ := resources.Parse("cpus:4;mem:1024")
	a := New(Config{})
	a.AddAgent("A1", total, nil)
	a.AddAgent("A2", total, nil)
	a.AddFramework("F1", []string{"r"}, nil)
	offers := a.Allocate(t0)
	if len(offers) != 2 {
		t.Fatalf("offers = %d, want 2", len(offers))
	}
	a.RecoverOffer(offers[0], time.Second, t0)
	a.RecoverOffer(offers[1], time.Hour, t0)
	a.Suppress("F1", nil)
	c := a.frameworks["F1"].clients[0]
	count := func() int { return len(a.agents["A1"].filters) + len(a.agents["A2"].filters) }
	if count() != 2 || len(c.filterAgents) != 2 {
		t.Fatalf("filters = %d on %d agents, want 2 on 2", count(), len(c.filterAgents))
	}

	a.ExpireFilters(t0.Add(999 * time.Millisecond))
	if count() != 2 {
		t.Fatalf("a filter went before it expired: %d left", count())
	}
	a.ExpireFilters(t0.Add(time.Second))
	if count() != 1 || a.agents["A2"].filters == nil || len(c.filterAgents) != 1 {
		t.Fatalf("after the first expiry: %d filters, %d agents counted, want the hour's only", count(), len(c.filterAgents))
	}
	if a.agents["A1"].filters != nil {
		t.Error("an agent without filters keeps their slice")
	}
	a.ExpireFilters(t0.Add(time.Hour))
	if count() != 0 || len(c.filterAgents) != 0 || !a.filterSweepAt.IsZero() {
		t.Fatalf("after the hour: %d filters, %d agents counted, next sweep %v", count(), len(c.filterAgents), a.filterSweepAt)
	}
}
