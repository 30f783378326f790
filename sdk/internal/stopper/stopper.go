// Package stopper is the Stop of the SDK clients: a signal that is raised
// once, from any goroutine, and that ends the context Run works under.
package stopper

import (
	"context"
	"sync"
)

// Stopper is a one-shot stop signal. Make it with New.
type Stopper struct {
	ch   chan struct{}
	once sync.Once
}

// New returns a Stopper not yet stopped.
func New() *Stopper { return &Stopper{ch: make(chan struct{})} }

// Stop raises the signal. Safe to call more than once, from any goroutine.
func (s *Stopper) Stop() { s.once.Do(func() { close(s.ch) }) }

// Stopped reports whether Stop was called.
func (s *Stopper) Stopped() bool {
	select {
	case <-s.ch:
		return true
	default:
		return false
	}
}

// Context returns a context derived from ctx that is also cancelled by
// Stop. Call cancel when done with it.
func (s *Stopper) Context(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		select {
		case <-s.ch:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}
