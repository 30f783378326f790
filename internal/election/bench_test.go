package election

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/agoraproject/agora/internal/zktest"
)

// BenchmarkFailover measures the time from the leader's loss to a second
// contender knowing it leads, with the default session timeout:
//
//   - partition: the leader's network goes silent (a crash of its machine
//     looks the same); ZooKeeper must expire its session first.
//   - resign: the leader shuts down cleanly and deletes its znode.
//
// Run with a fixed count, each iteration takes up to a session timeout:
//
//	go test -run '^$' -bench Failover -benchtime 5x ./internal/election/
func BenchmarkFailover(b *testing.B) {
	srv := zktest.Start(b)
	for _, mode := range []string{"partition", "resign"} {
		b.Run(mode, func(b *testing.B) {
			var took []time.Duration
			for i := range b.N {
				b.StopTimer()
				path := fmt.Sprintf("/bench-%s-%d", mode, i)
				a := startBenchContender(b, srv.Addr, path, "a")
				waitBench(b, a, true)
				f := startBenchContender(b, srv.Addr, path, "f")
				for d, ok := f.Leader(); !ok || string(d) != "a"; d, ok = f.Leader() {
					<-f.Changes()
				}
				b.StartTimer()
				start := time.Now()
				if mode == "partition" {
					a.proxy.Partition()
				} else {
					go a.stop()
				}
				waitBench(b, f, true)
				took = append(took, time.Since(start))
				b.StopTimer()
				a.stop()
				f.stop()
			}
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)/2].Milliseconds()), "median-ms")
			b.ReportMetric(float64(took[len(took)-1].Milliseconds()), "max-ms")
		})
	}
}

func startBenchContender(b *testing.B, addr, path, name string) *contender {
	p := zktest.NewProxy(b, addr)
	e, err := New(Config{Servers: []string{p.Addr}, Path: path, Prefix: "member_", Data: []byte(name)})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &contender{Elector: e, name: name, proxy: p, cancel: cancel, done: make(chan struct{})}
	go func() { _ = e.Run(ctx); close(c.done) }()
	return c
}

func waitBench(b *testing.B, c *contender, leading bool) {
	timeout := time.After(30 * time.Second)
	for c.IsLeader() != leading {
		select {
		case <-c.Changes():
		case <-timeout:
			b.Fatalf("%s: not leading after 30s", c.name)
		}
	}
}
