package api

import (
	"runtime"
	"sync"

	"github.com/agoraproject/agora/master"
)

// prepare readies fills for a read of s. A read missing at least
// streamFrom encodings is streamed: it returns the deferred encodings,
// which the fills now hand out placeholders for (statebody_stream.go).
// Otherwise a read missing at least parallelFrom encodings makes them
// first, in parallel (append_parallel.go).
func (c *stateCaches) prepare(s *master.State, fills ...*taskFill) *deferred {
	missing, count := missingTasks(s, fills)
	switch {
	case count == 0:
		return nil
	case count >= c.streamFrom:
		d := newDeferred(count)
		for _, fl := range fills {
			fl.stream = d
		}
		d.warm = func() { c.warmer.start(s, fills) }
		return d
	case count >= c.parallelFrom:
		encodeMissing(missing, runtime.GOMAXPROCS(0), nil, fills)
	}
	return nil
}

// warmer keeps, in the background, the encodings a streamed read wrote
// without keeping them: one goroutine at a time, stopped when the
// encodings are dropped.
type warmer struct {
	mu      sync.Mutex
	running bool
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
	w.done.Add(1)
	go func() {
		defer w.done.Done()
		missing, _ := missingTasks(s, own)
		// One goroutine: a core stays free for the loop and other reads.
		encodeMissing(missing, 1, stop, own)
		w.mu.Lock()
		defer w.mu.Unlock()
		w.running = false
		for _, fl := range own {
			w.warmed += fl.encoded
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

// wait waits for the warm-up running, if any (tests).
func (w *warmer) wait() { w.done.Wait() }
