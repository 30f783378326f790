package api

import (
	"fmt"
	"io"
	"runtime/debug"
	"sync"
)

// A cold /master/state read is written while it is still being
// assembled: a goroutine adds each framework's pieces and publishes them,
// the stream's workers encode the placeholders as they are published, and
// the writer sends what is ready. Assembling 100,000 tasks' pieces takes a
// core for tens of milliseconds, which the other core spends encoding and
// writing instead of waiting.

// feed is the parts of a body published so far, and the deferred items
// among them in the order they are written.
type feed struct {
	mu      sync.Mutex
	parts   [][]byte
	seq     []int32
	done    bool
	err     error         // why the assembly stopped short, if it did
	changed chan struct{} // closed and replaced at each publish
}

func newFeed() *feed { return &feed{changed: make(chan struct{})} }

// completeFeed is the feed of an assembled body.
func completeFeed(b *body) *feed {
	f := newFeed()
	f.publish(b, true)
	return f
}

// publish makes b's parts so far visible; done says there are no more.
// Parts once published never change: the assembler only appends.
func (f *feed) publish(b *body, done bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range b.parts[len(f.parts):] {
		if k, ok := b.lazy.index(p); ok {
			f.seq = append(f.seq, int32(k))
		}
	}
	f.parts, f.done = b.parts, done
	f.notify()
}

// notify wakes the waiters (await); f.mu is held.
func (f *feed) notify() {
	close(f.changed)
	f.changed = make(chan struct{})
}

// fail ends the feed short: the assembly panicked with p.
func (f *feed) fail(p any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.err, f.done = fmt.Errorf("assembling the response: %v\n%s", p, debug.Stack()), true
	f.notify()
}

// failure is why the assembly stopped short (nil: it did not).
func (f *feed) failure() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

// await waits until ready holds for the numbers of parts and items
// published, or the body is complete; ok is false if stop was closed
// first.
func (f *feed) await(ready func(parts, items int) bool, stop <-chan struct{}) (parts [][]byte, seq []int32, done, ok bool) {
	for {
		f.mu.Lock()
		parts, seq, done, changed := f.parts, f.seq, f.done, f.changed
		f.mu.Unlock()
		if done || ready(len(parts), len(seq)) {
			return parts, seq, done, true
		}
		select {
		case <-changed:
		case <-stop:
			return nil, nil, false, false
		}
	}
}

// items waits until the deferred items [lo, hi) are published, or all are
// and there are fewer; ok is false if there are none from lo on, or stop
// was closed first.
func (f *feed) items(lo, hi int, stop <-chan struct{}) ([]int32, bool) {
	_, seq, _, ok := f.await(func(_, items int) bool { return items >= hi }, stop)
	return seq, ok && lo < len(seq)
}

// writeFed writes the parts as they are published, the deferred items'
// encodings in place of their placeholders.
func (b *body) writeFed(w io.Writer, st *streamed) error {
	at, k := 0, 0
	for {
		parts, _, done, _ := st.feed.await(func(parts, _ int) bool { return parts > at }, nil)
		for ; at < len(parts); at++ {
			yield(at)
			p := parts[at]
			if len(p) == 0 {
				if _, ok := b.lazy.index(p); ok {
					p = st.piece(k)
					k++
				}
			}
			if _, err := w.Write(p); err != nil {
				return err
			}
		}
		if done {
			return st.feed.failure()
		}
	}
}
