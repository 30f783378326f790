// Package duration parses and formats durations the way Mesos writes them in
// flags and environment variables ("15secs", "5mins", "500ms"), and also
// accepts Go's own syntax ("15s") so operators can use either.
package duration

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

var units = []struct {
	suffix string
	unit   time.Duration
}{
	// Longest suffixes first so "mins" is not read as "ns" or "s".
	{"weeks", 7 * 24 * time.Hour},
	{"days", 24 * time.Hour},
	{"hrs", time.Hour},
	{"mins", time.Minute},
	{"secs", time.Second},
	{"ms", time.Millisecond},
	{"us", time.Microsecond},
	{"ns", time.Nanosecond},
}

// Parse reads a Mesos duration ("15secs", "1.5mins") or a Go duration ("15s").
func Parse(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	for _, u := range units {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			f, err := strconv.ParseFloat(num, 64)
			if err != nil || f < 0 {
				return 0, fmt.Errorf("invalid duration %q: want a non-negative number before %q", s, u.suffix)
			}
			return time.Duration(f * float64(u.unit)), nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("invalid duration %q: use e.g. 15secs, 5mins or 500ms", s)
	}
	return d, nil
}

// Format writes d in Mesos's style with the largest unit that divides it
// exactly, falling back to fractional seconds.
func Format(d time.Duration) string {
	for _, u := range units {
		if u.unit >= time.Second && d%u.unit == 0 && d != 0 {
			return strconv.FormatInt(int64(d/u.unit), 10) + u.suffix
		}
	}
	if d%time.Millisecond == 0 {
		return strconv.FormatInt(int64(d/time.Millisecond), 10) + "ms"
	}
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + "secs"
}

// Value adapts a *time.Duration to flag.Value with Mesos syntax.
type Value struct{ D *time.Duration }

// String implements flag.Value.
func (v Value) String() string {
	if v.D == nil {
		return ""
	}
	return Format(*v.D)
}

// Set implements flag.Value.
func (v Value) Set(s string) error {
	d, err := Parse(s)
	if err != nil {
		return err
	}
	*v.D = d
	return nil
}
