package job

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// durationRE is the ISO 8601 durations with fixed lengths: weeks, days,
// hours, minutes and (fractional) seconds. Years and months have no fixed
// length and make no sense for an epsilon.
var durationRE = regexp.MustCompile(`^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:[.,]\d+)?)S)?)?$`)

// ParseDuration reads an ISO 8601 duration such as "PT30S", "PT1H30M" or
// "P1D", as Chronos's epsilon is written.
func ParseDuration(s string) (time.Duration, error) {
	m := durationRE.FindStringSubmatch(s)
	if m == nil || s == "P" || s[len(s)-1] == 'T' {
		return 0, fmt.Errorf("%q is not an ISO 8601 duration like PT30S, PT1H or P1D", s)
	}
	var d time.Duration
	for i, unit := range []time.Duration{7 * 24 * time.Hour, 24 * time.Hour, time.Hour, time.Minute} {
		if m[i+1] == "" {
			continue
		}
		n, err := strconv.ParseInt(m[i+1], 10, 32)
		if err != nil {
			return 0, fmt.Errorf("%q: %v", s, err)
		}
		d += time.Duration(n) * unit
	}
	if m[5] != "" {
		f, err := strconv.ParseFloat(strings.Replace(m[5], ",", ".", 1), 64)
		if err != nil || f > 1e9 {
			return 0, fmt.Errorf("%q: seconds out of range", s)
		}
		d += time.Duration(f * float64(time.Second))
	}
	return d, nil
}
