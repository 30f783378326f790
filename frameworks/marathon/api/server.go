package api

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gorilla/mux"
	"go.uber.org/zap"
)

// Config tunes the API server. The zero value is usable: every field has a
// default.
type Config struct {
	// HTTPEndpoints are event callback URLs registered at start, like
	// Marathon's --http_endpoints. More are added with POST
	// /v2/eventSubscriptions; the list lives in memory only.
	HTTPEndpoints []string
	// KeepAlive is how often an idle /v2/events stream gets a ":" comment
	// line, so proxies and clients keep the connection (default 15 s).
	KeepAlive time.Duration
	// EventBuffer is how many events an SSE stream or the callback fan-out
	// may fall behind before it is dropped (default 1024).
	EventBuffer int
	// CallbackQueue bounds the events waiting for one callback URL; when it
	// is full the oldest are dropped (default 1024).
	CallbackQueue int
	// CallbackAttempts is how many times one event is POSTed to a failing
	// callback (default 3), waiting CallbackBackoff, doubled each time,
	// between attempts (default 500 ms).
	CallbackAttempts int
	CallbackBackoff  time.Duration
	// CallbackTimeout bounds one callback POST (default 10 s).
	CallbackTimeout time.Duration
	// AccessControlAllowOrigin lists the origins ("http://host:port") whose
	// pages may call the API, or "*" for any, like Marathon's
	// --access_control_allow_origin. Empty: no cross-origin access.
	AccessControlAllowOrigin []string
	// MaxBody bounds request bodies (default 8 MiB).
	MaxBody int64
	// Now is the clock used for event timestamps (default time.Now).
	Now func() time.Time
}

func (c Config) withDefaults() Config {
	if c.KeepAlive == 0 {
		c.KeepAlive = 15 * time.Second
	}
	if c.EventBuffer == 0 {
		c.EventBuffer = 1024
	}
	if c.CallbackQueue == 0 {
		c.CallbackQueue = 1024
	}
	if c.CallbackAttempts == 0 {
		c.CallbackAttempts = 3
	}
	if c.CallbackBackoff == 0 {
		c.CallbackBackoff = 500 * time.Millisecond
	}
	if c.CallbackTimeout == 0 {
		c.CallbackTimeout = 10 * time.Second
	}
	if c.MaxBody == 0 {
		c.MaxBody = 8 << 20
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Validate reports the first unusable setting, naming it.
func (c Config) Validate() error {
	switch {
	case c.KeepAlive < 0:
		return errors.New("api: KeepAlive must not be negative")
	case c.EventBuffer < 0:
		return errors.New("api: EventBuffer must not be negative")
	case c.CallbackQueue < 0:
		return errors.New("api: CallbackQueue must not be negative")
	case c.CallbackAttempts < 0:
		return errors.New("api: CallbackAttempts must not be negative")
	case c.CallbackBackoff < 0 || c.CallbackTimeout < 0:
		return errors.New("api: CallbackBackoff and CallbackTimeout must not be negative")
	case c.MaxBody < 0:
		return errors.New("api: MaxBody must not be negative")
	}
	for _, u := range c.HTTPEndpoints {
		if err := checkCallbackURL(u); err != nil {
			return fmt.Errorf("api: HTTPEndpoints: %w", err)
		}
	}
	for _, o := range c.AccessControlAllowOrigin {
		if err := checkOrigin(o); err != nil {
			return fmt.Errorf("api: AccessControlAllowOrigin: %w", err)
		}
	}
	return nil
}

// Server is the /v2 REST API. It is an http.Handler; Close stops the event
// callback senders.
type Server struct {
	b      Backend
	log    *zap.Logger
	cfg    Config
	router *mux.Router
	cbs    *callbacks

	// Response counts by status class and open event streams, for /metrics.
	responses [6]atomic.Int64
	streams   atomic.Int64
}

// New returns the /v2 API over b with the default Config.
func New(b Backend, log *zap.Logger) http.Handler {
	s, err := NewServer(b, log, Config{})
	if err != nil { // the default Config is valid
		panic(err)
	}
	return s
}

// NewServer returns the /v2 API over b.
func NewServer(b Backend, log *zap.Logger, cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = zap.NewNop()
	}
	s := &Server{b: b, log: log.Named("marathon-api"), cfg: cfg.withDefaults()}
	s.cbs = newCallbacks(s)
	for _, u := range s.cfg.HTTPEndpoints {
		s.cbs.add(u)
	}
	s.router = s.routes()
	return s, nil
}

// Close stops the callback senders. Open event streams end with their
// requests.
func (s *Server) Close() error {
	s.cbs.close()
	return nil
}

// ServeHTTP serves one request. A trailing slash is ignored, as Marathon
// ignores it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if p := r.URL.Path; len(p) > 1 && strings.HasSuffix(p, "/") {
		r.URL.Path = strings.TrimRight(p, "/")
		if r.URL.Path == "" {
			r.URL.Path = "/"
		}
		r.URL.RawPath = ""
	}
	sw := &statusWriter{ResponseWriter: w}
	if !withCORS(s.cfg.AccessControlAllowOrigin, sw, r) {
		s.router.ServeHTTP(sw, r)
	}
	class := sw.status / 100
	if sw.status == 0 {
		class = 2
	}
	if class >= 1 && class <= 5 {
		s.responses[class].Add(1)
	}
}

func (s *Server) routes() *mux.Router {
	r := mux.NewRouter()
	// App IDs are paths: "/v2/apps//prod/web" must not be redirected.
	r.SkipClean(true)
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeMessage(w, http.StatusNotFound, "The requested resource "+r.URL.Path+" could not be found.")
	})
	r.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeMessage(w, http.StatusMethodNotAllowed, "HTTP method "+r.Method+" is not allowed on "+r.URL.Path)
	})
	h := func(path string, f func(http.ResponseWriter, *http.Request) error, methods ...string) {
		r.Handle(path, s.wrap(f)).Methods(methods...)
	}

	r.HandleFunc("/ping", s.ping).Methods(http.MethodGet, http.MethodHead)
	h("/metrics", s.metrics, http.MethodGet)
	h("/v2/info", s.info, http.MethodGet)
	h("/v2/leader", s.leader, http.MethodGet)
	h("/v2/leader", s.abdicate, http.MethodDelete)

	h("/v2/apps", s.listApps, http.MethodGet)
	h("/v2/apps", s.createApp, http.MethodPost)
	h("/v2/apps", s.updateApps, http.MethodPut, http.MethodPatch)
	h("/v2/apps/{id:.+}/restart", s.restartApp, http.MethodPost)
	h("/v2/apps/{id:.+}/tasks/{taskId}", s.killAppTask, http.MethodDelete)
	h("/v2/apps/{id:.+}/tasks", s.appTasks, http.MethodGet)
	h("/v2/apps/{id:.+}/tasks", s.killAppTasks, http.MethodDelete)
	h("/v2/apps/{id:.+}/versions/{version}", s.appVersion, http.MethodGet)
	h("/v2/apps/{id:.+}/versions", s.appVersions, http.MethodGet)
	h("/v2/apps/{id:.+}", s.getApp, http.MethodGet)
	h("/v2/apps/{id:.+}", s.updateApp, http.MethodPut, http.MethodPatch)
	h("/v2/apps/{id:.+}", s.deleteApp, http.MethodDelete)

	h("/v2/tasks", s.listTasks, http.MethodGet)
	h("/v2/tasks/delete", s.deleteTasks, http.MethodPost)

	h("/v2/deployments", s.listDeployments, http.MethodGet)
	h("/v2/deployments/{id}", s.getDeployment, http.MethodGet)
	h("/v2/deployments/{id}", s.cancelDeployment, http.MethodDelete)

	h("/v2/groups", s.getGroup, http.MethodGet)
	h("/v2/groups", s.createGroup, http.MethodPost)
	h("/v2/groups", s.updateGroup, http.MethodPut, http.MethodPatch)
	h("/v2/groups", s.deleteGroup, http.MethodDelete)
	h("/v2/groups/{id:.+}", s.getGroup, http.MethodGet)
	h("/v2/groups/{id:.+}", s.createGroup, http.MethodPost)
	h("/v2/groups/{id:.+}", s.updateGroup, http.MethodPut, http.MethodPatch)
	h("/v2/groups/{id:.+}", s.deleteGroup, http.MethodDelete)

	h("/v2/queue", s.queue, http.MethodGet)
	h("/v2/queue/{id:.+}/delay", s.resetDelay, http.MethodDelete)

	r.HandleFunc("/v2/events", s.events).Methods(http.MethodGet)
	h("/v2/eventSubscriptions", s.listSubscriptions, http.MethodGet)
	h("/v2/eventSubscriptions", s.subscribe, http.MethodPost)
	h("/v2/eventSubscriptions", s.unsubscribe, http.MethodDelete)
	return r
}

// wrap turns a handler returning an error into an http.Handler that maps the
// error to Marathon's status and body.
func (s *Server) wrap(f func(http.ResponseWriter, *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := f(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

func (s *Server) ping(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "must-revalidate,no-cache,no-store")
	_, _ = io.WriteString(w, "pong")
}

// readBody reads a request body within Config.MaxBody.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, &badRequest{status: http.StatusRequestEntityTooLarge,
				message: fmt.Sprintf("Request body is larger than %d bytes", s.cfg.MaxBody)}
		}
		return nil, errBadRequest("Reading the request body failed: " + err.Error())
	}
	return b, nil
}

// boolParam reads a boolean query parameter ("true"/"false", any case); a
// bare "?force" counts as true.
func boolParam(r *http.Request, name string) (bool, error) {
	q := r.URL.Query()
	if _, ok := q[name]; !ok {
		return false, nil
	}
	switch strings.ToLower(q.Get(name)) {
	case "true", "1", "":
		return true, nil
	case "false", "0":
		return false, nil
	}
	return false, errBadRequest(fmt.Sprintf("Query parameter %q must be true or false, got %q", name, q.Get(name)))
}

// pathID turns a path variable into an absolute Marathon ID: "prod/web" and
// "/prod/web/" → "/prod/web".
func pathID(v string) string {
	return "/" + strings.Trim(v, "/")
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// statusWriter records the status for /metrics; it passes Flush through for
// the event stream.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
