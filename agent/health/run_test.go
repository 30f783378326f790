package health

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/agoraproject/agora/agent/internal/clock"
)

// scripted is a prober the test drives: each probe announces itself on
// started and returns what the test sends on results, or ctx's error.
type scripted struct {
	started chan time.Time
	results chan error
	clk     clock.Clock
}

func newScripted(clk clock.Clock) *scripted {
	return &scripted{started: make(chan time.Time, 10), results: make(chan error), clk: clk}
}

func (s *scripted) Probe(ctx context.Context) error {
	s.started <- s.clk.Now()
	select {
	case err := <-s.results:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// timerClock is a fake clock that tells the test about every timer Run
// arms, and for how long, so that the test advances time only once Run
// waits on it.
type timerClock struct {
	*clock.Fake
	timers chan time.Duration
}

func (c timerClock) NewTimer(d time.Duration) clock.Timer {
	t := c.Fake.NewTimer(d)
	c.timers <- d
	return t
}

// harness runs Run on a fake clock and collects its reports.
type harness struct {
	t       *testing.T
	clk     timerClock
	probe   *scripted
	reports chan Report
	cancel  context.CancelFunc
	done    chan struct{}
}

func startRun(t *testing.T, spec Spec) *harness {
	clk := timerClock{clock.NewFake(t0), make(chan time.Duration, 10)}
	h := &harness{t: t, clk: clk, probe: newScripted(clk), reports: make(chan Report, 10), done: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() {
		defer close(h.done)
		Run(ctx, spec, h.probe, clk, func(r Report) { h.reports <- r })
	}()
	t.Cleanup(func() { cancel(); <-h.done })
	return h
}

// armed waits until Run arms its next timer and checks its duration.
func (h *harness) armed(want time.Duration) {
	h.t.Helper()
	select {
	case d := <-h.clk.timers:
		if d != want {
			h.t.Fatalf("timer of %v, want %v", d, want)
		}
	case <-time.After(5 * time.Second):
		h.t.Fatalf("no timer armed (want one of %v)", want)
	}
}

func (h *harness) started() time.Duration {
	h.t.Helper()
	select {
	case at := <-h.probe.started:
		return at.Sub(t0)
	case <-time.After(5 * time.Second):
		h.t.Fatal("no probe started")
		return 0
	}
}

func (h *harness) notStarted() {
	h.t.Helper()
	select {
	case at := <-h.probe.started:
		h.t.Fatalf("a probe started at %v", at.Sub(t0))
	default:
	}
}

func (h *harness) report() Report {
	h.t.Helper()
	select {
	case r := <-h.reports:
		return r
	case <-time.After(5 * time.Second):
		h.t.Fatal("no report")
		return Report{}
	}
}

func TestRunDelayAndInterval(t *testing.T) {
	h := startRun(t, Spec{Delay: 15 * time.Second, Interval: 10 * time.Second, Timeout: 20 * time.Second, ConsecutiveFailures: 3})
	h.armed(15 * time.Second)
	h.clk.Advance(15*time.Second - time.Nanosecond)
	h.notStarted()
	h.clk.Advance(time.Nanosecond)
	if at := h.started(); at != 15*time.Second {
		t.Fatalf("first probe at %v, want after the 15 s delay", at)
	}
	// The probe takes 3 s; the next one comes an interval after it ended.
	h.armed(20 * time.Second) // its timeout
	h.clk.Advance(3 * time.Second)
	h.probe.results <- nil
	if r := h.report(); !r.Healthy {
		t.Fatalf("first success reported %+v", r)
	}
	h.armed(10 * time.Second)
	h.clk.Advance(10*time.Second - time.Nanosecond)
	h.notStarted()
	h.clk.Advance(time.Nanosecond)
	if at := h.started(); at != 28*time.Second {
		t.Fatalf("second probe at %v, want 18 s + 10 s", at)
	}
	h.armed(20 * time.Second)
	h.probe.results <- nil // healthy again: nothing to report
	h.armed(10 * time.Second)
	h.clk.Advance(10 * time.Second)
	h.started()
	h.armed(20 * time.Second)
	h.probe.results <- errors.New("connection refused")
	r := h.report()
	if r.Healthy || r.ConsecutiveFailures != 1 || r.Kill || !strings.Contains(r.Message, "connection refused") {
		t.Fatalf("failure reported %+v", r)
	}
	h.armed(10 * time.Second)
	select {
	case r := <-h.reports:
		t.Fatalf("unexpected report %+v", r)
	default:
	}
}

func TestRunTimeoutCountsAsFailure(t *testing.T) {
	h := startRun(t, Spec{Interval: time.Second, Timeout: 20 * time.Second, ConsecutiveFailures: 2})
	h.armed(0) // no delay
	h.started()
	h.armed(20 * time.Second)
	h.clk.Advance(20*time.Second - time.Nanosecond)
	select {
	case r := <-h.reports:
		t.Fatalf("reported %+v before the timeout", r)
	default:
	}
	h.clk.Advance(time.Nanosecond)
	r := h.report()
	if r.Healthy || r.ConsecutiveFailures != 1 || !strings.Contains(r.Message, "has not returned after 20s") {
		t.Fatalf("timeout reported %+v", r)
	}
	h.armed(time.Second)
	h.clk.Advance(time.Second)
	h.started()
	h.armed(20 * time.Second)
	h.clk.Advance(20 * time.Second)
	if r := h.report(); !r.Kill || r.ConsecutiveFailures != 2 {
		t.Fatalf("second timeout reported %+v, want the kill", r)
	}
}

func TestRunGracePeriod(t *testing.T) {
	h := startRun(t, Spec{Delay: time.Second, Interval: 2 * time.Second, GracePeriod: 5 * time.Second, ConsecutiveFailures: 1})
	// Probes at 1, 3 and 5 s fail inside the grace period: no report.
	h.armed(time.Second)
	h.clk.Advance(time.Second)
	for _, at := range []time.Duration{time.Second, 3 * time.Second, 5 * time.Second} {
		if got := h.started(); got != at {
			t.Fatalf("probe at %v, want %v", got, at)
		}
		h.probe.results <- errors.New("not yet")
		h.armed(2 * time.Second)
		h.clk.Advance(2 * time.Second)
	}
	h.started()
	h.probe.results <- errors.New("still not")
	if r := h.report(); !r.Kill || r.ConsecutiveFailures != 1 {
		t.Fatalf("first failure after the grace period: %+v", r)
	}
}

func TestRunStops(t *testing.T) {
	h := startRun(t, Spec{Interval: time.Second})
	h.armed(0)
	h.started()
	h.cancel() // while a probe runs: it is cancelled and nothing is reported
	select {
	case <-h.done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return")
	}
	select {
	case r := <-h.reports:
		t.Fatalf("reported %+v after being stopped", r)
	default:
	}
}
