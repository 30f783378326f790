package resources

import "math"

// Scalars are kept in thousandths, as Mesos does: floating-point sums of
// values such as 0.1 drift, and a master adding and subtracting a task's
// cpus millions of times must come back to exactly what the agent has.

// maxMilli bounds fixed-point values so that every one converts back to a
// float64 exactly and sums of two can never overflow an int64.
const maxMilli = 1 << 53

// maxScalar is the largest scalar a resource may carry.
const maxScalar = float64(maxMilli) / 1000

// toMilli rounds v to the nearest thousandth, saturating out-of-range values
// so that invalid input cannot wrap around.
func toMilli(v float64) int64 {
	if math.IsNaN(v) {
		return 0
	}
	m := math.Round(v * 1000)
	switch {
	case m > maxMilli:
		return maxMilli
	case m < -maxMilli:
		return -maxMilli
	}
	return int64(m)
}

// fromMilli converts back. One division gives the float64 nearest to the
// decimal value, so 300 milli reads back as exactly the literal 0.3.
func fromMilli(m int64) float64 {
	return float64(m) / 1000
}

// addMilli adds, saturating at maxMilli so that totals over a huge cluster
// stay well defined.
func addMilli(a, b int64) int64 {
	return min(a+b, maxMilli)
}
