package schedule

import (
	"math/rand"
	"testing"
	"time"
)

// occurrences checks At(0..len(want)-1) against RFC 3339 instants.
func occurrences(t *testing.T, s Schedule, want ...string) {
	t.Helper()
	for i, w := range want {
		if got := s.At(i); !got.Equal(utc(t, w)) {
			t.Errorf("%v: At(%d) = %v, want %v", s, i, got, w)
		}
	}
}

func TestAtCalendar(t *testing.T) {
	tests := []struct {
		expr string
		want []string
	}{
		// Feb 29 + P1Y clamps to Feb 28 and returns to Feb 29 in leap years.
		{"R/2024-02-29T12:00:00Z/P1Y", []string{
			"2024-02-29T12:00:00Z", "2025-02-28T12:00:00Z", "2026-02-28T12:00:00Z",
			"2027-02-28T12:00:00Z", "2028-02-29T12:00:00Z"}},
		// Jan 31 + i×P1M, each from the start: month ends, not a drift to the 28th.
		{"R/2026-01-31T08:00:00Z/P1M", []string{
			"2026-01-31T08:00:00Z", "2026-02-28T08:00:00Z", "2026-03-31T08:00:00Z",
			"2026-04-30T08:00:00Z", "2026-05-31T08:00:00Z"}},
		{"R/2024-01-31T08:00:00Z/P1M", []string{"2024-01-31T08:00:00Z", "2024-02-29T08:00:00Z"}},
		{"R/2026-10-31T00:00:00Z/P4M", []string{"2026-10-31T00:00:00Z", "2027-02-28T00:00:00Z", "2027-06-30T00:00:00Z"}},
		// Years, then months, each clamped, then days.
		{"R/2024-02-29T00:00:00Z/P1Y1M", []string{"2024-02-29T00:00:00Z", "2025-03-28T00:00:00Z", "2026-04-28T00:00:00Z"}}, // P2Y2M: Feb 28, then Apr 28
		{"R/2026-01-31T00:00:00Z/P1M1D", []string{"2026-01-31T00:00:00Z", "2026-03-01T00:00:00Z", "2026-04-02T00:00:00Z"}},
		{"R/2026-12-31T23:00:00Z/P1W", []string{"2026-12-31T23:00:00Z", "2027-01-07T23:00:00Z"}},
		{"R/2026-01-01T00:00:00Z/P1DT1H30M", []string{"2026-01-01T00:00:00Z", "2026-01-02T01:30:00Z", "2026-01-03T03:00:00Z"}},
		{"R/2026-01-01T00:00:00.250Z/PT45S", []string{"2026-01-01T00:00:00.25Z", "2026-01-01T00:00:45.25Z", "2026-01-01T00:01:30.25Z"}},
		{"R/2026-01-01T00:00:00+05:30/P1M", []string{"2025-12-31T18:30:00Z", "2026-01-31T18:30:00Z"}},
	}
	for _, tt := range tests {
		occurrences(t, mustParse(t, tt.expr, ""), tt.want...)
	}
}

func TestAtBeyondYear9999(t *testing.T) {
	s := mustParse(t, "R/9999-06-01T00:00:00Z/P1M", "")
	occurrences(t, s, "9999-06-01T00:00:00Z", "9999-07-01T00:00:00Z")
	if got := s.At(7); !got.Equal(horizon) {
		t.Errorf("At(7) = %v, want %v", got, horizon)
	}
	if _, _, ok := s.After(utc(t, "9999-12-15T00:00:00Z")); ok {
		t.Error("After found an occurrence past the year 9999")
	}
	if i, ok := s.Due(utc(t, "9999-12-31T23:00:00Z")); !ok || i != 6 {
		t.Errorf("Due = %d, %v; want 6, true", i, ok)
	}
	huge := mustParse(t, "R/2026-01-01T00:00:00Z/P1000000000Y", "")
	if got := huge.At(1 << 40); !got.Equal(horizon) {
		t.Errorf("At(2^40) of P1000000000Y = %v, want %v", got, horizon)
	}
	secs := mustParse(t, "R/2026-01-01T00:00:00Z/PT1000000000S", "")
	if got := secs.At(1 << 62); !got.Equal(horizon) {
		t.Errorf("At(2^62) of PT1000000000S = %v, want %v", got, horizon)
	}
}

func TestAfter(t *testing.T) {
	s := mustParse(t, "R5/2026-11-26T10:00:00Z/PT1H", "")
	tests := []struct {
		t     string
		next  string
		index int
		ok    bool
	}{
		{"2026-01-01T00:00:00Z", "2026-11-26T10:00:00Z", 0, true},
		{"2026-11-26T09:59:59.999Z", "2026-11-26T10:00:00Z", 0, true},
		{"2026-11-26T10:00:00Z", "2026-11-26T11:00:00Z", 1, true}, // strictly after
		{"2026-11-26T12:30:00Z", "2026-11-26T13:00:00Z", 3, true},
		{"2026-11-26T13:59:59Z", "2026-11-26T14:00:00Z", 4, true},
		{"2026-11-26T14:00:00Z", "", 0, false}, // R5: indexes 0-4
		{"2030-01-01T00:00:00Z", "", 0, false},
	}
	for _, tt := range tests {
		next, i, ok := s.After(utc(t, tt.t))
		if ok != tt.ok || i != tt.index || (ok && !next.Equal(utc(t, tt.next))) {
			t.Errorf("After(%s) = %v, %d, %v; want %s, %d, %v", tt.t, next, i, ok, tt.next, tt.index, tt.ok)
		}
	}
}

func TestRepeatCounts(t *testing.T) {
	at := utc(t, "2026-01-01T00:00:00Z")
	before := at.Add(-time.Second)
	if _, _, ok := mustParse(t, "R0/2026-01-01T00:00:00Z/P1D", "").After(before); ok {
		t.Error("R0 has a next run")
	}
	if _, ok := mustParse(t, "R0/2026-01-01T00:00:00Z/P1D", "").Due(at.Add(48 * time.Hour)); ok {
		t.Error("R0 is due")
	}
	once := mustParse(t, "R1/2026-01-01T00:00:00Z/P1D", "")
	if next, i, ok := once.After(before); !ok || i != 0 || !next.Equal(at) {
		t.Errorf("R1 After = %v, %d, %v", next, i, ok)
	}
	if _, _, ok := once.After(at); ok {
		t.Error("R1 runs twice")
	}
	forever := mustParse(t, "R/2026-01-01T00:00:00Z/P1D", "")
	if next, i, ok := forever.After(utc(t, "2126-01-01T00:00:00Z")); !ok || i != 36525 || !next.Equal(utc(t, "2126-01-02T00:00:00Z")) {
		t.Errorf("R After a century = %v, %d, %v", next, i, ok)
	}
}

func TestDue(t *testing.T) {
	hourly := mustParse(t, "R/2026-11-26T10:00:00Z/PT1H", "")
	r3 := mustParse(t, "R3/2026-11-26T10:00:00Z/PT1H", "")
	tests := []struct {
		s     Schedule
		now   string
		index int
		ok    bool
	}{
		{hourly, "2026-11-26T09:59:59Z", 0, false},
		{hourly, "2026-11-26T10:00:00Z", 0, true},
		{hourly, "2026-11-26T10:59:59Z", 0, true},
		// Missed runs at 11:00, 12:00 and 13:00 collapse into the latest.
		{hourly, "2026-11-26T13:30:00Z", 3, true},
		{hourly, "2027-11-26T10:00:00Z", 8760, true},
		{r3, "2026-11-26T11:00:00Z", 1, true},
		{r3, "2026-11-26T12:00:00Z", 2, true},
		{r3, "2026-11-27T00:00:00Z", 2, true}, // all past: the last one
	}
	for _, tt := range tests {
		i, ok := tt.s.Due(utc(t, tt.now))
		if i != tt.index || ok != tt.ok {
			t.Errorf("%v Due(%s) = %d, %v; want %d, %v", tt.s, tt.now, i, ok, tt.index, tt.ok)
		}
	}
}

func TestFrom(t *testing.T) {
	s := mustParse(t, "R5/2026-11-26T10:00:00Z/PT1H", "")
	if got, want := s.From(2).String(), "R3/2026-11-26T12:00:00.000Z/PT1H"; got != want {
		t.Errorf("From(2) = %s, want %s", got, want)
	}
	if got, want := s.From(7).String(), "R0/2026-11-26T17:00:00.000Z/PT1H"; got != want {
		t.Errorf("From(7) = %s, want %s", got, want)
	}
	if got := s.From(0); got.String() != s.String() {
		t.Errorf("From(0) = %s, want %s", got, s)
	}
	inf := mustParse(t, "R/2026-03-07T09:00:00/P1D", "Europe/Berlin")
	if got, want := inf.From(30).String(), "R/2026-04-06T09:00:00.000+02:00/P1D"; got != want {
		t.Errorf("From(30) = %s, want %s", got, want)
	}
	// The remaining schedule's occurrences are the original's, shifted.
	rest := inf.From(30)
	for i := 0; i < 5; i++ {
		if !rest.At(i).Equal(inf.At(30 + i)) {
			t.Errorf("From(30).At(%d) = %v, want %v", i, rest.At(i), inf.At(30+i))
		}
	}
}

// TestLargeIndex: the 10^6th hourly run is found directly, not by walking.
func TestLargeIndex(t *testing.T) {
	s := mustParse(t, "R/2026-01-01T00:00:00Z/PT1H", "")
	want := s.Start.Add(1_000_000 * time.Hour)
	next, i, ok := s.After(want.Add(-time.Second))
	if !ok || i != 1_000_000 || !next.Equal(want) {
		t.Errorf("After = %v, %d, %v; want %v, 1000000", next, i, ok, want)
	}
	if i, ok := s.Due(want.Add(time.Minute)); !ok || i != 1_000_000 {
		t.Errorf("Due = %d, %v; want 1000000", i, ok)
	}
}

// TestAfterMatchesLinearScan compares the estimate-and-correct search with
// the obvious walk over occurrences, for random schedules in several zones.
func TestAfterMatchesLinearScan(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	zones := []string{"", "UTC", "America/New_York", "Europe/Berlin", "Australia/Sydney", "Asia/Kolkata", "Pacific/Apia", "Australia/Lord_Howe"}
	periods := []string{"PT1S", "PT7M", "PT1H", "PT25H", "P1D", "P1W", "P1M", "P1Y", "P1M1D", "P1Y2M3W4DT5H6M7S", "P3DT2H", "PT90M"}
	for n := 0; n < 300; n++ {
		start := time.Date(2010+rng.Intn(20), time.Month(1+rng.Intn(12)), 1+rng.Intn(31), rng.Intn(24), rng.Intn(60), rng.Intn(60), 0, time.UTC)
		expr := "R/" + start.Format("2006-01-02T15:04:05") + "/" + periods[rng.Intn(len(periods))]
		s := mustParse(t, expr, zones[rng.Intn(len(zones))])
		// Walk 200 occurrences and probe around each.
		prev := s.At(0)
		for i := 1; i < 200; i++ {
			cur := s.At(i)
			if cur.Before(prev) {
				t.Fatalf("%v: At(%d) = %v is before At(%d) = %v", s, i, cur, i-1, prev)
			}
			for _, probe := range []time.Time{prev, prev.Add(time.Millisecond), cur.Add(-time.Millisecond)} {
				if probe.Before(prev) || !probe.Before(cur) {
					continue
				}
				next, got, ok := s.After(probe)
				if !ok || !next.Equal(cur) || !s.At(got).Equal(cur) {
					t.Fatalf("%v: After(%v) = %v, %d, %v; want %v (index %d)", s, probe, next, got, ok, cur, i)
				}
				if due, ok := s.Due(probe); !ok || !s.At(due).Equal(prev) {
					t.Fatalf("%v: Due(%v) = %d, %v; want the occurrence at %v", s, probe, due, ok, prev)
				}
			}
			prev = cur
		}
	}
}
