package schedule

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Parse parses a Chronos schedule "R[n]/<start>/<period>".
//
// The repetition count is "R" (forever) or "Rn" with n >= 0 occurrences
// left ("R0" never runs, "R1" runs once).
//
// An empty start ("R//PT1H") means now, truncated to the millisecond like
// every start. Otherwise the start is an ISO 8601 date-time:
// YYYY-MM-DD, optionally followed by Thh, Thh:mm, Thh:mm:ss or
// Thh:mm:ss.fff (any number of fraction digits, kept to the millisecond),
// optionally followed by Z, ±hh:mm, ±hhmm or ±hh. A date alone means
// midnight, as Chronos's Joda-Time parser accepted it.
//
// timeZone is the job's scheduleTimeZone, an IANA name such as
// "Europe/Berlin". When set it takes precedence over an offset written in
// the start: the start's wall-clock fields are read in that zone (so
// "2026-03-01T09:00:00Z" with "Europe/Berlin" is 09:00 in Berlin), which is
// how Chronos applied it. When empty, the start's own offset is the
// location (UTC for "Z" or no offset).
//
// A period of zero is refused. Errors name the expression and the part that
// is wrong.
func Parse(expr, timeZone string, now time.Time) (Schedule, error) {
	fail := func(err error) (Schedule, error) {
		return Schedule{}, fmt.Errorf("schedule %q: %w", expr, err)
	}
	parts := strings.Split(strings.TrimSpace(expr), "/")
	if len(parts) != 3 {
		return fail(fmt.Errorf(`want R[n]/<start>/<period>, three parts separated by "/", got %d`, len(parts)))
	}
	repeats, err := parseRepeats(parts[0])
	if err != nil {
		return fail(err)
	}
	var zone *time.Location
	if timeZone != "" {
		if zone, err = loadZone(timeZone); err != nil {
			return fail(err)
		}
	}
	var start time.Time
	if parts[1] == "" {
		loc := zone
		if loc == nil {
			loc = time.UTC
		}
		start = now.Truncate(time.Millisecond).In(loc)
	} else if start, err = parseStart(parts[1], zone); err != nil {
		return fail(err)
	}
	period, err := ParsePeriod(parts[2])
	if err != nil {
		return fail(err)
	}
	if period.IsZero() {
		return fail(fmt.Errorf("period %q: period must be positive", parts[2]))
	}
	return Schedule{Repeats: repeats, Start: start, Period: period, Location: start.Location()}, nil
}

func parseRepeats(s string) (int, error) {
	num, ok := strings.CutPrefix(s, "R")
	if !ok {
		return 0, fmt.Errorf("repetitions %q must be R (forever) or Rn (n runs)", s)
	}
	if num == "" {
		return -1, nil
	}
	for _, c := range num {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("repetitions %q must be R (forever) or Rn with n a non-negative integer", s)
		}
	}
	n, err := strconv.Atoi(num)
	if err != nil {
		return 0, fmt.Errorf("repetitions %q is too large", s)
	}
	return n, nil
}

// loadZone resolves a scheduleTimeZone. "Local" is refused: a schedule must
// not depend on the machine that happens to run it.
func loadZone(name string) (*time.Location, error) {
	if name == "Local" {
		return nil, fmt.Errorf(`scheduleTimeZone "Local" is not allowed: name a zone such as Europe/Berlin or UTC`)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("scheduleTimeZone %q is not a known time zone (want an IANA name such as Europe/Berlin or UTC)", name)
	}
	return loc, nil
}

// startFormat is the hint appended to start errors.
const startFormat = "want YYYY-MM-DDThh:mm:ss[.sss][Z|±hh:mm], e.g. 2026-11-26T10:00:00Z"

// parseStart reads the start date-time. zone, when not nil, replaces any
// written offset (the wall-clock fields are kept).
func parseStart(s string, zone *time.Location) (time.Time, error) {
	notISO := func() (time.Time, error) {
		return time.Time{}, fmt.Errorf("start %q is not an ISO 8601 date-time (%s)", s, startFormat)
	}
	sc := scanner{s: s}
	year, ok1 := sc.digits(4)
	ok2 := sc.lit('-')
	month, ok3 := sc.digits(2)
	ok4 := sc.lit('-')
	day, ok5 := sc.digits(2)
	if !(ok1 && ok2 && ok3 && ok4 && ok5) {
		return notISO()
	}
	var hour, minute, sec, nsec int
	if sc.lit('T') || sc.lit('t') {
		var ok bool
		if hour, ok = sc.digits(2); !ok {
			return notISO()
		}
		if sc.lit(':') {
			if minute, ok = sc.digits(2); !ok {
				return notISO()
			}
			if sc.lit(':') {
				if sec, ok = sc.digits(2); !ok {
					return notISO()
				}
				if sc.lit('.') || sc.lit(',') {
					if nsec, ok = sc.fraction(); !ok {
						return notISO()
					}
				}
			}
		}
	}
	loc, ok := sc.offset()
	if !ok || !sc.done() {
		return notISO()
	}
	if month < 1 || month > 12 {
		return time.Time{}, fmt.Errorf("start %q: month %02d is out of range 01-12", s, month)
	}
	if last := daysIn(year, time.Month(month)); day < 1 || day > last {
		return time.Time{}, fmt.Errorf("start %q: day %02d is out of range for %s %04d (01-%02d)", s, day, time.Month(month), year, last)
	}
	if hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, fmt.Errorf("start %q: time %02d:%02d:%02d is out of range (00:00:00-23:59:59)", s, hour, minute, sec)
	}
	if loc == nil {
		return time.Time{}, fmt.Errorf("start %q: offset is out of range (at most ±18:00)", s)
	}
	nsec -= nsec % int(time.Millisecond)
	if zone != nil {
		return resolveWall(wall{year, time.Month(month), day, hour, minute, sec, nsec}, zone), nil
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, nsec, loc), nil
}

// scanner reads the fixed-width fields of an ISO 8601 date-time.
type scanner struct {
	s   string
	pos int
}

func (sc *scanner) done() bool { return sc.pos == len(sc.s) }

func (sc *scanner) lit(c byte) bool {
	if sc.pos < len(sc.s) && sc.s[sc.pos] == c {
		sc.pos++
		return true
	}
	return false
}

func (sc *scanner) digits(n int) (int, bool) {
	if sc.pos+n > len(sc.s) {
		return 0, false
	}
	v := 0
	for _, c := range []byte(sc.s[sc.pos : sc.pos+n]) {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	sc.pos += n
	return v, true
}

// fraction reads one or more fraction digits as nanoseconds; digits past
// the ninth are ignored.
func (sc *scanner) fraction() (int, bool) {
	start := sc.pos
	ns, scale := 0, int(time.Second)
	for sc.pos < len(sc.s) && sc.s[sc.pos] >= '0' && sc.s[sc.pos] <= '9' {
		if scale > 1 {
			scale /= 10
			ns += int(sc.s[sc.pos]-'0') * scale
		}
		sc.pos++
	}
	return ns, sc.pos > start
}

// offset reads an optional zone designator: nothing or "Z" is UTC, else
// ±hh, ±hhmm or ±hh:mm. A syntactically valid but out-of-range offset
// returns (nil, true).
func (sc *scanner) offset() (*time.Location, bool) {
	if sc.done() {
		return time.UTC, true
	}
	if sc.lit('Z') || sc.lit('z') {
		return time.UTC, true
	}
	sign := 1
	switch {
	case sc.lit('+'):
	case sc.lit('-'):
		sign = -1
	default:
		return nil, false
	}
	hh, ok := sc.digits(2)
	if !ok {
		return nil, false
	}
	mm := 0
	if !sc.done() {
		sc.lit(':')
		if mm, ok = sc.digits(2); !ok {
			return nil, false
		}
	}
	if mm > 59 || hh*60+mm > 18*60 {
		return nil, true
	}
	secs := sign * (hh*3600 + mm*60)
	if secs == 0 {
		return time.UTC, true
	}
	return time.FixedZone(formatOffset(secs), secs), true
}

func formatOffset(secs int) string {
	sign := '+'
	if secs < 0 {
		sign, secs = '-', -secs
	}
	return fmt.Sprintf("%c%02d:%02d", sign, secs/3600, secs%3600/60)
}
