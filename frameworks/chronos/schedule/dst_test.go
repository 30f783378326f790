package schedule

import (
	"testing"
	"time"
)

// TestDST checks wall-clock periods across daylight saving changes: the
// wall time is kept, a time in the spring-forward gap runs at the end of the
// gap, and a time in the fall-back overlap runs at its first occurrence.
func TestDST(t *testing.T) {
	tests := []struct {
		name, expr, tz string
		want           []string // At(0), At(1), ... in UTC
	}{
		{"New York daily 02:30 into the March gap", "R/2026-03-06T02:30:00/P1D", "America/New_York", []string{
			"2026-03-06T07:30:00Z", // 02:30 EST
			"2026-03-07T07:30:00Z", // 02:30 EST
			"2026-03-08T07:00:00Z", // 02:30 does not exist: 03:00 EDT
			"2026-03-09T06:30:00Z", // 02:30 EDT
		}},
		{"New York daily 01:30 through the November overlap", "R/2026-10-31T01:30:00/P1D", "America/New_York", []string{
			"2026-10-31T05:30:00Z", // 01:30 EDT
			"2026-11-01T05:30:00Z", // 01:30 happens twice: the first, EDT
			"2026-11-02T06:30:00Z", // 01:30 EST
		}},
		{"New York PT24H is absolute", "R/2026-03-07T09:00:00/PT24H", "America/New_York", []string{
			"2026-03-07T14:00:00Z", // 09:00 EST
			"2026-03-08T14:00:00Z", // 10:00 EDT
		}},
		{"New York weekly keeps 09:00", "R/2026-03-02T09:00:00/P1W", "America/New_York", []string{
			"2026-03-02T14:00:00Z", "2026-03-09T13:00:00Z",
		}},
		{"New York hourly through the overlap", "R/2026-11-01T00:30:00/PT1H", "America/New_York", []string{
			"2026-11-01T04:30:00Z", "2026-11-01T05:30:00Z", "2026-11-01T06:30:00Z", "2026-11-01T07:30:00Z",
		}},
		{"Berlin daily 02:30 into the March gap", "R/2026-03-28T02:30:00/P1D", "Europe/Berlin", []string{
			"2026-03-28T01:30:00Z", // 02:30 CET
			"2026-03-29T01:00:00Z", // gap: 03:00 CEST
			"2026-03-30T00:30:00Z", // 02:30 CEST
		}},
		{"Berlin daily 02:30 through the October overlap", "R/2026-10-24T02:30:00/P1D", "Europe/Berlin", []string{
			"2026-10-24T00:30:00Z", // 02:30 CEST
			"2026-10-25T00:30:00Z", // first 02:30, CEST
			"2026-10-26T01:30:00Z", // 02:30 CET
		}},
		{"Berlin monthly at midnight across both changes", "R/2026-01-31T00:00:00/P1M", "Europe/Berlin", []string{
			"2026-01-30T23:00:00Z", "2026-02-27T23:00:00Z", "2026-03-30T22:00:00Z", "2026-04-29T22:00:00Z",
		}},
		// Southern hemisphere: summer time ends in April, starts in October.
		{"Sydney daily 09:00 as summer time ends", "R/2026-04-04T09:00:00/P1D", "Australia/Sydney", []string{
			"2026-04-03T22:00:00Z", // 09:00 AEDT (+11)
			"2026-04-04T23:00:00Z", // 09:00 AEST (+10)
		}},
		{"Sydney daily 02:30 through the April overlap", "R/2026-04-04T02:30:00/P1D", "Australia/Sydney", []string{
			"2026-04-03T15:30:00Z", // AEDT
			"2026-04-04T15:30:00Z", // first 02:30, AEDT
			"2026-04-05T16:30:00Z", // AEST
		}},
		{"Sydney daily 02:30 into the October gap", "R/2026-10-03T02:30:00/P1D", "Australia/Sydney", []string{
			"2026-10-02T16:30:00Z", // AEST
			"2026-10-03T16:00:00Z", // gap: 03:00 AEDT
			"2026-10-04T15:30:00Z", // AEDT
		}},
		// No DST and a half-hour offset.
		{"Kolkata daily midnight", "R/2026-01-01T00:00:00/P1D", "Asia/Kolkata", []string{
			"2025-12-31T18:30:00Z", "2026-01-01T18:30:00Z", "2026-01-02T18:30:00Z",
		}},
		{"Kolkata yearly", "R/2026-07-01T05:30:00/P1Y", "Asia/Kolkata", []string{
			"2026-07-01T00:00:00Z", "2027-07-01T00:00:00Z", "2028-07-01T00:00:00Z",
		}},
		// Samoa skipped 30 December 2011 entirely (UTC-10 to UTC+14).
		{"Apia daily across the skipped day", "R/2011-12-28T10:00:00/P1D", "Pacific/Apia", []string{
			"2011-12-28T20:00:00Z", // -10
			"2011-12-29T20:00:00Z", // -10
			"2011-12-30T10:00:00Z", // the 30th does not exist: 31st 00:00 +14
			"2011-12-30T20:00:00Z", // 31st 10:00 +14
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustParse(t, tt.expr, tt.tz)
			occurrences(t, s, tt.want...)
			// After and Due agree with At around each occurrence.
			for i := 1; i < len(tt.want); i++ {
				prev, cur := utc(t, tt.want[i-1]), utc(t, tt.want[i])
				if next, idx, ok := s.After(prev); !ok || idx != i || !next.Equal(cur) {
					t.Errorf("After(%v) = %v, %d, %v; want %v, %d", prev, next, idx, ok, cur, i)
				}
				if idx, ok := s.Due(cur.Add(-time.Nanosecond)); !ok || idx != i-1 {
					t.Errorf("Due(%v) = %d, %v; want %d", cur.Add(-time.Nanosecond), idx, ok, i-1)
				}
			}
		})
	}
}

// TestStringInZone: the canonical form shows the offset in force at the
// start, as Chronos does with a scheduleTimeZone.
func TestStringInZone(t *testing.T) {
	tests := []struct{ expr, tz, want string }{
		{"R5/2026-11-26T10:00:00/PT1H", "Europe/Berlin", "R5/2026-11-26T10:00:00.000+01:00/PT1H"},
		{"R5/2026-07-26T10:00:00/PT1H", "Europe/Berlin", "R5/2026-07-26T10:00:00.000+02:00/PT1H"},
		{"R/2026-01-15T10:00:00/P1D", "Europe/London", "R/2026-01-15T10:00:00.000Z/P1D"},
		{"R/2026-01-15T10:00:00/P1D", "Australia/Sydney", "R/2026-01-15T10:00:00.000+11:00/P1D"},
		{"R/2026-03-08T02:30:00/P1D", "America/New_York", "R/2026-03-08T03:00:00.000-04:00/P1D"},
	}
	for _, tt := range tests {
		if got := mustParse(t, tt.expr, tt.tz).String(); got != tt.want {
			t.Errorf("Parse(%q, %q).String() = %q, want %q", tt.expr, tt.tz, got, tt.want)
		}
	}
}
