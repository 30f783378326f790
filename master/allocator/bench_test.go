package allocator_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/agoraproject/agora/master/allocator"
)

const benchAgent = "cpus:8;mem:16384;disk:100000;ports:[31000-32000]"

// benchCluster builds 10,000 agents and 1,000 frameworks spread over 10
// roles, the size the project's allocation-cycle figure is quoted for.
func benchCluster() *allocator.Allocator {
	a := allocator.New(allocator.Config{})
	total := rs(benchAgent)
	for i := range 10000 {
		a.AddAgent(fmt.Sprintf("agent-%05d", i), total, nil)
	}
	for i := range 1000 {
		a.AddFramework(fmt.Sprintf("fw-%04d", i), []string{fmt.Sprintf("role-%d", i%10)}, nil)
	}
	return a
}

// BenchmarkAllocate10kAgents1kFrameworks measures one full cycle with every
// agent free. Between iterations, outside the timer, all offers are
// recovered, which restores the starting state.
func BenchmarkAllocate10kAgents1kFrameworks(b *testing.B) {
	a := benchCluster()
	now := t0
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		offers := a.Allocate(now)
		b.StopTimer()
		if len(offers) != 10000 {
			b.Fatalf("%d offers, want 10000", len(offers))
		}
		declineAll(a, offers, 0, now)
		now = now.Add(time.Second)
		b.StartTimer()
	}
}

// BenchmarkAllocateNewAgent measures the event-triggered path: an agent
// joins a busy 10k-agent cluster (every agent already allocated) and is
// offered at once. AddAgent is timed too: it makes every share stale, and
// the allocation pays for recomputing them.
func BenchmarkAllocateNewAgent(b *testing.B) {
	a := benchCluster()
	now := t0
	a.Allocate(now)
	total := rs(benchAgent)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		a.AddAgent("agent-new", total, nil)
		offers := a.AllocateAgents(now, "agent-new")
		b.StopTimer()
		if len(offers) != 1 {
			b.Fatalf("%d offers, want 1", len(offers))
		}
		a.RemoveAgent("agent-new")
		b.StartTimer()
	}
}

// BenchmarkOfferRoundTrip is a decline with a 1 s filter and the agent's
// next offer, the cycle a framework that cannot use its offers drives:
// "held" gives the offer back as the master does (RecoverOffer, the form
// it was granted in), "parse" through Recover and its resources.
func BenchmarkOfferRoundTrip(b *testing.B) {
	for _, held := range []bool{true, false} {
		b.Run(map[bool]string{true: "held", false: "parse"}[held], func(b *testing.B) {
			a := benchCluster()
			now := t0
			offers := a.Allocate(now)
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				o := offers[i%len(offers)]
				if held {
					a.RecoverOffer(o, time.Second, now)
				} else {
					a.Recover(o.FrameworkID, o.AgentID, o.Resources, time.Second, now)
				}
				now = now.Add(time.Millisecond)
				got := a.AllocateAgents(now, o.AgentID)
				if len(got) != 1 {
					b.Fatalf("%d offers after a decline, want 1", len(got))
				}
				offers[i%len(offers)] = got[0]
			}
		})
	}
}

// BenchmarkAllocateBusyCluster is the steady state between events: every
// agent is allocated, and a full cycle only has to find that out.
func BenchmarkAllocateBusyCluster(b *testing.B) {
	a := benchCluster()
	a.Allocate(t0)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if offers := a.Allocate(t0); len(offers) != 0 {
			b.Fatalf("%d offers on a full cluster", len(offers))
		}
	}
}
