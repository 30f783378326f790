package sim

import (
	"container/heap"
	"context"
	"sync"
	"time"
)

// timers is one goroutine's worth of deadlines for all agents. An agent
// asks to be woken at a time; entries are not removed when the agent's
// plans change, so a woken agent checks what is really due.
type timers struct {
	mu   sync.Mutex
	h    timerHeap
	wake chan struct{}
}

type timerEntry struct {
	at time.Time
	a  *agent
}

type timerHeap []timerEntry

func (h timerHeap) Len() int           { return len(h) }
func (h timerHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h timerHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *timerHeap) Push(x any)        { *h = append(*h, x.(timerEntry)) }
func (h *timerHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}

func newTimers() *timers { return &timers{wake: make(chan struct{}, 1)} }

// at wakes a at t (or soon after).
func (t *timers) at(a *agent, at time.Time) {
	t.mu.Lock()
	heap.Push(&t.h, timerEntry{at, a})
	first := t.h[0].a == a && t.h[0].at.Equal(at)
	t.mu.Unlock()
	if first {
		select {
		case t.wake <- struct{}{}:
		default:
		}
	}
}

// run fires due entries until ctx ends.
func (t *timers) run(ctx context.Context, fire func(a *agent, now time.Time)) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		now := time.Now()
		var due []*agent
		t.mu.Lock()
		for len(t.h) > 0 && !t.h[0].at.After(now) {
			due = append(due, heap.Pop(&t.h).(timerEntry).a)
		}
		wait := time.Hour
		if len(t.h) > 0 {
			wait = t.h[0].at.Sub(now)
		}
		t.mu.Unlock()
		for _, a := range due {
			fire(a, now)
		}
		if len(due) > 0 {
			continue // firing took time; look again before sleeping
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-t.wake: // Reset above discards a stale expiry (Go 1.23 timers)
		case <-timer.C:
		}
	}
}
