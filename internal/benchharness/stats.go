package benchharness

import (
	"slices"
	"time"
)

// percentile returns the p-th percentile (0 < p <= 100) of sorted by the
// nearest-rank method; 0 for no samples.
func percentile[T any](sorted []T, p float64) T {
	var zero T
	if len(sorted) == 0 {
		return zero
	}
	rank := int(p/100*float64(len(sorted))+0.999999999) - 1
	return sorted[min(max(rank, 0), len(sorted)-1)]
}

// Spread summarizes samples of one figure.
type Spread struct {
	P50, P90, P99, Max time.Duration
	N                  int
}

func spreadOf(ds []time.Duration) Spread {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s) == 0 {
		return Spread{}
	}
	return Spread{P50: percentile(s, 50), P90: percentile(s, 90), P99: percentile(s, 99), Max: s[len(s)-1], N: len(s)}
}
