package runner_test

import (
	"fmt"
	"testing"

	"github.com/agoraproject/agora/frameworks/chronos/runner"
)

// BenchmarkTick1000Due holds 10,000 scheduled jobs of which 1,000 are due
// at the same second, and measures the runner producing all 1,000 launch
// decisions: Tick, Queue, and Launched for each run.
func BenchmarkTick1000Due(b *testing.B) {
	build := func() *runner.Core {
		c := runner.New(runner.Config{})
		for i := range 10_000 {
			start := "2030-01-01T12:00:00Z"
			if i%10 != 0 {
				start = "2030-01-02T12:00:00Z" // not due yet
			}
			if err := c.Put(t0, scheduled(fmt.Sprintf("job-%05d", i), "R/"+start+"/PT1H")); err != nil {
				b.Fatal(err)
			}
		}
		c.Dirty()
		return c
	}
	for b.Loop() {
		b.StopTimer()
		c := build()
		b.StartTimer()
		c.Tick(t0)
		q := c.Queue()
		for _, p := range q {
			c.Launched(t0, p.Run.TaskID, runner.Agent{ID: "S1"})
		}
		if len(q) != 1000 {
			b.Fatalf("%d launches, want 1000", len(q))
		}
	}
}
