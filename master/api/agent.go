package api

import (
	"net"
	"net/http"

	"github.com/agoraproject/agora/proto/agora/agentpb"
)

// agent serves POST /agora/v1/agent, Agora's master<->agent protocol.
func (h *Handler) agent(w http.ResponseWriter, r *http.Request) {
	call := &agentpb.Call{}
	respCodec, ok := h.decodeCall(w, r, call, "agent Call")
	if !ok {
		return
	}
	streamID := r.Header.Get("Mesos-Stream-Id")
	if call.GetType() == agentpb.Call_SUBSCRIBE {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			host = r.RemoteAddr
		}
		stream, err := h.m.SubscribeAgent(r.Context(), call, host)
		if err != nil {
			writeError(w, err)
			return
		}
		left := func() { h.m.CloseAgentStream(stream.AgentID, stream.StreamID) }
		// Thousands of agents hold a stream each: it leaves net/http
		// (stream_detached.go) unless the connection cannot be taken over.
		if detachStream(w, r, respCodec, stream.StreamID, stream.Events, stream.Done, left) {
			return
		}
		if streamEvents(w, r, respCodec, stream.StreamID, stream.Events, stream.Done) {
			left()
		}
		return
	}
	if streamID == "" {
		httpError(w, http.StatusBadRequest, "All non-subscribe calls should include the 'Mesos-Stream-Id' header")
		return
	}
	if err := h.m.AgentCall(r.Context(), streamID, call); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}
