package main

import (
	"strings"
	"testing"

	"github.com/agoraproject/agora/master/api"
)

func TestParseRate(t *testing.T) {
	for in, want := range map[string]api.RateLimit{
		"20/s,100": {Rate: 20, Burst: 100}, "0.5/s": {Rate: 0.5, Burst: 1}, "3": {Rate: 3, Burst: 3}, "0": {},
	} {
		got, err := parseRate(in)
		if err != nil || got != want {
			t.Errorf("parseRate(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"-1/s", "x", "20/s,0", "20/s,many", "NaN"} {
		if _, err := parseRate(in); err == nil {
			t.Errorf("parseRate(%q) accepted", in)
		}
	}
}

func TestParseAgentCredential(t *testing.T) {
	for in, want := range map[string]string{
		`{"principal": "agent", "secret": "pw"}`: "agent",
		"agent pw\n":                             "agent",
	} {
		c, err := parseAgentCredential("f", []byte(in))
		if err != nil || c.Principal != want || c.Secret != "pw" {
			t.Errorf("%q: %+v %v", in, c, err)
		}
	}
	for in, wantErr := range map[string]string{
		`{"principal": "agent"}`:                    "secret is required",
		`{"principal": "a", "secret": "s", "x": 1}`: "unknown field",
		"a b c":                               "one line",
		`{"principal": "a:b", "secret": "s"}`: "contains ':'",
	} {
		if _, err := parseAgentCredential("f", []byte(in)); err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Errorf("%q: error %v, want %q", in, err, wantErr)
		}
	}
}

// FuzzParseAgentCredential: any file is a credential or an error, and a
// credential always has a principal and a secret; its String never
// shows the secret.
func FuzzParseAgentCredential(f *testing.F) {
	f.Add([]byte(`{"principal": "agent", "secret": "pw"}`))
	f.Add([]byte("agent pw"))
	f.Add([]byte(`{"principal": "", "secret": ""}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := parseAgentCredential("f", data)
		if err != nil {
			return
		}
		if c.Principal == "" || c.Secret == "" {
			t.Fatalf("credential without a principal or secret: %+v", c)
		}
		if !strings.Contains(c.String(), "secret:(redacted)") {
			t.Fatalf("String shows the secret: %s", c.String())
		}
	})
}

func FuzzParseRate(f *testing.F) {
	for _, s := range []string{"20/s,100", "0", "1e308/s,1", "0.000001/s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := parseRate(s)
		if err != nil || l.Rate == 0 {
			return
		}
		if !(l.Rate > 0) || l.Burst < 1 {
			t.Fatalf("parseRate(%q) = %+v", s, l)
		}
	})
}
