package api

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/mux"
	"go.uber.org/zap"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// The agent-files proxy: GET /agents/{agent_id}/files/{browse,read,download}
// forwards to that agent's /files endpoint, so a page served by the master
// (the web UI) can list and tail sandboxes without talking to agents'
// origins. It adds no permission of its own and takes none away: the
// agent's checks (paths inside sandboxes, no '..', no symlinks out) decide.
// Only those three endpoints, only GET and HEAD, and only the path,
// offset and length parameters pass.
//
// A path may also be given the way Mesos's agents accept it for a
// sandbox, /frameworks/F/executors/E/runs/R[/...]; the proxy prefixes it
// with the agent's <work_dir>/slaves/<agent_id>, which the master knows and
// the page does not.

// agentFilesTimeout bounds waiting for an agent's response headers; a
// download's body may take longer.
const agentFilesTimeout = 10 * time.Second

// agentLocation is where the master reaches an agent's HTTP endpoints.
type agentLocation struct {
	addr    string // host:port
	workDir string // "" when the agent did not report it
}

// agentLocator finds a registered agent; ok is false for an agent the
// master does not know.
type agentLocator func(ctx context.Context, agentID string) (loc agentLocation, ok bool, err error)

// agentFiles is the proxy's handler.
type agentFiles struct {
	locate agentLocator
	client *http.Client
	log    *zap.Logger
}

// registerAgentFiles adds the proxy's routes to r.
func (h *Handler) registerAgentFiles(r *mux.Router) {
	p := &agentFiles{locate: newAgentCache(h.m.AgentAddress, time.Now, 5*time.Second).locate, client: agentFilesClient(), log: h.log}
	h.files = p
	r.Handle("/agents/{agent_id}/files/{endpoint}", h.guardSandboxes(p))
}

func (p *agentFiles) register(r *mux.Router) {
	r.Handle("/agents/{agent_id}/files/{endpoint}", p)
}

func agentFilesClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.ResponseHeaderTimeout = agentFilesTimeout
	t.DialContext = (&net.Dialer{Timeout: agentFilesTimeout}).DialContext
	return &http.Client{Transport: t, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func (p *agentFiles) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	vars := mux.Vars(r)
	agentID, endpoint := vars["agent_id"], vars["endpoint"]
	switch endpoint {
	case "browse", "read", "download":
	default:
		httpError(w, http.StatusNotFound, "No such endpoint /files/"+endpoint+": the proxy serves browse, read and download")
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		httpError(w, http.StatusMethodNotAllowed, "Expecting a 'GET' request, received '"+r.Method+"'")
		return
	}
	loc, ok, err := p.locate(r.Context(), agentID)
	if err != nil {
		writeError(w, err)
		return
	}
	if !ok {
		httpError(w, http.StatusNotFound, "Agent "+agentID+" is not registered with this master")
		return
	}
	target := agentFilesURL(loc, agentID, endpoint, r.URL.Query())
	req, err := http.NewRequestWithContext(r.Context(), r.Method, target, nil)
	if err != nil {
		httpError(w, http.StatusBadRequest, "Invalid request for agent "+agentID+": "+err.Error())
		return
	}
	resp, err := p.client.Do(req)
	if err != nil {
		if !errors.Is(err, context.Canceled) {
			p.log.Info("agent files proxy: agent did not answer", zap.String("agent_id", agentID), zap.String("address", loc.addr), zap.Error(err))
		}
		httpError(w, http.StatusBadGateway, "Agent "+agentID+" at "+loc.addr+" did not answer: "+err.Error())
		return
	}
	defer resp.Body.Close()
	copyAgentFilesHeaders(w.Header(), resp.Header, endpoint)
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}

// agentFilesURL is the agent's URL for a proxied request: only path,
// offset and length pass, and a Mesos-style sandbox path becomes the
// agent's real one.
func agentFilesURL(loc agentLocation, agentID, endpoint string, in url.Values) string {
	out := url.Values{}
	for _, k := range []string{"path", "offset", "length"} {
		if v, ok := in[k]; ok && len(v) > 0 {
			out.Set(k, v[0])
		}
	}
	if p := out.Get("path"); p != "" {
		out.Set("path", realSandboxPath(loc.workDir, agentID, p))
	}
	u := url.URL{Scheme: "http", Host: loc.addr, Path: "/files/" + endpoint, RawQuery: out.Encode()}
	return u.String()
}

// realSandboxPath maps Mesos's /frameworks/... sandbox paths below the
// agent's work dir; other paths pass unchanged (the agent judges them).
func realSandboxPath(workDir, agentID, p string) string {
	if workDir == "" || !strings.HasPrefix(p, "/frameworks/") {
		return p
	}
	return path.Join(workDir, "slaves", agentID) + p
}

// copyAgentFilesHeaders passes the headers a browser needs. Downloads are
// always attachments of opaque bytes: a sandbox file is written by a task,
// and the master's origin must not render it (that would let a task run
// script in the UI's origin).
func copyAgentFilesHeaders(dst, src http.Header, endpoint string) {
	dst.Set("X-Content-Type-Options", "nosniff")
	dst.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	dst.Set("Cache-Control", "no-store")
	if v := src.Get("Content-Length"); v != "" {
		dst.Set("Content-Length", v)
	}
	if endpoint != "download" {
		if v := src.Get("Content-Type"); v != "" {
			dst.Set("Content-Type", v)
		}
		return
	}
	dst.Set("Content-Type", "application/octet-stream")
	disposition := "attachment"
	if v := src.Get("Content-Disposition"); strings.HasPrefix(v, "attachment") {
		disposition = v
	}
	dst.Set("Content-Disposition", disposition)
}

// agentCache remembers agents' addresses for a short while, so a page
// tailing a file every second does not ask the master's loop each time. An
// agent that moves is found again once its entry expires.
type agentCache struct {
	lookup func(ctx context.Context, agentID string) (pid string, info *mesos.AgentInfo, workDir string, found bool, err error)
	now    func() time.Time
	ttl    time.Duration

	mu     sync.Mutex
	agents map[string]cachedLocation
}

type cachedLocation struct {
	agentLocation
	fetched time.Time
}

func newAgentCache(lookup func(context.Context, string) (string, *mesos.AgentInfo, string, bool, error), now func() time.Time, ttl time.Duration) *agentCache {
	return &agentCache{lookup: lookup, now: now, ttl: ttl, agents: map[string]cachedLocation{}}
}

// locate answers from the cache when it knows the agent and the entry is
// fresh, and otherwise asks the master about that one agent.
func (c *agentCache) locate(ctx context.Context, agentID string) (agentLocation, bool, error) {
	now := c.now()
	c.mu.Lock()
	if e, ok := c.agents[agentID]; ok && now.Sub(e.fetched) < c.ttl {
		c.mu.Unlock()
		return e.agentLocation, true, nil
	}
	c.mu.Unlock()
	pid, info, workDir, found, err := c.lookup(ctx, agentID)
	if err != nil || !found {
		return agentLocation{}, false, err
	}
	loc, ok := agentLocationOf(pid, info, workDir)
	if !ok {
		return agentLocation{}, false, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, e := range c.agents { // expired entries go, so the map stays small
		if now.Sub(e.fetched) >= c.ttl {
			delete(c.agents, id)
		}
	}
	c.agents[agentID] = cachedLocation{loc, now}
	return loc, true, nil
}

// agentLocationOf is where the master reaches an agent: the host:port of
// its PID (the address the master saw it connect from), else
// hostname:port from its AgentInfo.
func agentLocationOf(pid string, info *mesos.AgentInfo, workDir string) (agentLocation, bool) {
	addr := ""
	if i := strings.LastIndex(pid, "@"); i >= 0 && i+1 < len(pid) {
		addr = pid[i+1:]
	} else if info.GetHostname() != "" {
		addr = net.JoinHostPort(info.GetHostname(), strconv.Itoa(int(info.GetPort())))
	}
	return agentLocation{addr: addr, workDir: workDir}, addr != ""
}
