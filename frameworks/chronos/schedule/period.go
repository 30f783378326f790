package schedule

import (
	"fmt"
	"strconv"
	"strings"
)

// maxComponent bounds each number in a period. It is far beyond any useful
// schedule (a billion seconds is 31 years) and keeps the arithmetic in At
// comfortably inside int64.
const maxComponent = 1_000_000_000

// Period is an ISO 8601 duration ("P1Y2M3W4DT5H6M7S") split into its
// components, because calendar components (years, months, weeks, days) and
// time components (hours, minutes, seconds) add differently: the former in
// wall-clock time, the latter as absolute durations.
type Period struct {
	Years, Months, Weeks, Days, Hours, Minutes, Seconds int
}

// IsZero reports whether every component is zero, e.g. "PT0S".
func (p Period) IsZero() bool { return p == Period{} }

// calendar reports whether p has a component that adds in wall-clock time.
func (p Period) calendar() bool { return p.Years != 0 || p.Months != 0 || p.Weeks != 0 || p.Days != 0 }

// clockSeconds is the absolute part of p in seconds.
func (p Period) clockSeconds() int64 {
	return int64(p.Hours)*3600 + int64(p.Minutes)*60 + int64(p.Seconds)
}

// approxSeconds is p's mean length: a Gregorian year is 365.2425 days and a
// month a twelfth of that. It only seeds the search in After, which then
// corrects the estimate exactly.
func (p Period) approxSeconds() float64 {
	const day = 86400.0
	return float64(p.Years)*365.2425*day + float64(p.Months)*365.2425/12*day +
		float64(p.Weeks)*7*day + float64(p.Days)*day + float64(p.clockSeconds())
}

// String writes p in the canonical ISO 8601 form Chronos shows: components
// in Y M W D T H M S order, zeros left out, and "PT0S" for the zero period.
func (p Period) String() string {
	if p.IsZero() {
		return "PT0S"
	}
	var b strings.Builder
	b.WriteByte('P')
	part := func(n int, unit byte) {
		if n != 0 {
			b.WriteString(strconv.Itoa(n))
			b.WriteByte(unit)
		}
	}
	part(p.Years, 'Y')
	part(p.Months, 'M')
	part(p.Weeks, 'W')
	part(p.Days, 'D')
	if p.Hours != 0 || p.Minutes != 0 || p.Seconds != 0 {
		b.WriteByte('T')
		part(p.Hours, 'H')
		part(p.Minutes, 'M')
		part(p.Seconds, 'S')
	}
	return b.String()
}

// periodUnit is one designator of the ISO 8601 duration grammar, in the
// order the grammar requires.
type periodUnit struct {
	designator byte
	time       bool // after the "T"
	name       string
	field      func(*Period) *int
}

var periodUnits = []periodUnit{
	{'Y', false, "years", func(p *Period) *int { return &p.Years }},
	{'M', false, "months", func(p *Period) *int { return &p.Months }},
	{'W', false, "weeks", func(p *Period) *int { return &p.Weeks }},
	{'D', false, "days", func(p *Period) *int { return &p.Days }},
	{'H', true, "hours", func(p *Period) *int { return &p.Hours }},
	{'M', true, "minutes", func(p *Period) *int { return &p.Minutes }},
	{'S', true, "seconds", func(p *Period) *int { return &p.Seconds }},
}

// ParsePeriod parses an ISO 8601 duration such as "P1D", "PT30M" or
// "P1Y2M3W4DT5H6M7S". Numbers are non-negative integers; fractions
// ("PT0.5S") and signs are refused. A zero period ("PT0S") parses; Parse
// refuses it as a schedule's period.
func ParsePeriod(s string) (Period, error) {
	bad := func(format string, args ...any) (Period, error) {
		return Period{}, fmt.Errorf("period %q: "+format, append([]any{s}, args...)...)
	}
	rest, ok := strings.CutPrefix(s, "P")
	if !ok {
		return bad(`must start with "P" (e.g. P1D, PT1H, P1Y2M3W4DT5H6M7S)`)
	}
	if rest == "" {
		return bad("has no components (e.g. P1D, PT1H)")
	}
	var p Period
	next := 0 // index in periodUnits of the first designator still allowed
	inTime := false
	for rest != "" {
		if rest[0] == 'T' {
			if inTime {
				return bad(`has a second "T"`)
			}
			inTime = true
			for next < len(periodUnits) && !periodUnits[next].time {
				next++
			}
			rest = rest[1:]
			if rest == "" {
				return bad(`has no hours, minutes or seconds after "T"`)
			}
			continue
		}
		digits := 0
		for digits < len(rest) && rest[digits] >= '0' && rest[digits] <= '9' {
			digits++
		}
		if digits == 0 {
			return bad("expected a number at %q", rest)
		}
		if digits == len(rest) {
			return bad("number %s has no unit designator (Y, M, W, D, H, M or S)", rest)
		}
		num, designator := rest[:digits], rest[digits]
		if designator == '.' || designator == ',' {
			return bad("fractional values are not supported")
		}
		unit := -1
		for i := next; i < len(periodUnits); i++ {
			if periodUnits[i].designator == designator && periodUnits[i].time == inTime {
				unit = i
				break
			}
		}
		if unit < 0 {
			return bad("unexpected %q in %q: components go in the order Y M W D T H M S, with H, M and S after T", designator, rest)
		}
		n, err := strconv.Atoi(num)
		if err != nil || n > maxComponent {
			return bad("%s %s is too large (at most %d)", periodUnits[unit].name, num, maxComponent)
		}
		*periodUnits[unit].field(&p) = n
		next = unit + 1
		rest = rest[digits+1:]
	}
	return p, nil
}
