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
	"strings"

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
	// AllowOrigins are the origins whose pages may call the API
	// (--access_control_allow_origin, see ParseOrigins); "*" allows any.
	// Empty: no CORS headers.
	AllowOrigins []string
	Logger       *zap.Logger
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
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		writeError(w, http.StatusNotFound, "no such endpoint: "+req.URL.Path)
	})
	r.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Allow", strings.Join(allowed(r, req), ", "))
		writeError(w, http.StatusMethodNotAllowed, req.Method+" is not allowed on "+req.URL.Path)
	})
	// Routes are registered on the root router with their full paths: a
	// gorilla/mux subrouter answers a method mismatch with its NotFound
	// handler, so per-prefix subrouters would turn every 405 into a 404.
	for _, p := range Prefixes {
		r.HandleFunc(p+"/iso8601", h.put(job.Scheduled)).Methods(http.MethodPost, http.MethodPut)
		r.HandleFunc(p+"/dependency", h.put(job.Dependent)).Methods(http.MethodPost, http.MethodPut)
		r.HandleFunc(p+"/jobs", h.jobs).Methods(http.MethodGet)
		r.HandleFunc(p+"/jobs/summary", h.summary).Methods(http.MethodGet)
		r.HandleFunc(p+"/jobs/search", h.search).Methods(http.MethodGet)
		r.HandleFunc(p+"/job/success/{name}", h.success).Methods(http.MethodPut, http.MethodPost)
		r.HandleFunc(p+"/job/stat/{name}", h.stat).Methods(http.MethodGet)
		r.HandleFunc(p+"/job/{name}", h.getJob).Methods(http.MethodGet)
		r.HandleFunc(p+"/job/{name}", h.runJob).Methods(http.MethodPut)
		r.HandleFunc(p+"/job/{name}", h.deleteJob).Methods(http.MethodDelete)
		r.HandleFunc(p+"/task/kill/{name}", h.killTasks).Methods(http.MethodDelete)
		r.HandleFunc(p+"/graph/dot", h.dot).Methods(http.MethodGet)
		r.HandleFunc(p+"/graph/csv", h.csv).Methods(http.MethodGet)
	}
	r.HandleFunc("/leader", h.leader).Methods(http.MethodGet)
	r.HandleFunc("/ping", h.ping).Methods(http.MethodGet)
	if opts.Metrics != nil {
		r.Handle("/metrics", opts.Metrics).Methods(http.MethodGet)
	}
	return withCORS(opts.AllowOrigins, r)
}

// allowed lists the methods r routes for req's path, for a 405's Allow.
func allowed(r *mux.Router, req *http.Request) []string {
	var out []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete} {
		probe := req.Clone(req.Context())
		probe.Method = m
		var match mux.RouteMatch
		if r.Match(probe, &match) && match.MatchErr == nil {
			out = append(out, m)
		}
	}
	return out
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
