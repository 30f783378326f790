// Package api adapts the master to HTTP: the Mesos v1 scheduler and
// operator APIs, Agora's agent protocol and the read-only endpoints tools
// rely on (/master/state,
// /metrics/snapshot, /health, /version, /master/redirect), /metrics in
// Prometheus's format and /logging/toggle. Handlers decode,
// call the master, encode, and map errors to status codes in one place.
// It holds no cluster state of its own, only encodings of state objects
// kept between reads (statecache.go).
package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/gorilla/mux"
	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/internal/httpapi"
	"github.com/agoraproject/agora/internal/telemetry"
	"github.com/agoraproject/agora/master"
	"github.com/agoraproject/agora/master/webui"
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
	logLevel     *zap.AtomicLevel     // set by SetLogLevel
	// caches keep encoded state objects between reads (statecache.go).
	caches *stateCaches
	// sec turns on ACL and principal checks (auth.go); nil: none.
	sec   *Security
	files *agentFiles // the agent-files proxy (agentfiles.go)
}

// New builds the master's HTTP handler.
func New(m *master.Master, log *zap.Logger) *Handler {
	if log == nil {
		log = zap.NewNop()
	}
	h := &Handler{m: m, log: log.Named("api"), maxBodyBytes: DefaultMaxBodyBytes, router: mux.NewRouter(),
		caches: newStateCaches(DefaultStateCacheTTL)}
	h.caches.idle.drop = h.caches.forget(m)
	r := h.router
	r.HandleFunc("/api/v1/scheduler", h.guardScheduler(h.scheduler))
	r.HandleFunc("/master/api/v1/scheduler", h.guardScheduler(h.scheduler))
	r.HandleFunc("/agora/v1/agent", h.agent)
	r.HandleFunc("/api/v1", h.guardOperator(h.operator))
	r.HandleFunc("/master/api/v1", h.guardOperator(h.operator))
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
	h.registerAgentFiles(r) // agentfiles.go
	webui.Register(r)
	return h
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.router.ServeHTTP(w, r) }

// SetMaxBodyBytes changes the request body limit.
func (h *Handler) SetMaxBodyBytes(n int64) { h.maxBodyBytes = n }

// decodeCall reads and decodes a v1 call; see httpapi.DecodeCall.
func (h *Handler) decodeCall(w http.ResponseWriter, r *http.Request, call proto.Message, what string) (codec.Codec, bool) {
	return httpapi.DecodeCall(w, r, call, httpapi.DecodeOptions{MaxBody: h.maxBodyBytes, What: what})
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

func httpError(w http.ResponseWriter, status int, msg string) { httpapi.Error(w, status, msg) }
