package api

import (
	"encoding/json"
	"net/http"

	"go.uber.org/zap"

	"github.com/agoraproject/agora/master"
)

func writeJSON(w http.ResponseWriter, r *http.Request, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		httpError(w, http.StatusInternalServerError, "encoding response: "+err.Error())
		return
	}
	if cb := r.URL.Query().Get("jsonp"); cb != "" && validJSONPCallback(cb) {
		w.Header().Set("Content-Type", "text/javascript")
		_, _ = w.Write([]byte(cb + "("))
		_, _ = w.Write(b)
		_, _ = w.Write([]byte(");"))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}

// validJSONPCallback admits only identifier characters, so the callback
// cannot inject script.
func validJSONPCallback(s string) bool {
	if len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c == '_' || c == '.' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func (h *Handler) state(w http.ResponseWriter, r *http.Request) {
	b, err := h.caches.read(r.Context(), h.m, h.caches.masterStateFor(h.viewerFor(r)))
	if err != nil {
		if _, failed := err.(encodeFailed); !failed {
			writeError(w, err)
			return
		}
		h.log.Error("encoding /master/state", zap.Error(err))
		httpError(w, http.StatusInternalServerError, "encoding response: "+err.Error())
		return
	}
	b.serveJSON(w, r)
}

func (h *Handler) stateSummary(w http.ResponseWriter, r *http.Request) {
	s, err := h.m.State(r.Context())
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, r, renderSummary(h.viewerFor(r).state(s)))
}

func (h *Handler) metricsSnapshot(w http.ResponseWriter, r *http.Request) {
	m, err := h.m.Metrics(r.Context())
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, r, m)
}

func (h *Handler) health(w http.ResponseWriter, r *http.Request) {
	w.WriteHeader(http.StatusOK)
}

func (h *Handler) version(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, r, map[string]any{
		"version":    master.Version,
		"build_date": "",
		"build_time": 0,
		"build_user": "",
		"git_sha":    "",
	})
}

// redirect sends the client to the leading master (this one, until
// leader election lands).
func (h *Handler) redirect(w http.ResponseWriter, r *http.Request) {
	info := h.m.Info()
	host := info.GetAddress().GetHostname()
	if ip := info.GetAddress().GetIp(); ip != "" && ip != "0.0.0.0" {
		host = ip
	}
	w.Header().Set("Location", redirectScheme(r)+host+":"+itoa(int64(info.GetPort())))
	w.WriteHeader(http.StatusTemporaryRedirect)
}
