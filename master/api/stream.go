package api

import (
	"net/http"
	"strconv"

	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/internal/queue"
	"github.com/agoraproject/agora/proto/codec"
)

// streamEvents writes events as RecordIO until the master ends the stream
// (done) or the client goes away. It returns true when the client left.
// Events already queued when done closes are still written, so a final
// ERROR reaches the client.
func streamEvents[E proto.Message](w http.ResponseWriter, r *http.Request, c codec.Codec, streamID string, events *queue.Queue[E], done <-chan struct{}) bool {
	w.Header().Set("Content-Type", c.MediaType())
	w.Header().Set("Mesos-Stream-Id", streamID)
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	_ = rc.Flush()
	// Each batch is encoded in a pooled buffer (stream_detached.go), so a
	// stream that once carried a burst does not keep its size.
	flush := func(events []E) bool {
		if len(events) == 0 {
			return true
		}
		wb := writeBuffers.Get().(*writeBuffer)
		defer wb.release()
		wb.out = appendRecords(wb.out[:0], c, events, wb)
		if len(wb.out) == 0 {
			return true
		}
		_, err := w.Write(wb.out)
		return err == nil && rc.Flush() == nil
	}
	var batch []E
	for {
		select {
		case <-r.Context().Done():
			return true
		case <-events.Ready():
			batch = events.Drain(batch)
			ok := flush(batch)
			clear(batch)
			if !ok {
				return true
			}
		case <-done:
			flush(events.Drain(nil))
			return false
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
