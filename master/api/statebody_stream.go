package api

import (
	"io"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/agoraproject/agora/master"
)

// A cold JSON read (the first, or the first after the kept encodings were
// dropped) is streamed. Encoding every task and keeping the encodings
// before answering would allocate some 100 MB on the client's time, and
// that much allocation makes the collector mark the master's whole heap
// once or twice during the read. Instead the response is assembled with a
// placeholder for each missing encoding, and the placeholders are encoded
// while the response is written: in order, by GOMAXPROCS workers, into a
// few reused buffers a little ahead of the writer. The encodings are made
// again and kept afterwards, by one goroutine in the background (warm),
// for the reads that follow.

// deferred are the encodings a streamed read left to its writing.
type deferred struct {
	// items are kept in blocks of itemBlock, allocated whole when first
	// used, so that 200,000 of them are never copied to grow, and so that
	// a writer may read the items published to it while more are added.
	items [][]deferredItem
	n     int
	// marks tell placeholders apart: placeholder k is marks[k:k], an empty
	// slice found again by its address.
	marks []byte
	// warm keeps the encodings after the response was written.
	warm func()
}

type deferredItem struct {
	f    *master.FrameworkView
	t    *master.TaskView
	fill *taskFill
}

const itemBlock = 4096

// newDeferred can defer up to n encodings.
func newDeferred(n int) *deferred {
	return &deferred{marks: make([]byte, n), items: make([][]deferredItem, (n+itemBlock-1)/itemBlock)}
}

func (d *deferred) item(k int) *deferredItem { return &d.items[k/itemBlock][k%itemBlock] }

// len is how many encodings d defers.
func (d *deferred) len() int {
	if d == nil {
		return 0
	}
	return d.n
}

// resolve puts the deferred items in b's parts in place of their
// placeholders: kept since (by a warm-up), or encoded now and kept.
func (d *deferred) resolve(b *body) {
	enc := make([][]byte, d.n)
	for k := range enc {
		it := d.item(k)
		if kept, ok := it.fill.kept(it.f, it.t); ok {
			enc[k] = kept
		} else {
			enc[k] = it.fill.encodeAndKeep(it.f, it.t)
		}
	}
	for i, p := range b.parts {
		if k, ok := d.index(p); ok {
			b.parts[i] = enc[k]
			b.n += len(enc[k])
		}
	}
}

// holds reports whether any of es is a placeholder of d.
func (d *deferred) holds(es []executorEntry) bool {
	if d.len() == 0 {
		return false
	}
	for i := range es {
		if _, ok := d.index(es[i].b); ok {
			return true
		}
	}
	return false
}

// placeholder defers t's encoding of fill (ok false: d is nil or full).
func (d *deferred) placeholder(f *master.FrameworkView, t *master.TaskView, fill *taskFill) ([]byte, bool) {
	if d == nil || d.n == len(d.marks) {
		return nil, false
	}
	k := d.n
	if k%itemBlock == 0 {
		d.items[k/itemBlock] = make([]deferredItem, min(itemBlock, len(d.marks)-k))
	}
	*d.item(k) = deferredItem{f, t, fill}
	d.n++
	return d.marks[k:k], true
}

// index is the item p is the placeholder of. Only placeholder makes empty
// slices of marks, which never change: index reads nothing else of d, and
// a writer may call it while the body is still being assembled.
func (d *deferred) index(p []byte) (int, bool) {
	if len(p) != 0 || cap(p) == 0 {
		return 0, false
	}
	k := cap(d.marks) - cap(p)
	if k < 0 || k >= len(d.marks) || &p[:1][0] != &d.marks[k] {
		return 0, false
	}
	return k, true
}

// Variables for the tests.
var (
	streamChunk  = 512 // items a worker encodes at once
	streamWindow = 8   // chunks encoded ahead of the writer at most
)

var streamBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 512<<10); return &b }}

// streamed is one writing of a body with deferred encodings.
type streamed struct {
	d      *deferred
	feed   *feed // the parts, and the items in the order the body writes them
	chunks []streamedChunk
	next   atomic.Int64
	// pending is the chunk whose last piece the writer took last: its
	// buffer goes back when the writer comes for the next piece.
	pending *streamedChunk
	window  chan struct{}
	stop    chan struct{}
	wg      sync.WaitGroup
}

type streamedChunk struct {
	done chan struct{}
	buf  *[]byte
	ends []int32
}

// writeStreamed writes parts, encoding the deferred items as it goes. A
// body still being assembled (b.feed) is written as its parts come.
func (b *body) writeStreamed(w io.Writer) error {
	st := &streamed{d: b.lazy, feed: b.feed, window: make(chan struct{}, streamWindow), stop: make(chan struct{})}
	if st.feed == nil {
		st.feed = completeFeed(b)
	}
	// As many chunks as the body could defer items: the workers find out
	// how many it did as the feed grows.
	st.chunks = make([]streamedChunk, (len(b.lazy.marks)+streamChunk-1)/streamChunk)
	for i := range st.chunks {
		st.chunks[i].done = make(chan struct{})
	}
	for range min(runtime.GOMAXPROCS(0), len(st.chunks)) {
		st.wg.Add(1)
		go st.work()
	}
	defer func() {
		close(st.stop)
		st.wg.Wait()
		if st.pending != nil {
			st.release(st.pending)
		}
	}()
	return b.writeFed(w, st)
}

// piece is the bytes of the at-th deferred item written, waiting for its
// chunk.
func (st *streamed) piece(at int) []byte {
	if st.pending != nil {
		st.release(st.pending)
		st.pending = nil
	}
	c := &st.chunks[at/streamChunk]
	<-c.done
	i := at % streamChunk
	start := int32(0)
	if i > 0 {
		start = c.ends[i-1]
	}
	p := (*c.buf)[start:c.ends[i]]
	if i == len(c.ends)-1 {
		st.pending = c // the writer copies p before it asks for more
	}
	return p
}

func (st *streamed) release(c *streamedChunk) {
	streamBuffers.Put(c.buf)
	c.buf = nil
	<-st.window
}

func (st *streamed) work() {
	defer st.wg.Done()
	var fc flatCache
	n := 0 // items encoded, for yield
	for {
		select {
		case st.window <- struct{}{}:
		case <-st.stop:
			return
		}
		i := int(st.next.Add(1) - 1)
		seq, ok := st.feed.items(i*streamChunk, (i+1)*streamChunk, st.stop)
		if !ok {
			<-st.window
			return
		}
		c := &st.chunks[i]
		c.buf = streamBuffers.Get().(*[]byte)
		buf := (*c.buf)[:0]
		items := seq[i*streamChunk : min(len(seq), (i+1)*streamChunk)]
		c.ends = make([]int32, len(items))
		for j, k := range items {
			yield(n)
			n++
			it := st.d.item(int(k))
			buf = it.fill.encode(buf, it.f, it.t, &fc)
			c.ends[j] = int32(len(buf))
		}
		*c.buf = buf
		close(c.done)
	}
}
