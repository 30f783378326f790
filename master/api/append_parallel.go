package api

import (
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/agoraproject/agora/master"
)

// A cold read (the first, or the first after the encodings were dropped)
// encodes every task. The encodings a read is missing are made first, in
// parallel over GOMAXPROCS chunks of the tasks, and kept on the views
// where the read's assembly (and later reads) find them.

// taskFill is one encoding a read needs of each task: the slot of
// master.Encodings it is kept in, and the tag it is kept with (ok false:
// this task has none).
type taskFill struct {
	slot   int
	tag    func(f *master.FrameworkView, t *master.TaskView) (tag string, ok bool)
	encode func(b []byte, f *master.FrameworkView, t *master.TaskView, fc *flatCache) []byte
	// encoded counts the tasks encoded.
	encoded int
	// stream, in a streamed read, takes the encodings the read misses.
	stream *deferred
}

// parallelFrom is how many missing encodings make a read encode them in
// parallel; fewer are encoded as the read assembles its response.
const parallelFrom = 2048

type fillItem struct {
	f *master.FrameworkView
	t *master.TaskView
}

// fillTasks encodes what is missing of fills for every task of s, in
// parallel, when at least from encodings are missing.
func fillTasks(s *master.State, from int, fills ...*taskFill) {
	missing, count := missingTasks(s, fills)
	if count < from || count == 0 {
		return
	}
	encodeMissing(missing, runtime.GOMAXPROCS(0), nil, fills)
}

// missingTasks lists the tasks of s missing an encoding of fills, and
// counts the encodings missing.
func missingTasks(s *master.State, fills []*taskFill) (missing []fillItem, count int) {
	visit := func(f *master.FrameworkView, ts []*master.TaskView) {
		for _, t := range ts {
			e := t.Encodings()
			if e == nil {
				continue
			}
			need := false
			for _, fl := range fills {
				if tag, ok := fl.tag(f, t); ok {
					if v := e.Load(fl.slot); v == nil || v.Tag != tag {
						need = true
						count++
					}
				}
			}
			if need {
				missing = append(missing, fillItem{f, t})
			}
		}
	}
	for i := range s.Frameworks {
		visit(&s.Frameworks[i], s.Frameworks[i].Tasks)
		visit(&s.Frameworks[i], s.Frameworks[i].CompletedTasks)
	}
	for i := range s.CompletedFrameworks {
		visit(&s.CompletedFrameworks[i], s.CompletedFrameworks[i].CompletedTasks)
	}
	return missing, count
}

// encodeMissing encodes and keeps what missing lacks of fills, on up to
// workers goroutines, until stop (nil: never) is closed.
func encodeMissing(missing []fillItem, workers int, stop <-chan struct{}, fills []*taskFill) {
	j := &encodeJob{missing: missing, fills: fills, stop: stop}
	workers = max(1, min(workers, (len(missing)+encodeJobChunk-1)/encodeJobChunk))
	counts := make([][]int, workers)
	var wg sync.WaitGroup
	for w := range counts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			counts[w] = j.work()
		}()
	}
	wg.Wait()
	for _, c := range counts {
		for k := range fills {
			fills[k].encoded += c[k]
		}
	}
}

// encodeJob is an encoding of missing items that any number of workers
// share, each taking the next chunk: a read waiting for a warm-up joins
// it rather than waiting idle.
type encodeJob struct {
	missing []fillItem
	fills   []*taskFill
	stop    <-chan struct{}
	next    atomic.Int64
	// ready, if set, is closed once missing is: a warm-up lists what
	// is missing on its own goroutine.
	ready chan struct{}
}

var encodeJobChunk = 512 // a variable for the tests

// work encodes chunks until there are none left or the job is stopped,
// and returns how many encodings of each fill it kept.
func (j *encodeJob) work() []int {
	counted := make([]int, len(j.fills))
	scratch := make([]byte, 0, 4096)
	var fc flatCache
	n := 0 // items encoded, for yield
	for {
		lo := int(j.next.Add(int64(encodeJobChunk))) - encodeJobChunk
		if lo >= len(j.missing) || stopped(j.stop) {
			return counted
		}
		for _, it := range j.missing[lo:min(lo+encodeJobChunk, len(j.missing))] {
			yield(n)
			n++
			e := it.t.Encodings()
			for k, fl := range j.fills {
				tag, ok := fl.tag(it.f, it.t)
				if !ok {
					continue
				}
				if v := e.Load(fl.slot); v != nil && v.Tag == tag {
					continue
				}
				scratch = fl.encode(scratch[:0], it.f, it.t, &fc)
				e.Store(fl.slot, &master.Encoded{Tag: tag, Bytes: clone(scratch)})
				counted[k]++
			}
		}
	}
}

func stopped(stop <-chan struct{}) bool {
	select {
	case <-stop:
		return true
	default:
		return false
	}
}

// bytes is t's encoding of fl: the kept one, or one encoded now and kept,
// or, in a streamed read, a placeholder for one encoded as the response
// is written (statebody_stream.go).
func (fl *taskFill) bytes(f *master.FrameworkView, t *master.TaskView) []byte {
	if b, ok := fl.kept(f, t); ok {
		return b
	}
	fl.encoded++
	if p, ok := fl.stream.placeholder(f, t, fl); ok {
		return p
	}
	return fl.encodeAndKeep(f, t)
}

// kept is t's encoding of fl kept on its view, if any.
func (fl *taskFill) kept(f *master.FrameworkView, t *master.TaskView) ([]byte, bool) {
	if e := t.Encodings(); e != nil {
		tag, _ := fl.tag(f, t)
		if v := e.Load(fl.slot); v != nil && v.Tag == tag {
			return v.Bytes, true
		}
	}
	return nil, false
}

// encodeAndKeep encodes t and keeps the encoding on its view.
func (fl *taskFill) encodeAndKeep(f *master.FrameworkView, t *master.TaskView) []byte {
	b := encodeExact(func(b []byte) []byte { return fl.encode(b, f, t, nil) })
	if e := t.Encodings(); e != nil {
		tag, _ := fl.tag(f, t)
		e.Store(fl.slot, &master.Encoded{Tag: tag, Bytes: b})
	}
	return b
}

// clone copies b into a slice of its exact size: encodings are kept for
// long, and a scratch buffer's spare capacity would be kept with them.
func clone(b []byte) []byte { return append(make([]byte, 0, len(b)), b...) }

var scratchPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// encodeExact is enc's output in a slice of its exact size.
func encodeExact(enc func([]byte) []byte) []byte {
	bp := scratchPool.Get().(*[]byte)
	b := enc((*bp)[:0])
	out := clone(b)
	if cap(b) <= 1<<20 {
		*bp = b
		scratchPool.Put(bp)
	}
	return out
}

// everyTask is the tag of encodings made from the task alone.
func everyTask(*master.FrameworkView, *master.TaskView) (string, bool) { return "", true }
