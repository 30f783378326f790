package api

import (
	"bytes"
	"errors"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/internal/queue"
	"github.com/agoraproject/agora/proto/codec"
	"github.com/agoraproject/agora/proto/recordio"
)

// A master holds one event stream per connected agent, and a stream is
// idle nearly all the time: a PING every few seconds, a RUN_TASK or an
// ACKNOWLEDGE now and then. Served by net/http, an idle stream keeps the
// server's connection goroutine, its background reader, a 4 KiB read
// buffer, a 4 KiB write buffer and the response's 2 KiB chunking buffer —
// about 30 KiB per agent with the goroutine stacks. So an agent's stream
// leaves net/http once its SUBSCRIBE is accepted: the connection is
// hijacked and served by one small goroutine that writes on demand through
// a pooled buffer; the client's departure is noticed by a watcher (one for
// all streams where the platform allows it, see stream_watch_linux.go).

// detachedStream writes one stream's events to a hijacked connection.
type detachedStream[E proto.Message] struct {
	conn   net.Conn
	codec  codec.Codec
	events *queue.Queue[E]
	done   <-chan struct{}
	// gone is closed when the client closed its end (or it broke).
	gone <-chan struct{}
	// unwatch stops watching conn; it is called before conn is closed.
	unwatch func()
	// left is called when the client went away before the master ended
	// the stream.
	left func()
	// header is the HTTP response head, written with the first events.
	header []byte
}

// detachStream takes over the connection of a streaming response: it
// writes the response head and the events queued so far, then returns
// while a goroutine of its own writes the rest, as streamEvents would:
// until the master closes done (events already queued are still written)
// or the client goes away, in which case left is called. It returns false,
// having written nothing, when the connection cannot be taken over
// (HTTP/2, or a ResponseWriter that does not allow it); the caller then
// serves the stream with streamEvents.
func detachStream[E proto.Message](w http.ResponseWriter, r *http.Request, c codec.Codec, streamID string, events *queue.Queue[E], done <-chan struct{}, left func()) bool {
	if r.ProtoMajor != 1 || r.ProtoMinor < 1 {
		return false
	}
	h := w.Header()
	h.Set("Content-Type", c.MediaType())
	h.Set("Mesos-Stream-Id", streamID)
	h.Set("Cache-Control", "no-cache")
	// The connection ends with the stream; no client may reuse it.
	h.Set("Connection", "close")
	h.Set("Transfer-Encoding", "chunked")
	h.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	var head bytes.Buffer
	head.WriteString("HTTP/1.1 200 OK\r\n")
	if err := h.Write(&head); err != nil {
		return false
	}
	head.WriteString("\r\n")

	// Nothing is written through the returned buffers, and what the client
	// may send after its request is not read: a stream's client listens.
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		for _, k := range []string{"Connection", "Transfer-Encoding", "Date"} {
			h.Del(k)
		}
		return false
	}
	s := &detachedStream[E]{conn: conn, codec: c, events: events, done: done, left: left, header: head.Bytes()}
	s.gone, s.unwatch = watchClose(conn)
	go s.run()
	return true
}

func (s *detachedStream[E]) run() {
	defer func() {
		s.unwatch()
		_ = s.conn.Close()
	}()
	// The events queued at subscription (SUBSCRIBED first) go out with
	// the response head.
	var batch []E
	batch = s.events.Drain(batch)
	if s.write(batch, false) != nil {
		s.left()
		return
	}
	for {
		clear(batch)
		if cap(batch) > 64 {
			batch = nil // a burst's storage goes; an idle stream keeps little
		}
		select {
		case <-s.gone:
			s.left()
			return
		case <-s.events.Ready():
			batch = s.events.Drain(batch)
			if s.write(batch, false) != nil {
				s.left()
				return
			}
		case <-s.done:
			_ = s.write(s.events.Drain(batch), true)
			return
		}
	}
}

// streamWriteTimeout bounds one write to a stream's client.
const streamWriteTimeout = time.Minute

// chunkRoom is the room kept before the records for the chunk's size line
// (up to 8 hex digits and CRLF).
const chunkRoom = 10

// maxChunk is the largest chunk a size line of chunkRoom fits.
const maxChunk = 1<<32 - 1

var errChunkTooLarge = errors.New("events too large for one chunk")

// writeBuffers are shared by all streams: a stream holds one only while it
// writes.
var writeBuffers = sync.Pool{New: func() any { return &writeBuffer{} }}

type writeBuffer struct {
	out, enc []byte
}

// release returns wb to the pool, unless a burst made it large: that
// storage goes rather than stay pinned.
func (wb *writeBuffer) release() {
	if cap(wb.out) > 64<<10 || cap(wb.enc) > 64<<10 {
		return
	}
	writeBuffers.Put(wb)
}

// write sends the pending response head (if any), the events as one HTTP
// chunk of RecordIO records, and with last the chunked body's end, in one
// write to the connection.
//
// The work (encoding, the write system call) runs on a goroutine of its
// own that ends with it. A goroutine's stack that grew past 2 KiB
// practically never shrinks back (the runtime halves a stack only while
// less than a quarter of it, counting a reserve of some 800 bytes, is in
// use), so the stream's goroutine, which only waits, would carry 4 KiB
// through the idle time that is most of its life. A goroutine per batch
// costs about a microsecond.
func (s *detachedStream[E]) write(events []E, last bool) error {
	if len(events) == 0 && !last && s.header == nil {
		return nil
	}
	errc := make(chan error, 1)
	go func() { errc <- s.send(events, last) }()
	return <-errc
}

func (s *detachedStream[E]) send(events []E, last bool) error {
	wb := writeBuffers.Get().(*writeBuffer)
	defer wb.release()
	pre := len(s.header) + chunkRoom
	out := append(wb.out[:0], make([]byte, pre)...)
	out = appendRecords(out, s.codec, events, wb)
	wb.out = out
	n := len(out) - pre
	if uint64(n) > maxChunk {
		return errChunkTooLarge
	}
	start := pre
	if n > 0 {
		var size [chunkRoom]byte
		line := append(strconv.AppendUint(size[:0], uint64(n), 16), '\r', '\n')
		start -= len(line)
		copy(out[start:], line)
		out = append(out, '\r', '\n')
	}
	if s.header != nil {
		start -= len(s.header)
		copy(out[start:], s.header)
		s.header = nil
	}
	if last {
		out = append(out, "0\r\n\r\n"...)
	}
	wb.out = out
	// A client that takes no data for this long is not coming back; the
	// write fails rather than hold the stream (and its connection) forever.
	_ = s.conn.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
	_, err := s.conn.Write(out[start:])
	_ = s.conn.SetWriteDeadline(time.Time{})
	return err
}

// appendRecords appends events to out as RecordIO records. An event that
// cannot be encoded is skipped, as a stream has no way to report it.
func appendRecords[E proto.Message](out []byte, c codec.Codec, events []E, wb *writeBuffer) []byte {
	app, _ := c.(codec.Appender)
	for _, e := range events {
		var b []byte
		var err error
		if app != nil {
			wb.enc, err = app.AppendMarshal(wb.enc[:0], e)
			b = wb.enc
		} else {
			b, err = c.Marshal(e)
		}
		if err != nil {
			continue
		}
		out = recordio.Append(out, b)
	}
	return out
}
