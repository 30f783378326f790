package api

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"

	"go.uber.org/zap"

	"github.com/agoraproject/agora/master"
	"github.com/agoraproject/agora/proto/codec"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	masterpb "github.com/agoraproject/agora/proto/mesos/v1/master"
)

// LeaderRouter serves a master process that may or may not lead. While a
// term's master leads, requests go to its Handler; otherwise API calls are
// answered 307 with the leader's address (Mesos's scheme-relative
// "//host:port/path"), or 503 while no leader is known. /health and
// /version are always answered locally, and /master/redirect sends to the
// leader from any master.
type LeaderRouter struct {
	log     *zap.Logger
	leader  func() (*mesos.MasterInfo, bool)
	current atomic.Pointer[leading]
}

type leading struct {
	m *master.Master
	h http.Handler
}

// NewLeaderRouter routes by who leads; leader reports the leading master's
// MasterInfo (master.Leader.LeaderInfo).
func NewLeaderRouter(leader func() (*mesos.MasterInfo, bool), log *zap.Logger) *LeaderRouter {
	if log == nil {
		log = zap.NewNop()
	}
	return &LeaderRouter{log: log.Named("router"), leader: leader}
}

// Lead routes requests to h, the handler of m, which now leads.
func (lr *LeaderRouter) Lead(m *master.Master, h http.Handler) {
	lr.current.Store(&leading{m: m, h: h})
}

// Follow stops routing to the former leader.
func (lr *LeaderRouter) Follow() { lr.current.Store(nil) }

// ServeHTTP implements http.Handler.
func (lr *LeaderRouter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if cur := lr.current.Load(); cur != nil {
		if isOperatorPath(r.URL.Path) && r.Method == http.MethodPost {
			lr.durableOperatorCall(cur, w, r)
			return
		}
		cur.h.ServeHTTP(w, r)
		return
	}
	switch r.URL.Path {
	case "/health", "/master/health":
		w.WriteHeader(http.StatusOK)
		return
	case "/version":
		writeJSON(w, r, map[string]any{"version": master.Version, "build_date": "", "build_time": 0, "build_user": "", "git_sha": ""})
		return
	}
	info, ok := lr.leader()
	if !ok {
		httpError(w, http.StatusServiceUnavailable, "No leading master")
		return
	}
	loc := redirectScheme(r) + leaderHostPort(info)
	if p := r.URL.Path; p != "/master/redirect" && p != "/redirect" {
		loc += r.URL.RequestURI()
	}
	w.Header().Set("Location", loc)
	w.WriteHeader(http.StatusTemporaryRedirect)
}

// leaderHostPort is where clients reach a master: its advertised IP,
// falling back to its hostname.
func leaderHostPort(info *mesos.MasterInfo) string {
	host := info.GetAddress().GetHostname()
	if ip := info.GetAddress().GetIp(); ip != "" && ip != "0.0.0.0" {
		host = ip
	}
	if host == "" {
		host = info.GetHostname()
	}
	port := int(info.GetAddress().GetPort())
	if port == 0 {
		port = int(info.GetPort())
	}
	return net.JoinHostPort(host, strconv.Itoa(port))
}

func isOperatorPath(p string) bool { return p == "/api/v1" || p == "/master/api/v1" }

// maxPeek bounds the operator calls whose type is read here; larger bodies
// are passed on untouched (they are never the registry-changing calls).
const maxPeek = 1 << 20

// durableOperatorCall serves an operator call; for calls that change the
// registry (MARK_AGENT_GONE, UPDATE_WEIGHTS) the success answer is held
// back until the change is durable, so an acknowledged change survives a
// failover.
func (lr *LeaderRouter) durableOperatorCall(cur *leading, w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxPeek+1))
	if err != nil {
		httpError(w, http.StatusBadRequest, "reading the request body: "+err.Error())
		return
	}
	rest := r.Body
	r.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(body), rest), rest}
	if len(body) > maxPeek || !changesRegistry(r.Header.Get("Content-Type"), body) {
		cur.h.ServeHTTP(w, r)
		return
	}
	rec := &heldResponse{header: http.Header{}}
	cur.h.ServeHTTP(rec, r)
	if rec.status/100 == 2 {
		if err := cur.m.SyncRegistry(r.Context()); err != nil {
			httpError(w, http.StatusServiceUnavailable, "the change is not durable: "+err.Error())
			return
		}
	}
	for k, v := range rec.header {
		w.Header()[k] = v
	}
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	w.WriteHeader(rec.status)
	_, _ = w.Write(rec.body.Bytes())
}

func changesRegistry(contentType string, body []byte) bool {
	c, err := codec.ForContentType(contentType)
	if err != nil {
		return false
	}
	call := &masterpb.Call{}
	if c.Unmarshal(body, call) != nil {
		return false
	}
	switch call.GetType() {
	case masterpb.Call_MARK_AGENT_GONE, masterpb.Call_UPDATE_WEIGHTS:
		return true
	}
	return false
}

// heldResponse buffers a small, non-streaming response.
type heldResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (h *heldResponse) Header() http.Header { return h.header }

func (h *heldResponse) WriteHeader(status int) {
	if h.status == 0 {
		h.status = status
	}
}

func (h *heldResponse) Write(b []byte) (int, error) {
	if h.status == 0 {
		h.status = http.StatusOK
	}
	return h.body.Write(b)
}

// redirectScheme begins a redirect's Location: "https://" for a request
// that came over TLS — masters of a cluster all speak TLS or none does,
// and a client must not be sent to plain HTTP with its credentials —
// else Mesos's scheme-relative "//".
func redirectScheme(r *http.Request) string {
	if r.TLS != nil {
		return "https://"
	}
	return "//"
}
