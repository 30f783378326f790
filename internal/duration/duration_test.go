package duration

import (
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	cases := map[string]time.Duration{
		"15secs":  15 * time.Second,
		"1.5mins": 90 * time.Second,
		"500ms":   500 * time.Millisecond,
		"2hrs":    2 * time.Hour,
		"1days":   24 * time.Hour,
		"15s":     15 * time.Second,
		"0secs":   0,
		"1weeks":  7 * 24 * time.Hour,
	}
	for in, want := range cases {
		got, err := Parse(in)
		if err != nil || got != want {
			t.Errorf("Parse(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "abc", "-1secs", "secs", "-5s"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) succeeded", bad)
		}
	}
}

func TestFormat(t *testing.T) {
	cases := map[time.Duration]string{
		5 * time.Second:         "5secs",
		15 * time.Minute:        "15mins",
		1500 * time.Millisecond: "1500ms",
		0:                       "0ms",
	}
	for in, want := range cases {
		if got := Format(in); got != want {
			t.Errorf("Format(%v) = %q, want %q", in, got, want)
		}
	}
}
