package api

import (
	"net/http"

	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/master"
	"github.com/agoraproject/agora/proto/codec"
	masterpb "github.com/agoraproject/agora/proto/mesos/v1/master"
	"github.com/agoraproject/agora/proto/recordio"
)

// operatorSubscribe serves SUBSCRIBE: SUBSCRIBED with the whole state
// first, then the master's events as they happen, until the client leaves
// or the master drops the subscriber for falling behind (the stream then
// just ends; the master logs why).
func (h *Handler) operatorSubscribe(w http.ResponseWriter, r *http.Request, c codec.Codec) {
	stream, err := h.m.SubscribeOperator(r.Context())
	if err != nil {
		writeError(w, err)
		return
	}
	defer h.m.CloseOperatorStream(stream.ID)
	var filter *eventFilter
	if v := h.viewerFor(r); v != nil {
		filter = newEventFilter(v, stream.State)
		stream.State = v.state(stream.State)
	}
	first := &masterpb.Event{Type: masterpb.Event_SUBSCRIBED.Enum(), Subscribed: &masterpb.Event_Subscribed{
		GetState:                 master.OperatorState(stream.State),
		HeartbeatIntervalSeconds: proto.Float64(stream.HeartbeatInterval),
	}}
	stream.State = nil // the snapshot is large; let it go once rendered
	b, err := c.Marshal(first)
	if err != nil {
		h.log.Error("encoding SUBSCRIBED", zap.Error(err))
		httpError(w, http.StatusInternalServerError, "failed to encode the state")
		return
	}
	w.Header().Set("Content-Type", c.MediaType())
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	if _, err := w.Write(recordio.Append(nil, b)); err != nil || rc.Flush() != nil {
		return
	}
	b = nil
	var buf []byte
	var batch []*masterpb.Event
	write := func() bool {
		for _, e := range batch {
			if filter != nil && !filter.keep(e) {
				continue
			}
			if eb, err := c.Marshal(e); err == nil {
				buf = recordio.Append(buf, eb)
			}
		}
		clear(batch)
		if len(buf) == 0 {
			return true
		}
		_, err := w.Write(buf)
		buf = buf[:0]
		return err == nil && rc.Flush() == nil
	}
	for {
		select {
		case <-r.Context().Done():
			return
		case <-stream.Events.Ready():
			batch = stream.Events.Drain(batch)
			if !write() {
				return
			}
		case <-stream.Done:
			batch = stream.Events.Drain(batch)
			write()
			return
		}
	}
}
