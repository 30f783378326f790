// Package schedule parses and evaluates Chronos schedules: ISO 8601
// repeating intervals "R[n]/<start>/<period>" in a time zone.
//
// It is a pure library: every question takes the current time as an
// argument, and occurrence i is computed from the start each time, so
// nothing drifts however many runs have passed.
//
// Calendar components of the period (years, months, weeks, days) add in
// wall-clock time in the schedule's location: a daily 02:30 job stays at
// 02:30 local time across daylight saving changes. Time components (hours,
// minutes, seconds) add absolute durations: "PT1H" is always 3600 seconds.
// Month arithmetic clamps to the month's end, as Joda-Time does, and since
// occurrence i adds i×period to the start, a job started on Jan 31 with
// "P1M" runs on Feb 28 (or 29), then Mar 31, Apr 30, ... A wall time that
// falls into a spring-forward gap runs at the first instant after the gap
// (02:30 becomes 03:00 that day); one that occurs twice at fall-back runs at
// the earlier instant.
//
// Occurrences after the year 9999 do not exist: the schedule format has
// four-digit years.
//
// It is not the job runner: deciding whether a missed run is still worth
// starting (Chronos's epsilon) belongs to the caller.
package schedule

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// Schedule is a parsed Chronos schedule.
type Schedule struct {
	Repeats  int            // occurrences left; -1 = forever (bare "R"); 0 = no more runs
	Start    time.Time      // occurrence 0, in Location
	Period   Period         // between occurrences; never zero in a parsed Schedule
	Location *time.Location // from scheduleTimeZone, or the offset written in the start; UTC when nil
}

// horizon is the first instant that is not a valid occurrence.
var horizon = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)

// Limits on i×component in At, kept well inside int64 and time.Time's
// arithmetic; anything beyond them is past the horizon anyway.
const (
	maxYears   = 20_000
	maxMonths  = maxYears * 12
	maxDays    = maxYears * 366
	maxSeconds = int64(maxDays) * 86400
)

func (s Schedule) loc() *time.Location {
	if s.Location == nil {
		return time.UTC
	}
	return s.Location
}

// At returns occurrence i (0-based) without regard to Repeats: the start
// plus i periods. It is computed from Start, never from a previous
// occurrence. Negative i is treated as 0. An occurrence past the year 9999
// is returned as 10000-01-01T00:00:00Z.
func (s Schedule) At(i int) time.Time {
	loc := s.loc()
	start := s.Start.In(loc)
	if i <= 0 || s.Period.IsZero() {
		return start
	}
	p := s.Period
	t := start
	if p.calendar() {
		w := wallOf(start)
		years, okY := mulBounded(i, p.Years, maxYears)
		months, okM := mulBounded(i, p.Months, maxMonths)
		days, okD := mulBounded(i, 7*p.Weeks+p.Days, maxDays)
		if !okY || !okM || !okD {
			return horizon
		}
		// Years, then months, then days, each clamped in turn, as Joda-Time
		// adds a period's fields: Feb 29 + P1Y1M = Feb 28 + 1M = Mar 28.
		w = w.addMonths(12 * years).addMonths(months).addDays(days)
		if w.year >= horizon.Year() {
			return horizon
		}
		t = resolveWall(w, loc)
	}
	if secs := p.clockSeconds(); secs != 0 {
		total, ok := mulBounded64(int64(i), secs, maxSeconds)
		if !ok {
			return horizon
		}
		t = time.Unix(t.Unix()+total, int64(t.Nanosecond())).In(loc)
	}
	if !t.Before(horizon) {
		return horizon
	}
	return t
}

func mulBounded(a, b, limit int) (int, bool) {
	r, ok := mulBounded64(int64(a), int64(b), int64(limit))
	return int(r), ok
}

// mulBounded64 returns a×b for non-negative a and b when it is at most limit.
func mulBounded64(a, b, limit int64) (int64, bool) {
	if a == 0 || b == 0 {
		return 0, true
	}
	if a > limit/b {
		return 0, false
	}
	return a * b, true
}

// exists reports whether occurrence i is one the schedule will run.
func (s Schedule) exists(i int, at time.Time) bool {
	return i >= 0 && (s.Repeats < 0 || i < s.Repeats) && at.Before(horizon)
}

// After returns the first occurrence strictly after t and its index.
// ok is false when the repetitions are exhausted before then.
//
// It estimates the index from the period's mean length and corrects the
// estimate with a galloping search, so it costs a handful of At calls
// whatever the index.
func (s Schedule) After(t time.Time) (next time.Time, index int, ok bool) {
	if s.Repeats == 0 || s.Period.IsZero() {
		return time.Time{}, 0, false
	}
	i := s.firstAfter(t)
	next = s.At(i)
	if !s.exists(i, next) {
		return time.Time{}, 0, false
	}
	return next, i, true
}

// Due returns the index of the latest occurrence at or before now, so that
// any runs missed since collapse into one. With finite repetitions all in
// the past it is the last one. ok is false before the first occurrence or
// when no repetitions are left.
func (s Schedule) Due(now time.Time) (index int, ok bool) {
	if s.Repeats == 0 || s.Period.IsZero() {
		return 0, false
	}
	i := s.firstAfter(now) - 1
	if s.Repeats > 0 && i >= s.Repeats {
		i = s.Repeats - 1
	}
	if i < 0 {
		return 0, false
	}
	return i, true
}

// firstAfter returns the smallest i >= 0 with At(i) > t; occurrences only
// move forward as i grows, so a search over i is sound.
func (s Schedule) firstAfter(t time.Time) int {
	if t.Before(s.Start) {
		return 0
	}
	if !t.Before(horizon) {
		t = horizon.Add(-time.Nanosecond)
	}
	est := float64(t.Unix()-s.Start.Unix()) / s.Period.approxSeconds()
	i := 0
	if est > 0 {
		i = int(math.Min(est, float64(maxSeconds)))
	}
	after := func(i int) bool { return s.At(i).After(t) }
	// Bracket the answer in (lo, hi]: At(lo) <= t < At(hi).
	lo, hi := i, i
	if after(i) {
		if i == 0 {
			return 0
		}
		for step := 1; ; step *= 2 {
			lo = max(hi-step, 0)
			if !after(lo) {
				break
			}
			if hi = lo; lo == 0 {
				return 0
			}
		}
	} else {
		for step := 1; ; step *= 2 {
			hi = lo + step
			if after(hi) || hi >= int(maxSeconds) {
				break
			}
			lo = hi
		}
	}
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		if after(mid) {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi
}

// From returns the remaining schedule starting at occurrence i, with the
// repetitions reduced by i (unless infinite): what Chronos shows as a job's
// schedule after i runs. The new start is At(i), so a From schedule that
// began on a clamped month end or a DST gap keeps that shifted time; to
// keep the original wall-clock anchor, keep the original Schedule and an
// index.
func (s Schedule) From(i int) Schedule {
	if i <= 0 {
		return s
	}
	r := s
	r.Start = s.At(i)
	r.Location = s.loc()
	if s.Repeats >= 0 {
		r.Repeats = max(s.Repeats-i, 0)
	}
	return r
}

// Validate checks a Schedule built or decoded by hand, as Parse would:
// Repeats at least -1, no negative period component, a non-zero period.
func (s Schedule) Validate() error {
	p := s.Period
	switch {
	case s.Repeats < -1:
		return fmt.Errorf("schedule: repeats %d must be -1 (forever) or at least 0", s.Repeats)
	case p.Years < 0 || p.Months < 0 || p.Weeks < 0 || p.Days < 0 || p.Hours < 0 || p.Minutes < 0 || p.Seconds < 0:
		return fmt.Errorf("schedule: period %+v has a negative component", p)
	case p.Years > maxComponent || p.Months > maxComponent || p.Weeks > maxComponent || p.Days > maxComponent ||
		p.Hours > maxComponent || p.Minutes > maxComponent || p.Seconds > maxComponent:
		return fmt.Errorf("schedule: period %+v has a component above %d", p, maxComponent)
	case p.IsZero():
		return fmt.Errorf("schedule: period must be positive")
	case s.Start.IsZero():
		return fmt.Errorf("schedule: start is not set")
	}
	return nil
}

// String writes the schedule in Chronos's canonical form,
// "R5/2026-11-26T10:00:00.000Z/PT1H", the start shown with millisecond
// precision in the location's offset at that instant.
func (s Schedule) String() string {
	r := "R"
	if s.Repeats >= 0 {
		r += strconv.Itoa(s.Repeats)
	}
	return r + "/" + s.Start.In(s.loc()).Format("2006-01-02T15:04:05.000Z07:00") + "/" + s.Period.String()
}
