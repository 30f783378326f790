package health

import (
	"context"
	"fmt"
	"time"

	"github.com/agoraproject/agora/agent/internal/clock"
)

// Prober runs one check. It must return soon after ctx is done, having
// cleaned up what it started.
type Prober interface {
	Probe(ctx context.Context) error
}

// ProberFunc adapts a function to a Prober.
type ProberFunc func(ctx context.Context) error

// Probe calls f.
func (f ProberFunc) Probe(ctx context.Context) error { return f(ctx) }

// Run checks on clk's time until ctx is done, probing one at a time and
// calling report, on Run's goroutine, for every Report the Checker makes.
// It blocks; the caller runs it in a goroutine and cancels ctx to stop it.
func Run(ctx context.Context, spec Spec, p Prober, clk clock.Clock, report func(Report)) {
	c := NewChecker(spec, clk.Now())
	for {
		if !sleep(ctx, clk, c.Next().Sub(clk.Now())) {
			return
		}
		err := probe(ctx, clk, p, spec.Timeout)
		if ctx.Err() != nil {
			return // stopped while probing: the outcome means nothing
		}
		if r, ok := c.Done(clk.Now(), err); ok {
			report(r)
		}
	}
}

// sleep waits d on clk; it reports false when ctx ended first.
func sleep(ctx context.Context, clk clock.Clock, d time.Duration) bool {
	t := clk.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C():
		return true
	case <-ctx.Done():
		return false
	}
}

// probe runs p with a timeout measured on clk (none when timeout is 0).
// A probe that overruns is cancelled and waited for, so that the next one
// never overlaps it.
func probe(ctx context.Context, clk clock.Clock, p Prober, timeout time.Duration) error {
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- p.Probe(pctx) }()
	var expired <-chan time.Time
	if timeout > 0 {
		t := clk.NewTimer(timeout)
		defer t.Stop()
		expired = t.C()
	}
	select {
	case err := <-done:
		return err
	case <-expired:
		cancel()
		<-done
		return fmt.Errorf("the check has not returned after %v; aborted", timeout)
	}
}
