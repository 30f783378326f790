package api

import (
	"slices"
	"sync"

	"github.com/agoraproject/agora/master"
)

// deferAll makes fills defer every encoding a read of s misses: the read
// is assembled with placeholders (statebody_stream.go), and settle then
// decides how they are filled.
func deferAll(s *master.State, fills ...*taskFill) *deferred {
	d := newDeferred(countTasks(s) * len(fills))
	for _, fl := range fills {
		fl.stream = d
	}
	return d
}

// settle fills b's placeholders. A read missing fewer than streamFrom
// encodings makes them now and keeps them; one missing more is streamed,
// and the encodings are kept in the background once it was written.
func (c *stateCaches) settle(b *body, d *deferred, s *master.State, fills ...*taskFill) {
	switch {
	case b.feed != nil:
		// Written as it is assembled: streamed whatever it misses.
		if d.n > 0 {
			d.warm = func() { c.warmer.start(s, fills) }
		}
	case d.n == 0:
	case d.n < c.streamFrom:
		d.resolve(b)
	case c.warmer.waitFor(fills):
		// The encodings are being kept by the warm-up of an earlier read:
		// they are taken from there rather than made twice.
		d.resolve(b)
	default:
		b.lazy = d
		d.warm = func() { c.warmer.start(s, fills) }
	}
}

// coldRead reports whether a read of s with fills is to be written as it
// is assembled: it has many tasks, no warm-up is keeping their encodings
// (one running is waited for), and the first task misses its encoding.
func (c *stateCaches) coldRead(s *master.State, fills ...*taskFill) bool {
	if countTasks(s)*len(fills) < c.streamFrom || c.warmer.waitFor(fills) {
		return false
	}
	for i := range s.Frameworks {
		f := &s.Frameworks[i]
		if len(f.Tasks) > 0 {
			_, kept := fills[0].kept(f, f.Tasks[0])
			return !kept
		}
	}
	return false
}

// warmer keeps, in the background, the encodings a streamed read wrote
// without keeping them: one goroutine at a time, stopped when the
// encodings are dropped.
type warmer struct {
	mu      sync.Mutex
	running bool
	slots   []int // the slots being kept
	job     *encodeJob
	stop    chan struct{}
	done    sync.WaitGroup
	// warmed counts the encodings kept.
	warmed int
}

func (w *warmer) start(s *master.State, fills []*taskFill) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.running {
		return
	}
	if w.stop == nil {
		w.stop = make(chan struct{})
	}
	w.running = true
	own := make([]*taskFill, len(fills))
	for i, fl := range fills {
		cp := *fl
		cp.stream, cp.encoded = nil, 0
		own[i] = &cp
	}
	stop := w.stop
	w.slots = w.slots[:0]
	for _, fl := range own {
		w.slots = append(w.slots, fl.slot)
	}
	job := &encodeJob{fills: own, stop: stop, ready: make(chan struct{})}
	w.job = job
	w.done.Add(1)
	go func() {
		defer w.done.Done()
		job.missing, _ = missingTasks(s, own)
		close(job.ready)
		// One goroutine: a core stays free for the loop and other reads,
		// until a read waits for it and joins (waitFor).
		counted := job.work()
		w.mu.Lock()
		defer w.mu.Unlock()
		w.running = false
		for _, n := range counted {
			w.warmed += n
		}
	}()
}

// reset stops a running warm-up.
func (w *warmer) reset() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stop != nil {
		close(w.stop)
		w.stop = nil
	}
}

// wait waits for the warm-up running, if any.
func (w *warmer) wait() { w.done.Wait() }

// waitFor waits for a running warm-up that keeps encodings of fills'
// slots, helping it with the encodings left, and reports whether there
// was one.
func (w *warmer) waitFor(fills []*taskFill) bool {
	w.mu.Lock()
	found := false
	for _, fl := range fills {
		found = found || (w.running && slices.Contains(w.slots, fl.slot))
	}
	job := w.job
	w.mu.Unlock()
	if !found {
		return false
	}
	<-job.ready
	counted := job.work()
	w.mu.Lock()
	for _, n := range counted {
		w.warmed += n
	}
	w.mu.Unlock()
	w.wait()
	return true
}
