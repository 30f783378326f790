package api

import (
	"bufio"
	"io"
	"net/http"
	"runtime"
	"strconv"

	"google.golang.org/protobuf/encoding/protowire"
)

// Big responses (GET_STATE, /master/state) are lists of pieces: encodings
// kept between reads and the small parts around them. They are written
// in order without joining them first.

// body is a response made of pieces written in order.
type body struct {
	parts [][]byte
	n     int
	arena []byte // small headers, carved out of one buffer
	// lazy, when set, holds encodings the parts only have placeholders
	// for: they are encoded as the body is written (statebody_stream.go),
	// and n does not count them.
	lazy *deferred
	// feed, when set, is what a goroutine still assembling the body has
	// published of it (statebody_feed.go).
	feed *feed
	// prefix and suffix wrap the parts (a jsonp callback).
	prefix, suffix []byte
}

func (b *body) add(p []byte) {
	b.parts = append(b.parts, p)
	b.n += len(p)
}

// header appends a length-delimited field's tag and length.
func (b *body) header(num protowire.Number, n int) {
	if cap(b.arena)-len(b.arena) < 2*binaryMaxVarint {
		b.arena = make([]byte, 0, 64<<10)
	}
	start := len(b.arena)
	b.arena = protowire.AppendTag(b.arena, num, protowire.BytesType)
	b.arena = protowire.AppendVarint(b.arena, uint64(n))
	b.add(b.arena[start:len(b.arena):len(b.arena)])
}

const binaryMaxVarint = 10

// responseBuffer is how many bytes a response is written in (a variable for
// the tests).
var responseBuffer = 256 << 10

// yield gives up the processor every 1024 steps of a long read: two
// clients reading 100,000 tasks would otherwise hold both cores for whole
// scheduler time slices (10 ms) while the master's event loop and the
// handlers of small requests wait.
func yield(i int) {
	if i&1023 == 1023 {
		runtime.Gosched()
	}
}

// streamed reports whether b encodes some of its parts as it is written,
// or is written as it is assembled.
func (b *body) streamed() bool { return b.feed != nil || b.lazy.len() > 0 }

func (b *body) writeTo(w io.Writer) error {
	bw := bufio.NewWriterSize(w, responseBuffer)
	if _, err := bw.Write(b.prefix); err != nil {
		return err
	}
	write := b.writeParts
	if b.streamed() {
		write = b.writeStreamed
	}
	if err := write(bw); err != nil {
		return err
	}
	if _, err := bw.Write(b.suffix); err != nil {
		return err
	}
	return bw.Flush()
}

// writeParts writes the parts in order.
func (b *body) writeParts(w io.Writer) error {
	for i, p := range b.parts {
		yield(i)
		if _, err := w.Write(p); err != nil {
			return err
		}
	}
	return nil
}

// serve writes b as the whole response. A streamed body's length is not
// known before it is written: it goes out in chunks.
func (b *body) serve(w http.ResponseWriter, contentType string) {
	w.Header().Set("Content-Type", contentType)
	if !b.streamed() {
		w.Header().Set("Content-Length", strconv.Itoa(len(b.prefix)+b.n+len(b.suffix)))
	}
	err := b.writeTo(w)
	if err == nil && b.streamed() && b.lazy.warm != nil {
		b.lazy.warm()
	}
	if b.feed != nil {
		if failed := b.feed.failure(); failed != nil {
			// The status is sent: the server logs this and cuts the
			// response short, so the client sees it fail.
			panic(failed.Error())
		}
	}
}

var openArray = []byte("[")

// array adds a JSON array of encoded values.
func (b *body) array(items [][]byte) {
	b.add(openArray)
	for i, it := range items {
		if i > 0 {
			b.add(comma)
		}
		b.add(it)
	}
	b.add(closeArray)
}

func (b *body) executors(es []executorEntry) {
	b.add(openArray)
	for i := range es {
		if i > 0 {
			b.add(comma)
		}
		b.add(es[i].b)
	}
	b.add(closeArray)
}
