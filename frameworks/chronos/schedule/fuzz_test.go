package schedule

import (
	"testing"
	"time"
)

func FuzzParse(f *testing.F) {
	seeds := []struct{ expr, tz string }{
		{"R5/2026-11-26T10:00:00Z/PT1H", ""},
		{"R/2026-11-26T10:00:00.123+01:00/P1D", ""},
		{"R//PT1H", ""},
		{"R0/2026-11-26/P1Y2M3W4DT5H6M7S", "Europe/Berlin"},
		{"R1/2026-03-08T02:30:00/P1D", "America/New_York"},
		{"R/2026-10-04T02:30-0330/P1M", "Australia/Sydney"},
		{"R/9999-12-31T23:59:59.999Z/PT1S", "Asia/Kolkata"},
		{"R5/x/P1D", ""},
		{"R/ /PT1H", ""},
		{"R-1//P", "Local"},
		{"R99999999999999999999/2026-02-30T24:00:00+19:00/PT0.5S", "Mars/Olympus"},
	}
	for _, s := range seeds {
		f.Add(s.expr, s.tz)
	}
	now := time.Date(2026, 5, 1, 12, 34, 56, 789_000_000, time.UTC)
	f.Fuzz(func(t *testing.T, expr, tz string) {
		s, err := Parse(expr, tz, now)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("Parse(%q, %q) returned an invalid schedule: %v", expr, tz, err)
		}
		again, err := Parse(s.String(), tz, now)
		if err != nil {
			t.Fatalf("canonical form %q of %q does not parse: %v", s, expr, err)
		}
		if !again.Start.Equal(s.Start) || again.Repeats != s.Repeats || again.Period != s.Period {
			t.Fatalf("round trip of %q via %q gave %q", expr, s, again)
		}
		if a, b := s.At(0), s.At(1); b.Before(horizon) && !b.After(a) {
			t.Fatalf("%v: At(1) = %v is not after At(0) = %v", s, b, a)
		}
		next, i, ok := s.After(s.Start)
		if ok && (i != 1 || !next.Equal(s.At(1))) {
			t.Fatalf("%v: After(Start) = %v, %d; want At(1) = %v", s, next, i, s.At(1))
		}
		if i, ok := s.Due(s.Start); ok != (s.Repeats != 0) || i != 0 {
			t.Fatalf("%v: Due(Start) = %d, %v", s, i, ok)
		}
	})
}

func FuzzParsePeriod(f *testing.F) {
	for _, s := range []string{"P1D", "PT30M", "P1Y2M3W4DT5H6M7S", "PT0S", "P", "PT", "P1D1Y", "PT0.5S", "P-1D"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		p, err := ParsePeriod(in)
		if err != nil {
			return
		}
		again, err := ParsePeriod(p.String())
		if err != nil || again != p {
			t.Fatalf("ParsePeriod(%q) = %+v; its String %q parses to %+v, %v", in, p, p.String(), again, err)
		}
	})
}
