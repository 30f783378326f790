package schedule

import "time"

// wall is a wall-clock date and time, not yet tied to an instant: in a zone
// with daylight saving time some walls name no instant (the spring-forward
// gap) and some name two (the fall-back overlap).
type wall struct {
	year                    int
	month                   time.Month
	day                     int
	hour, minute, sec, nsec int
}

func wallOf(t time.Time) wall {
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	return wall{y, mo, d, h, mi, s, t.Nanosecond()}
}

// seconds is w read as if it were UTC, in Unix seconds; comparing it with
// an instant's Unix seconds plus its offset tells whether the instant shows w.
func (w wall) seconds() int64 {
	return time.Date(w.year, w.month, w.day, w.hour, w.minute, w.sec, 0, time.UTC).Unix()
}

func daysIn(year int, month time.Month) int {
	return time.Date(year, month+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// addMonths moves w by n months, clamping the day to the end of a shorter
// month (Jan 31 + 1 month = Feb 28 or 29), as Joda-Time does.
func (w wall) addMonths(n int) wall {
	total := w.year*12 + int(w.month-1) + n
	w.year, w.month = floorDiv(total, 12), time.Month(floorMod(total, 12)+1)
	w.day = min(w.day, daysIn(w.year, w.month))
	return w
}

// addDays moves w by n calendar days, keeping the wall-clock time.
func (w wall) addDays(n int) wall {
	t := time.Date(w.year, w.month, w.day+n, 0, 0, 0, 0, time.UTC)
	w.year, w.month, w.day = t.Date()
	return w
}

func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

func floorMod(a, b int) int { return a - floorDiv(a, b)*b }

// resolveWall returns the instant loc shows as w. In the fall-back overlap it
// is the earlier of the two instants, so a job runs once, at the first
// occurrence of that time. In the spring-forward gap, where w never appears
// on the clock, it is the first instant after the gap (the transition
// itself): a 02:30 job runs at 03:00 on the day clocks jump from 02:00 to
// 03:00, rather than being skipped.
func resolveWall(w wall, loc *time.Location) time.Time {
	t := time.Date(w.year, w.month, w.day, w.hour, w.minute, w.sec, w.nsec, loc)
	ws := w.seconds()
	_, off := t.Zone()
	shown := t.Unix() + int64(off)
	start, end := t.ZoneBounds()
	switch {
	case shown == ws:
		// t shows w. If the previous zone period had a larger offset, w may
		// also have appeared in it, earlier.
		if start.IsZero() {
			return t
		}
		_, prevOff := start.Add(-time.Nanosecond).Zone()
		if prevOff <= off {
			return t
		}
		earlier := time.Unix(ws-int64(prevOff), int64(w.nsec)).In(loc)
		if earlier.Before(start) {
			if _, o := earlier.Zone(); o == prevOff {
				return earlier
			}
		}
		return t
	case shown > ws:
		// t was read with the offset from before the gap and landed after
		// the transition: the gap ends where t's zone period starts.
		if !start.IsZero() {
			return start.In(loc)
		}
	default:
		// t was read with the offset from after the gap and landed before
		// the transition: the gap ends where t's zone period ends.
		if !end.IsZero() {
			return end.In(loc)
		}
	}
	return t
}
