package api

import (
	"net/http"

	"go.uber.org/zap"

	"github.com/agoraproject/agora/proto/mesos/v1/scheduler"
)

// scheduler serves POST /api/v1/scheduler: SUBSCRIBE opens an event stream,
// every other call is answered 202 once the master has taken it.
func (h *Handler) scheduler(w http.ResponseWriter, r *http.Request) {
	call := &scheduler.Call{}
	respCodec, ok := h.decodeCall(w, r, call, "Call")
	if !ok {
		return
	}
	if call.GetType() == scheduler.Call_UNKNOWN {
		// Unknown enum names decode as unset, so this also catches typos.
		httpError(w, http.StatusBadRequest, "Expecting 'type' to be present and one of the scheduler call types")
		return
	}
	streamID := r.Header.Get("Mesos-Stream-Id")
	if call.GetType() == scheduler.Call_SUBSCRIBE {
		if streamID != "" {
			httpError(w, http.StatusBadRequest, "Subscribe calls should not include the 'Mesos-Stream-Id' header")
			return
		}
		stream, err := h.m.SubscribeFramework(r.Context(), call)
		if err != nil {
			writeError(w, err)
			return
		}
		h.log.Debug("framework stream opened", zap.String("framework_id", stream.FrameworkID))
		if streamEvents(w, r, respCodec, stream.StreamID, stream.Events, stream.Done) {
			h.m.CloseFrameworkStream(stream.FrameworkID, stream.StreamID)
		}
		return
	}
	if streamID == "" {
		httpError(w, http.StatusBadRequest, "All non-subscribe calls should include the 'Mesos-Stream-Id' header")
		return
	}
	if err := h.m.FrameworkCall(r.Context(), streamID, call); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}
