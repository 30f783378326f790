// Package queue is a bounded FIFO between one producer that must never
// block (the master's event loop) and one consumer that drains in batches
// (a connection's writer goroutine). Memory grows with what is queued, not
// with the bound, so thousands of idle connections cost little.
package queue

import "sync"

// Queue holds up to Max items. It is safe for one producer and one
// consumer.
type Queue[T any] struct {
	mu     sync.Mutex
	items  []T
	max    int
	ready  chan struct{}
	closed bool
}

// New returns an empty queue bounded at max items.
func New[T any](max int) *Queue[T] {
	return &Queue[T]{max: max, ready: make(chan struct{}, 1)}
}

// Push appends an item without blocking. It returns false when the queue
// is full or closed; the producer then treats the consumer as too slow.
func (q *Queue[T]) Push(item T) bool {
	q.mu.Lock()
	if q.closed || len(q.items) >= q.max {
		q.mu.Unlock()
		return false
	}
	q.items = append(q.items, item)
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
	return true
}

// Ready is signalled after a Push; the consumer then calls Drain.
func (q *Queue[T]) Ready() <-chan struct{} { return q.ready }

// Drain moves every queued item to dst (reusing its storage) and returns it.
func (q *Queue[T]) Drain(dst []T) []T {
	q.mu.Lock()
	dst = append(dst[:0], q.items...)
	clear(q.items)
	q.items = q.items[:0]
	if cap(q.items) > 1024 {
		// Let a burst's storage go once it has been drained.
		q.items = nil
	}
	q.mu.Unlock()
	return dst
}

// Close makes further pushes fail; queued items can still be drained.
func (q *Queue[T]) Close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
}

// Len is the number of queued items.
func (q *Queue[T]) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items)
}
