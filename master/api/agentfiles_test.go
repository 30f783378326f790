package api

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/mux"
	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/master"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// filesAgent is an agent's /files endpoints that records what reached them.
type filesAgent struct {
	*httptest.Server
	got chan *http.Request
}

func newFilesAgent(t *testing.T, h http.HandlerFunc) *filesAgent {
	a := &filesAgent{got: make(chan *http.Request, 10)}
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.got <- r
		h(w, r)
	}))
	t.Cleanup(a.Close)
	return a
}

func (a *filesAgent) addr() string { return strings.TrimPrefix(a.URL, "http://") }

// proxyFor serves the proxy with one known agent, "S1", at addr.
func proxyFor(addr, workDir string) http.Handler {
	p := &agentFiles{
		locate: func(_ context.Context, id string) (agentLocation, bool, error) {
			if id != "S1" {
				return agentLocation{}, false, nil
			}
			return agentLocation{addr: addr, workDir: workDir}, true, nil
		},
		client: agentFilesClient(),
		log:    zap.NewNop(),
	}
	r := mux.NewRouter()
	p.register(r)
	return r
}

func proxyServe(h http.Handler, method, target string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(method, target, nil))
	return w
}

func TestAgentFilesForwardsToTheAgent(t *testing.T) {
	agent := newFilesAgent(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Set-Cookie", "agent=1") // not the master's to pass on
		_, _ = io.WriteString(w, `{"data":"hello\n","offset":0}`)
	})
	h := proxyFor(agent.addr(), "/var/lib/agora")
	w := proxyServe(h, http.MethodGet, "/agents/S1/files/read?path=/frameworks/F/executors/E/runs/latest/stdout&offset=0&length=100&jsonp=cb&extra=1")
	if w.Code != http.StatusOK || w.Body.String() != `{"data":"hello\n","offset":0}` {
		t.Fatalf("got %d %q", w.Code, w.Body.String())
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	if w.Header().Get("Set-Cookie") != "" {
		t.Error("the agent's Set-Cookie reached the browser")
	}
	r := <-agent.got
	if r.URL.Path != "/files/read" || r.Method != http.MethodGet {
		t.Errorf("agent got %s %s", r.Method, r.URL.Path)
	}
	want := url.Values{"path": {"/var/lib/agora/slaves/S1/frameworks/F/executors/E/runs/latest/stdout"}, "offset": {"0"}, "length": {"100"}}
	if got := r.URL.Query(); got.Encode() != want.Encode() {
		t.Errorf("agent got query %v, want %v", got, want)
	}
}

func TestAgentFilesPassesTheAgentsAnswer(t *testing.T) {
	agent := newFilesAgent(t, func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "Path '/etc/passwd' is outside the sandboxes", http.StatusForbidden)
	})
	w := proxyServe(proxyFor(agent.addr(), ""), http.MethodGet, "/agents/S1/files/browse?path=/etc/passwd")
	if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "outside the sandboxes") {
		t.Errorf("got %d %q, want the agent's 403", w.Code, w.Body.String())
	}
	if r := <-agent.got; r.URL.Query().Get("path") != "/etc/passwd" {
		t.Errorf("a real path was changed: %q", r.URL.Query().Get("path"))
	}
}

func TestAgentFilesDownloadIsAnAttachment(t *testing.T) {
	agent := newFilesAgent(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = io.WriteString(w, "<script>alert(1)</script>")
	})
	w := proxyServe(proxyFor(agent.addr(), ""), http.MethodGet, "/agents/S1/files/download?path=/x/index.html")
	if w.Code != http.StatusOK {
		t.Fatalf("got %d", w.Code)
	}
	for k, want := range map[string]string{
		"Content-Type": "application/octet-stream", "Content-Disposition": "attachment",
		"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox; default-src 'none'",
	} {
		if got := w.Header().Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
}

func TestAgentFilesRefusals(t *testing.T) {
	agent := newFilesAgent(t, func(w http.ResponseWriter, r *http.Request) { t.Errorf("agent reached with %s %s", r.Method, r.URL) })
	h := proxyFor(agent.addr(), "")
	for _, c := range []struct {
		method, target string
		status         int
		says           string
	}{
		{http.MethodGet, "/agents/S9/files/browse?path=/x", http.StatusNotFound, "Agent S9 is not registered"},
		{http.MethodPost, "/agents/S1/files/read?path=/x", http.StatusMethodNotAllowed, "Expecting a 'GET' request"},
		{http.MethodDelete, "/agents/S1/files/download?path=/x", http.StatusMethodNotAllowed, "received 'DELETE'"},
		{http.MethodGet, "/agents/S1/files/debug", http.StatusNotFound, "browse, read and download"},
		{http.MethodGet, "/agents/S1/state", http.StatusNotFound, ""},
	} {
		w := proxyServe(h, c.method, c.target)
		if w.Code != c.status || !strings.Contains(w.Body.String(), c.says) {
			t.Errorf("%s %s: %d %q, want %d saying %q", c.method, c.target, w.Code, w.Body.String(), c.status, c.says)
		}
	}
}

func TestAgentFilesAgentDown(t *testing.T) {
	agent := newFilesAgent(t, func(http.ResponseWriter, *http.Request) {})
	addr := agent.addr()
	agent.Close()
	w := proxyServe(proxyFor(addr, ""), http.MethodGet, "/agents/S1/files/browse?path=/x")
	if w.Code != http.StatusBadGateway || !strings.Contains(w.Body.String(), "Agent S1 at "+addr+" did not answer") {
		t.Errorf("got %d %q, want 502 naming the agent", w.Code, w.Body.String())
	}
}

func TestAgentCacheRefreshes(t *testing.T) {
	now := time.Unix(1000, 0)
	calls := 0
	pid := "slave(1)@10.0.0.1:5051"
	lookup := func(_ context.Context, id string) (string, *mesos.AgentInfo, string, bool, error) {
		calls++
		switch id {
		case "S1":
			return pid, nil, "/w", true, nil
		case "S2":
			return "", &mesos.AgentInfo{Hostname: proto.String("h2"), Port: proto.Int32(5052)}, "", true, nil
		}
		return "", nil, "", false, nil
	}
	c := newAgentCache(lookup, func() time.Time { return now }, 5*time.Second)
	check := func(id string, wantOK bool, want agentLocation, wantCalls int) {
		t.Helper()
		loc, ok, err := c.locate(context.Background(), id)
		if err != nil || ok != wantOK || loc != want || calls != wantCalls {
			t.Errorf("locate(%s) = %+v %v %v after %d lookups; want %+v %v after %d", id, loc, ok, err, calls, want, wantOK, wantCalls)
		}
	}
	check("S1", true, agentLocation{addr: "10.0.0.1:5051", workDir: "/w"}, 1)
	check("S1", true, agentLocation{addr: "10.0.0.1:5051", workDir: "/w"}, 1) // from the cache
	check("S2", true, agentLocation{addr: "h2:5052"}, 2)
	check("S3", false, agentLocation{}, 3) // an unknown agent looks again
	check("S3", false, agentLocation{}, 4)
	pid = "slave(1)@10.0.0.9:5051"
	now = now.Add(6 * time.Second)
	check("S1", true, agentLocation{addr: "10.0.0.9:5051", workDir: "/w"}, 5) // expired: the new address
	if len(c.agents) != 1 {
		t.Errorf("cache holds %d entries after expiry, want 1", len(c.agents))
	}

	failing := newAgentCache(func(context.Context, string) (string, *mesos.AgentInfo, string, bool, error) {
		return "", nil, "", false, master.ErrStopped
	}, time.Now, time.Second)
	if _, _, err := failing.locate(context.Background(), "S1"); !errors.Is(err, master.ErrStopped) {
		t.Errorf("a stopped master: %v", err)
	}
}

// FuzzAgentFilesURL checks that whatever the query, the proxy asks only
// the located agent, on the endpoint named, with only path, offset and
// length.
func FuzzAgentFilesURL(f *testing.F) {
	f.Add("/frameworks/F/executors/E/runs/latest/stdout", "0", "read", "path=x&offset=1")
	f.Add("/frameworks/../../../etc/passwd", "-1", "browse", "")
	f.Add("//evil.example/x", "", "download", "path=%zz")
	f.Add("http://evil.example/", "1", "read", "length=-1&host=evil")
	f.Fuzz(func(t *testing.T, path, offset, endpoint, rawQuery string) {
		in, _ := url.ParseQuery(rawQuery)
		in.Set("path", path)
		in.Set("offset", offset)
		loc := agentLocation{addr: "10.0.0.1:5051", workDir: "/w"}
		u, err := url.Parse(agentFilesURL(loc, "S1", endpoint, in))
		if err != nil {
			t.Fatalf("unparsable URL: %v", err)
		}
		if u.Scheme != "http" || u.Host != loc.addr || u.Path != "/files/"+endpoint {
			t.Fatalf("proxied to %s", u)
		}
		for k := range u.Query() {
			if k != "path" && k != "offset" && k != "length" {
				t.Fatalf("parameter %q passed", k)
			}
		}
		got := u.Query().Get("path")
		if got != path && got != "/w/slaves/S1"+path {
			t.Fatalf("path %q became %q", path, got)
		}
	})
}
