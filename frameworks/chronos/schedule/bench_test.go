package schedule

import (
	"fmt"
	"math/rand"
	"testing"
	"time"
)

// BenchmarkAfter10kSchedules asks 10,000 schedules for their next run, as
// the Chronos runner does for 10,000 jobs: a mix of zones and periods, with
// starts up to a year in the past so the answers have large indexes.
func BenchmarkAfter10kSchedules(b *testing.B) {
	rng := rand.New(rand.NewSource(1))
	zones := []string{"", "America/New_York", "Europe/Berlin", "Australia/Sydney", "Asia/Kolkata"}
	periods := []string{"PT1M", "PT15M", "PT1H", "P1D", "P1W", "P1M", "P1DT12H"}
	now := time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)
	scheds := make([]Schedule, 10_000)
	for i := range scheds {
		start := now.Add(-time.Duration(rng.Int63n(int64(365 * 24 * time.Hour)))).Truncate(time.Second)
		expr := fmt.Sprintf("R/%s/%s", start.Format("2006-01-02T15:04:05"), periods[rng.Intn(len(periods))])
		s, err := Parse(expr, zones[rng.Intn(len(zones))], now)
		if err != nil {
			b.Fatal(err)
		}
		scheds[i] = s
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for _, s := range scheds {
			if _, _, ok := s.After(now); !ok {
				b.Fatal("no next run")
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(scheds)), "ns/schedule")
}
