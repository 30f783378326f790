package schedule

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// utc parses an RFC 3339 instant for expectations.
func utc(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func mustParse(t *testing.T, expr, tz string) Schedule {
	t.Helper()
	s, err := Parse(expr, tz, time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatalf("Parse(%q, %q): %v", expr, tz, err)
	}
	return s
}

func TestParse(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 34, 56, 789_123_456, time.UTC)
	tests := []struct {
		expr, tz   string
		repeats    int
		start      string // the instant, RFC 3339 in UTC
		offset     int    // the location's offset at Start, seconds
		period     Period
		canonical  string
		locNameHas string
	}{
		{"R5/2026-11-26T10:00:00Z/PT1H", "", 5, "2026-11-26T10:00:00Z", 0, Period{Hours: 1},
			"R5/2026-11-26T10:00:00.000Z/PT1H", "UTC"},
		{"R/2026-11-26T10:00:00.123456Z/P1D", "", -1, "2026-11-26T10:00:00.123Z", 0, Period{Days: 1},
			"R/2026-11-26T10:00:00.123Z/P1D", ""},
		{"R1/2026-11-26T10:00:00.5+01:00/PT30M", "", 1, "2026-11-26T09:00:00.5Z", 3600, Period{Minutes: 30},
			"R1/2026-11-26T10:00:00.500+01:00/PT30M", ""},
		{"R0/2026-11-26T10:00:00/P1W", "", 0, "2026-11-26T10:00:00Z", 0, Period{Weeks: 1},
			"R0/2026-11-26T10:00:00.000Z/P1W", "UTC"},
		{"R3/2026-11-26T10:00:00-0330/PT2S", "", 3, "2026-11-26T13:30:00Z", -12600, Period{Seconds: 2},
			"R3/2026-11-26T10:00:00.000-03:30/PT2S", ""},
		{"R3/2026-11-26T10:00:00+05/PT2S", "", 3, "2026-11-26T05:00:00Z", 18000, Period{Seconds: 2},
			"R3/2026-11-26T10:00:00.000+05:00/PT2S", ""},
		{"R/2026-11-26T10:00:00+00:00/P1D", "", -1, "2026-11-26T10:00:00Z", 0, Period{Days: 1},
			"R/2026-11-26T10:00:00.000Z/P1D", "UTC"},
		{"R/2026-11-26/P1D", "", -1, "2026-11-26T00:00:00Z", 0, Period{Days: 1},
			"R/2026-11-26T00:00:00.000Z/P1D", ""},
		{"R/2026-11-26T10/P1D", "", -1, "2026-11-26T10:00:00Z", 0, Period{Days: 1},
			"R/2026-11-26T10:00:00.000Z/P1D", ""},
		{"R/2026-11-26T10:30Z/P1D", "", -1, "2026-11-26T10:30:00Z", 0, Period{Days: 1},
			"R/2026-11-26T10:30:00.000Z/P1D", ""},
		// scheduleTimeZone: the start's wall clock is read in that zone.
		{"R/2026-11-26T10:00:00/P1D", "Europe/Berlin", -1, "2026-11-26T09:00:00Z", 3600, Period{Days: 1},
			"R/2026-11-26T10:00:00.000+01:00/P1D", "Europe/Berlin"},
		{"R/2026-07-26T10:00:00Z/P1D", "America/New_York", -1, "2026-07-26T14:00:00Z", -4 * 3600, Period{Days: 1},
			"R/2026-07-26T10:00:00.000-04:00/P1D", "America/New_York"},
		{"R/2026-07-26T10:00:00+02:00/P1D", "UTC", -1, "2026-07-26T10:00:00Z", 0, Period{Days: 1},
			"R/2026-07-26T10:00:00.000Z/P1D", "UTC"},
		// An empty start is now, to the millisecond.
		{"R//PT1H", "", -1, "2026-05-01T12:34:56.789Z", 0, Period{Hours: 1},
			"R/2026-05-01T12:34:56.789Z/PT1H", "UTC"},
		{"R2//PT1H", "Asia/Kolkata", 2, "2026-05-01T12:34:56.789Z", 19800, Period{Hours: 1},
			"R2/2026-05-01T18:04:56.789+05:30/PT1H", "Asia/Kolkata"},
		{"  R5/2026-11-26T10:00:00Z/PT1H\n", "", 5, "2026-11-26T10:00:00Z", 0, Period{Hours: 1},
			"R5/2026-11-26T10:00:00.000Z/PT1H", ""},
		{"R/2024-02-29T23:59:59.999Z/P1Y", "", -1, "2024-02-29T23:59:59.999Z", 0, Period{Years: 1},
			"R/2024-02-29T23:59:59.999Z/P1Y", ""},
	}
	for _, tt := range tests {
		s, err := Parse(tt.expr, tt.tz, now)
		if err != nil {
			t.Errorf("Parse(%q, %q): %v", tt.expr, tt.tz, err)
			continue
		}
		if s.Repeats != tt.repeats || s.Period != tt.period {
			t.Errorf("Parse(%q): repeats %d period %+v, want %d %+v", tt.expr, s.Repeats, s.Period, tt.repeats, tt.period)
		}
		if want := utc(t, tt.start); !s.Start.Equal(want) {
			t.Errorf("Parse(%q): start %v, want %v", tt.expr, s.Start, want)
		}
		if s.Location == nil || s.Start.Location() != s.Location {
			t.Errorf("Parse(%q): Start is in %v, Location is %v", tt.expr, s.Start.Location(), s.Location)
		} else if _, off := s.Start.Zone(); off != tt.offset {
			t.Errorf("Parse(%q): offset %d, want %d", tt.expr, off, tt.offset)
		}
		if tt.locNameHas != "" && s.Location.String() != tt.locNameHas {
			t.Errorf("Parse(%q): location %q, want %q", tt.expr, s.Location, tt.locNameHas)
		}
		if got := s.String(); got != tt.canonical {
			t.Errorf("Parse(%q).String() = %q, want %q", tt.expr, got, tt.canonical)
		}
		if err := s.Validate(); err != nil {
			t.Errorf("Parse(%q).Validate(): %v", tt.expr, err)
		}
		// The canonical form parses back to the same schedule.
		again, err := Parse(s.String(), tt.tz, now)
		if err != nil || !again.Start.Equal(s.Start) || again.Repeats != s.Repeats || again.Period != s.Period {
			t.Errorf("Parse(%q) round trip via %q: %v, %v", tt.expr, s.String(), again, err)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ expr, tz, want string }{
		{"R5/x/P1D", "", `schedule "R5/x/P1D": start "x" is not an ISO 8601 date-time`},
		{"R/ /PT1H", "", `start " " is not an ISO 8601 date-time`},
		{"", "", `want R[n]/<start>/<period>, three parts separated by "/", got 1`},
		{"R5/2026-11-26T10:00:00Z", "", "got 2"},
		{"R5/2026-11-26T10:00:00Z/P1D/", "", "got 4"},
		{"5/2026-11-26T10:00:00Z/P1D", "", `repetitions "5" must be R (forever) or Rn`},
		{"R-1/2026-11-26T10:00:00Z/P1D", "", `repetitions "R-1" must be R (forever) or Rn with n a non-negative integer`},
		{"R1.5/2026-11-26T10:00:00Z/P1D", "", `repetitions "R1.5"`},
		{"R99999999999999999999/2026-11-26T10:00:00Z/P1D", "", "is too large"},
		{"r5/2026-11-26T10:00:00Z/P1D", "", `repetitions "r5"`},
		{"R5/2026-11-26T10:00:00Z/P0D", "", `period "P0D": period must be positive`},
		{"R5/2026-11-26T10:00:00Z/PT0S", "", "period must be positive"},
		{"R5/2026-11-26T10:00:00Z/1D", "", `period "1D": must start with "P"`},
		{"R5/2026-11-26T10:00:00Z/", "", `period "": must start with "P"`},
		{"R5/2026-02-30T10:00:00Z/P1D", "", `start "2026-02-30T10:00:00Z": day 30 is out of range for February 2026 (01-28)`},
		{"R5/2024-02-30T10:00:00Z/P1D", "", "day 30 is out of range for February 2024 (01-29)"},
		{"R5/2026-13-01T10:00:00Z/P1D", "", "month 13 is out of range 01-12"},
		{"R5/2026-00-01T10:00:00Z/P1D", "", "month 00 is out of range 01-12"},
		{"R5/2026-01-00T10:00:00Z/P1D", "", "day 00 is out of range"},
		{"R5/2026-01-01T24:00:00Z/P1D", "", "time 24:00:00 is out of range"},
		{"R5/2026-01-01T10:60:00Z/P1D", "", "time 10:60:00 is out of range"},
		{"R5/2026-01-01T10:00:60Z/P1D", "", "time 10:00:60 is out of range"},
		{"R5/2026-01-01T10:00:00+19:00/P1D", "", "offset is out of range"},
		{"R5/2026-01-01T10:00:00+01:60/P1D", "", "offset is out of range"},
		{"R5/2026-01-01T10:00:00+1/P1D", "", "is not an ISO 8601 date-time"},
		{"R5/2026-01-01T10:00:00+01:/P1D", "", "is not an ISO 8601 date-time"},
		{"R5/2026-01-01T10:00:00.Z/P1D", "", "is not an ISO 8601 date-time"},
		{"R5/2026-01-01T10:00:00ZZ/P1D", "", "is not an ISO 8601 date-time"},
		{"R5/2026-1-01T10:00:00Z/P1D", "", "is not an ISO 8601 date-time"},
		{"R5/26-01-01T10:00:00Z/P1D", "", "is not an ISO 8601 date-time"},
		{"R5/2026-01-01 10:00:00Z/P1D", "", "is not an ISO 8601 date-time"},
		{"R5/2026-01-01T/P1D", "", "is not an ISO 8601 date-time"},
		{"R5/2026-01-01T10:00:00 EST/P1D", "", "is not an ISO 8601 date-time"},
		{"R5/2026-11-26T10:00:00Z/P1D", "Mars/Olympus", `scheduleTimeZone "Mars/Olympus" is not a known time zone`},
		{"R5/2026-11-26T10:00:00Z/P1D", "Local", `scheduleTimeZone "Local" is not allowed`},
	}
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	for _, tt := range tests {
		_, err := Parse(tt.expr, tt.tz, now)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%q, %q) error = %v, want it to contain %q", tt.expr, tt.tz, err, tt.want)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "schedule "+strconv.Quote(tt.expr)) {
			t.Errorf("Parse(%q) error %q does not name the expression", tt.expr, err)
		}
	}
}

func TestValidate(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		s    Schedule
		want string
	}{
		{Schedule{Repeats: -2, Start: start, Period: Period{Days: 1}}, "repeats -2"},
		{Schedule{Repeats: 1, Start: start, Period: Period{Days: -1}}, "negative component"},
		{Schedule{Repeats: 1, Start: start}, "period must be positive"},
		{Schedule{Repeats: 1, Period: Period{Days: 1}}, "start is not set"},
		{Schedule{Repeats: 1, Start: start, Period: Period{Seconds: maxComponent + 1}}, "above"},
	}
	for _, tt := range tests {
		if err := tt.s.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Validate(%+v) = %v, want %q", tt.s, err, tt.want)
		}
	}
}
