// Package api adapts the master to HTTP: the Mesos v1 scheduler API, Agora's
// agent protocol and the read-only endpoints tools rely on (/master/state,
// /metrics/snapshot, /health, /version, /master/redirect), /metrics in
// Prometheus's format and /logging/toggle. Handlers decode,
// call the master, encode, and map errors to status codes in one place.
// It holds no cluster state of its own.
package api

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/gorilla/mux"
	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/internal/telemetry"
	"github.com/agoraproject/agora/master"
	"github.com/agoraproject/agora/proto/codec"
)

// DefaultMaxBodyBytes bounds request bodies; larger ones get 413.
const DefaultMaxBodyBytes = 16 << 20

// Handler serves the master's HTTP API.
type Handler struct {
	m            *master.Master
	log          *zap.Logger
	maxBodyBytes int64
	router       *mux.Router
	logToggle    *telemetry.LogToggle // set by SetLogLevel
}

// New builds the master's HTTP handler.
func New(m *master.Master, log *zap.Logger) *Handler {
	if log == nil {
		log = zap.NewNop()
	}
	h := &Handler{m: m, log: log.Named("api"), maxBodyBytes: DefaultMaxBodyBytes, router: mux.NewRouter()}
	r := h.router
	r.HandleFunc("/api/v1/scheduler", h.scheduler)
	r.HandleFunc("/master/api/v1/scheduler", h.scheduler)
	r.HandleFunc("/agora/v1/agent", h.agent)
	for _, p := range []string{"/master/state", "/master/state.json", "/state", "/state.json"} {
		r.HandleFunc(p, h.state).Methods(http.MethodGet, http.MethodHead)
	}
	for _, p := range []string{"/master/state-summary", "/state-summary"} {
		r.HandleFunc(p, h.stateSummary).Methods(http.MethodGet, http.MethodHead)
	}
	r.HandleFunc("/metrics/snapshot", h.metricsSnapshot).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/metrics", newMetricsHandler(m)).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/logging/toggle", h.loggingToggle)
	r.HandleFunc("/health", h.health).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/master/health", h.health).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/version", h.version).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/master/redirect", h.redirect).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/redirect", h.redirect).Methods(http.MethodGet, http.MethodHead)
	return h
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.router.ServeHTTP(w, r) }

// SetMaxBodyBytes changes the request body limit.
func (h *Handler) SetMaxBodyBytes(n int64) { h.maxBodyBytes = n }

// negotiate picks the request and response codecs of a v1 API call,
// answering 405, 400, 415 or 406 itself when it cannot.
func negotiate(w http.ResponseWriter, r *http.Request) (req, resp codec.Codec, ok bool) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		httpError(w, http.StatusMethodNotAllowed, "Expecting a 'POST' request, received '"+r.Method+"'")
		return nil, nil, false
	}
	ct := r.Header.Get("Content-Type")
	if strings.TrimSpace(ct) == "" {
		httpError(w, http.StatusBadRequest, "Expecting 'Content-Type' to be present")
		return nil, nil, false
	}
	req, err := codec.ForContentType(ct)
	if err != nil {
		httpError(w, http.StatusUnsupportedMediaType, "Expecting 'Content-Type' of application/json or application/x-protobuf: "+err.Error())
		return nil, nil, false
	}
	// Like Mesos, a request without Accept gets JSON back.
	resp, err = codec.ForAccept(r.Header.Get("Accept"), codec.JSON)
	if err != nil {
		httpError(w, http.StatusNotAcceptable, "Expecting 'Accept' to allow application/json or application/x-protobuf")
		return nil, nil, false
	}
	return req, resp, true
}

// readBody reads a bounded request body, answering 413 when it is too big.
func (h *Handler) readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.maxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			httpError(w, http.StatusRequestEntityTooLarge, "Request body exceeds the limit of "+itoa(h.maxBodyBytes)+" bytes")
			return nil, false
		}
		httpError(w, http.StatusBadRequest, "Failed to read request body: "+err.Error())
		return nil, false
	}
	return body, true
}

// decodeCall negotiates codecs, reads the bounded body and decodes it into
// call, answering the client itself when any step fails.
func (h *Handler) decodeCall(w http.ResponseWriter, r *http.Request, call proto.Message, what string) (codec.Codec, bool) {
	reqCodec, respCodec, ok := negotiate(w, r)
	if !ok {
		return nil, false
	}
	body, ok := h.readBody(w, r)
	if !ok {
		return nil, false
	}
	if err := reqCodec.Unmarshal(body, call); err != nil {
		httpError(w, http.StatusBadRequest, "Failed to parse body into "+what+": "+err.Error())
		return nil, false
	}
	return respCodec, true
}

// writeError maps an error from the master to an HTTP status, once.
func writeError(w http.ResponseWriter, err error) {
	var me *master.Error
	switch {
	case errors.As(err, &me):
		status := http.StatusBadRequest
		switch me.Kind {
		case master.KindForbidden:
			status = http.StatusForbidden
		case master.KindNotFound:
			status = http.StatusNotFound
		case master.KindUnavailable:
			status = http.StatusServiceUnavailable
		}
		httpError(w, status, me.Msg)
	case errors.Is(err, master.ErrStopped), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		httpError(w, http.StatusServiceUnavailable, "Master is not available: "+err.Error())
	default:
		httpError(w, http.StatusInternalServerError, err.Error())
	}
}

func httpError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, msg)
}
