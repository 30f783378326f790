// Package api serves the Chronos REST API over a Backend: thin gorilla/mux
// handlers that decode, validate, call the backend and encode, mapping
// errors to HTTP statuses in one place. Every route is served under the
// 3.x prefix /v1/scheduler and the 2.x prefix /scheduler.
//
// It holds no state and decides nothing about runs; see package runner.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/gorilla/mux"
	"go.uber.org/zap"

	"github.com/agoraproject/agora/frameworks/chronos/job"
	"github.com/agoraproject/agora/frameworks/chronos/runner"
)

// Backend is what the handlers need from the framework.
type Backend interface {
	PutJob(ctx context.Context, j job.Job) error
	DeleteJob(ctx context.Context, name string) error
	RunJob(ctx context.Context, name string, arguments []string) error
	MarkSuccess(ctx context.Context, name string) error
	KillTasks(ctx context.Context, name string) error
	Jobs(ctx context.Context) ([]runner.JobView, error)
	Job(ctx context.Context, name string) (runner.JobView, error)
}

// Options are the parts of the API that are not about jobs.
type Options struct {
	// Leader returns the leading replica's "host:port"; ok false if unknown.
	Leader func() (string, bool)
	// Metrics serves /metrics; nil for none.
	Metrics http.Handler
	Logger  *zap.Logger
}

// maxBody bounds a job definition.
const maxBody = 1 << 20

// Prefixes under which every scheduler route is served.
var Prefixes = []string{"/v1/scheduler", "/scheduler"}

// New returns the API's handler.
func New(b Backend, opts Options) http.Handler {
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	h := &handlers{b: b, opts: opts, log: opts.Logger.Named("api")}
	r := mux.NewRouter()
	notFound := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such endpoint: "+r.URL.Path)
	})
	notAllowed := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusMethodNotAllowed, r.Method+" is not allowed on "+r.URL.Path)
	})
	r.NotFoundHandler, r.MethodNotAllowedHandler = notFound, notAllowed
	for _, p := range Prefixes {
		s := r.PathPrefix(p).Subrouter()
		s.NotFoundHandler, s.MethodNotAllowedHandler = notFound, notAllowed
		s.HandleFunc("/iso8601", h.put(job.Scheduled)).Methods(http.MethodPost, http.MethodPut)
		s.HandleFunc("/dependency", h.put(job.Dependent)).Methods(http.MethodPost, http.MethodPut)
		s.HandleFunc("/jobs", h.jobs).Methods(http.MethodGet)
		s.HandleFunc("/jobs/summary", h.summary).Methods(http.MethodGet)
		s.HandleFunc("/jobs/search", h.search).Methods(http.MethodGet)
		s.HandleFunc("/job/success/{name}", h.success).Methods(http.MethodPut, http.MethodPost)
		s.HandleFunc("/job/stat/{name}", h.stat).Methods(http.MethodGet)
		s.HandleFunc("/job/{name}", h.getJob).Methods(http.MethodGet)
		s.HandleFunc("/job/{name}", h.runJob).Methods(http.MethodPut)
		s.HandleFunc("/job/{name}", h.deleteJob).Methods(http.MethodDelete)
		s.HandleFunc("/task/kill/{name}", h.killTasks).Methods(http.MethodDelete)
		s.HandleFunc("/graph/dot", h.dot).Methods(http.MethodGet)
		s.HandleFunc("/graph/csv", h.csv).Methods(http.MethodGet)
	}
	r.HandleFunc("/leader", h.leader).Methods(http.MethodGet)
	r.HandleFunc("/ping", h.ping).Methods(http.MethodGet)
	if opts.Metrics != nil {
		r.Handle("/metrics", opts.Metrics).Methods(http.MethodGet)
	}
	return r
}

type handlers struct {
	b    Backend
	opts Options
	log  *zap.Logger
}

// errorBody is Chronos's error shape.
type errorBody struct {
	Message string `json:"message"`
	Status  int    `json:"status"`
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, errorBody{Message: msg, Status: code})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// fail maps a backend error to its status: unknown job 404 (Chronos
// answered 400), invalid input 400, a client gone nothing, anything else
// 503 — the store or the loop is unavailable, try again.
func (h *handlers) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, runner.ErrNotFound):
		writeError(w, http.StatusNotFound, "job not found: "+mux.Vars(r)["name"])
	case errors.Is(err, runner.ErrInvalid):
		writeError(w, http.StatusBadRequest, err.Error())
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
	default:
		h.log.Warn("request failed", zap.String("path", r.URL.Path), zap.Error(err))
		writeError(w, http.StatusServiceUnavailable, "scheduler unavailable: "+err.Error())
	}
}
