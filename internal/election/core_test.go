package election

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestCandidates(t *testing.T) {
	kids := []string{
		"json.info_0000000010",
		"json.info_0000000002",
		"info_0000000001",       // another prefix (Mesos' legacy protobuf)
		"json.info_000000003",   // 9 digits: not a sequence
		"json.info_00000000x1",  // not a number
		"json.info_0000000100",  // sorts by number, not text
		"json.info_99999999999", // 11 digits
		"log_replicas",
	}
	got := candidates(kids, "json.info_")
	want := []candidate{{"json.info_0000000002", 2}, {"json.info_0000000010", 10}, {"json.info_0000000100", 100}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("candidates = %v, want %v", got, want)
	}
	if got := candidates(kids, "marathon_"); len(got) != 0 {
		t.Fatalf("candidates for absent prefix = %v", got)
	}
}

func TestLeaseExpired(t *testing.T) {
	t0 := time.Unix(1000, 0)
	timeout := 3 * time.Second
	for _, tt := range []struct {
		since time.Duration
		want  bool
	}{
		{0, false},
		{time.Second, false},     // one ping interval: routine
		{2 * time.Second, false}, // exactly two thirds: still held
		{2*time.Second + time.Millisecond, true},
		{timeout, true}, // the server may expire the session now
	} {
		if got := leaseExpired(t0, t0.Add(tt.since), timeout); got != tt.want {
			t.Errorf("leaseExpired after %v = %v, want %v", tt.since, got, tt.want)
		}
	}
}

func TestValidate(t *testing.T) {
	ok := Config{Servers: []string{"127.0.0.1:2181"}, Path: "/mesos", Prefix: "json.info_"}
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid config: %v", err)
	}
	for _, tt := range []struct {
		mut  func(*Config)
		want string
	}{
		{func(c *Config) { c.Servers = nil }, "Servers"},
		{func(c *Config) { c.Servers = []string{""} }, "Servers"},
		{func(c *Config) { c.Path = "mesos" }, "Path"},
		{func(c *Config) { c.Path = "/mesos/" }, "Path"},
		{func(c *Config) { c.Path = "/a//b" }, "Path"},
		{func(c *Config) { c.Prefix = "" }, "Prefix"},
		{func(c *Config) { c.Prefix = "a/b" }, "Prefix"},
		{func(c *Config) { c.SessionTimeout = time.Millisecond }, "SessionTimeout"},
		{func(c *Config) { c.Auth = "nopass" }, "Auth"},
	} {
		c := ok
		tt.mut(&c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Validate(%+v) = %v, want error naming %s", c, err, tt.want)
		}
		if _, err := New(c); err == nil {
			t.Errorf("New(%+v) accepted an invalid config", c)
		}
	}
}
