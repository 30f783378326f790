package api

import (
	"net/http"
	"strconv"

	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/internal/queue"
	"github.com/agoraproject/agora/proto/codec"
	"github.com/agoraproject/agora/proto/recordio"
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
	var buf []byte
	write := func(e E) bool {
		b, err := c.Marshal(e)
		if err != nil {
			return false
		}
		buf = recordio.Append(buf, b)
		return true
	}
	flush := func() bool {
		if len(buf) == 0 {
			return true
		}
		_, err := w.Write(buf)
		buf = buf[:0]
		return err == nil && rc.Flush() == nil
	}
	var batch []E
	for {
		select {
		case <-r.Context().Done():
			return true
		case <-events.Ready():
			batch = events.Drain(batch)
			for _, e := range batch {
				write(e)
			}
			clear(batch)
			if !flush() {
				return true
			}
		case <-done:
			for _, e := range events.Drain(nil) {
				write(e)
			}
			flush()
			return false
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
