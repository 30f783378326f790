package sdktest

import (
	"context"
	"sync"
	"time"

	"github.com/agoraproject/agora/sdk/scheduler"
)

// Clock is a fake scheduler.Clock whose time moves only when Advance is
// called, so tests of heartbeat loss and backoff never sleep.
type Clock struct {
	mu      sync.Mutex
	now     time.Time
	timers  map[*fakeTimer]struct{} // armed timers
	changed chan struct{}           // closed and replaced when timers change
}

// NewClock returns a fake clock reading start.
func NewClock(start time.Time) *Clock {
	return &Clock{now: start, timers: map[*fakeTimer]struct{}{}, changed: make(chan struct{})}
}

// Now is the fake time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// NewTimer arms a timer that fires when the clock reaches now+d.
func (c *Clock) NewTimer(d time.Duration) scheduler.Timer {
	t := &fakeTimer{clock: c, ch: make(chan time.Time, 1)}
	t.Reset(d)
	return t
}

// Advance moves the time forward by d and fires every timer that is due.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	for t := range c.timers {
		if !t.when.After(c.now) {
			delete(c.timers, t)
			t.ch <- c.now // buffered; emptied by Reset/Stop before re-arming
		}
	}
	c.notifyLocked()
}

// Timers is the number of armed timers.
func (c *Clock) Timers() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

// WaitTimers blocks until at least n timers are armed, so a test advances
// time only once the code under test is waiting for it.
func (c *Clock) WaitTimers(ctx context.Context, n int) error {
	for {
		c.mu.Lock()
		armed, ch := len(c.timers), c.changed
		c.mu.Unlock()
		if armed >= n {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (c *Clock) notifyLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}

type fakeTimer struct {
	clock *Clock
	ch    chan time.Time
	when  time.Time // guarded by clock.mu
}

func (t *fakeTimer) C() <-chan time.Time { return t.ch }

// Stop disarms the timer and drops a fired but unread value, as Go 1.23+
// timers do, so a later receive never sees a stale tick.
func (t *fakeTimer) Stop() bool {
	c := t.clock
	c.mu.Lock()
	defer c.mu.Unlock()
	_, armed := c.timers[t]
	delete(c.timers, t)
	select {
	case <-t.ch:
	default:
	}
	c.notifyLocked()
	return armed
}

// Reset re-arms the timer to fire d after the current fake time.
func (t *fakeTimer) Reset(d time.Duration) bool {
	c := t.clock
	c.mu.Lock()
	defer c.mu.Unlock()
	_, armed := c.timers[t]
	select {
	case <-t.ch:
	default:
	}
	t.when = c.now.Add(d)
	if d <= 0 {
		delete(c.timers, t)
		t.ch <- c.now
	} else {
		c.timers[t] = struct{}{}
	}
	c.notifyLocked()
	return armed
}
