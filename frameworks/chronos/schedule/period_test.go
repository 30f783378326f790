package schedule

import (
	"strings"
	"testing"
)

func TestParsePeriod(t *testing.T) {
	tests := []struct {
		in        string
		want      Period
		canonical string
	}{
		{"P1D", Period{Days: 1}, "P1D"},
		{"PT30M", Period{Minutes: 30}, "PT30M"},
		{"PT1H", Period{Hours: 1}, "PT1H"},
		{"PT24H", Period{Hours: 24}, "PT24H"},
		{"P1M", Period{Months: 1}, "P1M"},
		{"P1W", Period{Weeks: 1}, "P1W"},
		{"P1Y2M3W4DT5H6M7S", Period{1, 2, 3, 4, 5, 6, 7}, "P1Y2M3W4DT5H6M7S"},
		{"P1YT1S", Period{Years: 1, Seconds: 1}, "P1YT1S"},
		{"P0D", Period{}, "PT0S"},
		{"PT0S", Period{}, "PT0S"},
		{"P01D", Period{Days: 1}, "P1D"},
		{"PT90M", Period{Minutes: 90}, "PT90M"},
		{"P1000000000D", Period{Days: 1_000_000_000}, "P1000000000D"},
	}
	for _, tt := range tests {
		got, err := ParsePeriod(tt.in)
		if err != nil {
			t.Errorf("ParsePeriod(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("ParsePeriod(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
		if s := got.String(); s != tt.canonical {
			t.Errorf("ParsePeriod(%q).String() = %q, want %q", tt.in, s, tt.canonical)
		}
	}
}

func TestParsePeriodErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", `period "": must start with "P"`},
		{"1D", `period "1D": must start with "P"`},
		{"p1d", `period "p1d": must start with "P"`},
		{"P", `period "P": has no components`},
		{"PT", `period "PT": has no hours, minutes or seconds after "T"`},
		{"P1DT", `after "T"`},
		{"PD", `expected a number at "D"`},
		{"P1", `number 1 has no unit designator`},
		{"P1H", `unexpected 'H'`},
		{"PT1D", `unexpected 'D'`},
		{"P1D1Y", `unexpected 'Y'`},
		{"PT1M1H", `unexpected 'H'`},
		{"P1D1D", `unexpected 'D'`},
		{"PT1HT1M", `has a second "T"`},
		{"PT0.5S", "fractional values are not supported"},
		{"PT1,5H", "fractional values are not supported"},
		{"P-1D", `expected a number at "-1D"`},
		{"P1X", `unexpected 'X'`},
		{"P1000000001D", "days 1000000001 is too large"},
		{"PT99999999999999999999S", "seconds 99999999999999999999 is too large"},
	}
	for _, tt := range tests {
		_, err := ParsePeriod(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParsePeriod(%q) error = %v, want it to contain %q", tt.in, err, tt.want)
		}
	}
}
