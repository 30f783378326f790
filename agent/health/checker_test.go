package health

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

var t0 = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// step is one probe outcome at an offset from the checker's start, and
// the report it must produce (nil: none).
type step struct {
	at   time.Duration
	fail bool
	want *Report
}

func TestChecker(t *testing.T) {
	spec := Spec{Type: mesos.HealthCheck_COMMAND, Delay: 15 * time.Second, Interval: 10 * time.Second,
		GracePeriod: 30 * time.Second, ConsecutiveFailures: 3}
	healthy := &Report{Healthy: true}
	failed := func(n int, kill bool) *Report { return &Report{ConsecutiveFailures: n, Kill: kill} }
	cases := []struct {
		name  string
		spec  Spec
		steps []step
	}{
		{"first success is reported, later ones are not", spec, []step{
			{15 * time.Second, false, healthy},
			{25 * time.Second, false, nil},
			{35 * time.Second, false, nil},
		}},
		{"failures in the grace period are ignored, then counted", spec, []step{
			{15 * time.Second, true, nil},
			{25 * time.Second, true, nil},
			{30 * time.Second, true, nil}, // the grace period's last instant
			{30*time.Second + 1, true, failed(1, false)},
			{40 * time.Second, true, failed(2, false)},
			{50 * time.Second, true, failed(3, true)},
			{60 * time.Second, true, failed(4, true)}, // until the agent stops it
		}},
		{"the grace period ends with the first success", spec, []step{
			{15 * time.Second, false, healthy},
			{25 * time.Second, true, failed(1, false)},
		}},
		{"a success resets the count and is reported", spec, []step{
			{15 * time.Second, false, healthy},
			{25 * time.Second, true, failed(1, false)},
			{35 * time.Second, true, failed(2, false)},
			{45 * time.Second, false, healthy},
			{55 * time.Second, true, failed(1, false)},
			{65 * time.Second, false, healthy},
			{75 * time.Second, false, nil},
		}},
		{"no grace period", Spec{Interval: time.Second, ConsecutiveFailures: 2}, []step{
			{0, true, failed(1, false)},
			{time.Second, true, failed(2, true)},
		}},
		{"consecutive_failures 0 kills at the first counted failure", Spec{Interval: time.Second}, []step{
			{0, true, failed(1, true)},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ch := NewChecker(c.spec, t0)
			if got, want := ch.Next(), t0.Add(c.spec.Delay); !got.Equal(want) {
				t.Fatalf("first probe at %v, want the delay %v", got.Sub(t0), c.spec.Delay)
			}
			for i, s := range c.steps {
				var err error
				if s.fail {
					err = errors.New("boom")
				}
				r, ok := ch.Done(t0.Add(s.at), err)
				switch {
				case ok != (s.want != nil):
					t.Fatalf("step %d at %v: report %v (%+v), want %+v", i, s.at, ok, r, s.want)
				case ok && (r.Healthy != s.want.Healthy || r.ConsecutiveFailures != s.want.ConsecutiveFailures || r.Kill != s.want.Kill):
					t.Fatalf("step %d at %v: %+v, want %+v", i, s.at, r, *s.want)
				case ok && !r.Healthy && !strings.Contains(r.Message, "boom"):
					t.Fatalf("step %d: message %q should carry the cause", i, r.Message)
				}
				if got, want := ch.Next(), t0.Add(s.at+c.spec.Interval); !got.Equal(want) {
					t.Fatalf("step %d: next probe at %v, want an interval after the last one ended (%v)", i, got.Sub(t0), want.Sub(t0))
				}
			}
		})
	}
}

func TestSpecOfDefaults(t *testing.T) {
	got := SpecOf(&mesos.HealthCheck{Type: mesos.HealthCheck_TCP.Enum()})
	want := Spec{Type: mesos.HealthCheck_TCP, Delay: 15 * time.Second, Interval: 10 * time.Second,
		Timeout: 20 * time.Second, GracePeriod: 10 * time.Second, ConsecutiveFailures: 3}
	if got != want {
		t.Errorf("defaults %+v, want Mesos's %+v", got, want)
	}
	got = SpecOf(&mesos.HealthCheck{Type: mesos.HealthCheck_TCP.Enum(), IntervalSeconds: proto.Float64(0),
		DelaySeconds: proto.Float64(0.5), TimeoutSeconds: proto.Float64(0), ConsecutiveFailures: proto.Uint32(1)})
	if got.Interval != MinInterval || got.Delay != 500*time.Millisecond || got.Timeout != 0 || got.ConsecutiveFailures != 1 {
		t.Errorf("explicit values %+v", got)
	}
}

func TestValidate(t *testing.T) {
	cmd := func(v string) *mesos.CommandInfo { return &mesos.CommandInfo{Value: proto.String(v)} }
	typ := func(ty mesos.HealthCheck_Type) *mesos.HealthCheck_Type { return ty.Enum() }
	cases := []struct {
		name string
		hc   *mesos.HealthCheck
		want string // "" for valid
	}{
		{"none", nil, ""},
		{"command", &mesos.HealthCheck{Type: typ(mesos.HealthCheck_COMMAND), Command: cmd("true")}, ""},
		{"http", &mesos.HealthCheck{Type: typ(mesos.HealthCheck_HTTP), Http: &mesos.HealthCheck_HTTPCheckInfo{Port: proto.Uint32(80), Path: proto.String("/ok"), Scheme: proto.String("https")}}, ""},
		{"tcp", &mesos.HealthCheck{Type: typ(mesos.HealthCheck_TCP), Tcp: &mesos.HealthCheck_TCPCheckInfo{Port: proto.Uint32(80)}}, ""},
		{"no type", &mesos.HealthCheck{Command: cmd("true")}, "must specify 'type'"},
		{"unknown type", &mesos.HealthCheck{Type: typ(mesos.HealthCheck_UNKNOWN)}, "'UNKNOWN' is not a valid health check type"},
		{"command missing", &mesos.HealthCheck{Type: typ(mesos.HealthCheck_COMMAND)}, "Expecting 'command'"},
		{"empty shell command", &mesos.HealthCheck{Type: typ(mesos.HealthCheck_COMMAND), Command: cmd("")}, "'shell command'"},
		{"empty executable", &mesos.HealthCheck{Type: typ(mesos.HealthCheck_COMMAND), Command: &mesos.CommandInfo{Shell: proto.Bool(false)}}, "'executable path'"},
		{"command with uris", &mesos.HealthCheck{Type: typ(mesos.HealthCheck_COMMAND), Command: &mesos.CommandInfo{Value: proto.String("x"), Uris: []*mesos.CommandInfo_URI{{Value: proto.String("http://x")}}}}, "'uris'"},
		{"secret env", &mesos.HealthCheck{Type: typ(mesos.HealthCheck_COMMAND), Command: &mesos.CommandInfo{Value: proto.String("x"),
			Environment: &mesos.Environment{Variables: []*mesos.Environment_Variable{{Name: proto.String("S"), Type: mesos.Environment_Variable_SECRET.Enum()}}}}}, "secrets"},
		{"http missing", &mesos.HealthCheck{Type: typ(mesos.HealthCheck_HTTP)}, "Expecting 'http'"},
		{"http no port", &mesos.HealthCheck{Type: typ(mesos.HealthCheck_HTTP), Http: &mesos.HealthCheck_HTTPCheckInfo{}}, "'http.port'"},
		{"http port too big", &mesos.HealthCheck{Type: typ(mesos.HealthCheck_HTTP), Http: &mesos.HealthCheck_HTTPCheckInfo{Port: proto.Uint32(70000)}}, "'http.port'"},
		{"http scheme", &mesos.HealthCheck{Type: typ(mesos.HealthCheck_HTTP), Http: &mesos.HealthCheck_HTTPCheckInfo{Port: proto.Uint32(80), Scheme: proto.String("ftp")}}, "scheme: 'ftp'"},
		{"http path", &mesos.HealthCheck{Type: typ(mesos.HealthCheck_HTTP), Http: &mesos.HealthCheck_HTTPCheckInfo{Port: proto.Uint32(80), Path: proto.String("ok")}}, "must start with '/'"},
		{"tcp missing", &mesos.HealthCheck{Type: typ(mesos.HealthCheck_TCP)}, "Expecting 'tcp'"},
		{"tcp no port", &mesos.HealthCheck{Type: typ(mesos.HealthCheck_TCP), Tcp: &mesos.HealthCheck_TCPCheckInfo{}}, "'tcp.port'"},
		{"negative delay", &mesos.HealthCheck{Type: typ(mesos.HealthCheck_COMMAND), Command: cmd("true"), DelaySeconds: proto.Float64(-1)}, "'delay_seconds'"},
		{"NaN interval", &mesos.HealthCheck{Type: typ(mesos.HealthCheck_COMMAND), Command: cmd("true"), IntervalSeconds: proto.Float64(math.NaN())}, "'interval_seconds'"},
		{"infinite timeout", &mesos.HealthCheck{Type: typ(mesos.HealthCheck_COMMAND), Command: cmd("true"), TimeoutSeconds: proto.Float64(math.Inf(1))}, "'timeout_seconds'"},
		{"huge grace", &mesos.HealthCheck{Type: typ(mesos.HealthCheck_COMMAND), Command: cmd("true"), GracePeriodSeconds: proto.Float64(1e300)}, "'grace_period_seconds'"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := Validate(c.hc)
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("unexpected error %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("error %v, want one mentioning %q", err, c.want)
			}
		})
	}
}
