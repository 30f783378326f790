package leaderproxy

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// replica is one framework replica: its own handler behind the middleware.
type replica struct {
	srv    *httptest.Server
	leads  atomic.Bool
	leader atomic.Value // string; "" for none
}

func newReplica(t *testing.T, name string, app http.Handler) *replica {
	r := &replica{}
	r.leader.Store("")
	if app == nil {
		app = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			body, _ := io.ReadAll(req.Body)
			fmt.Fprintf(w, "%s %s %s?%s body=%s proxied=%t", name, req.Method, req.URL.Path, req.URL.RawQuery, body, req.Header.Get("X-Forwarded-For") != "")
		})
	}
	h := New(Config{
		IsLeader: r.leads.Load,
		LeaderURL: func() (string, bool) {
			l := r.leader.Load().(string)
			return l, l != ""
		},
		Header: "X-Marathon-Leader",
		Local:  []string{"/ping", "/v2/leader", "/public/"},
	}, app)
	r.srv = httptest.NewServer(h)
	t.Cleanup(r.srv.Close)
	return r
}

func do(t *testing.T, method, url, body string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestFollowerProxiesToLeader(t *testing.T) {
	leader := newReplica(t, "leader", nil)
	follower := newReplica(t, "follower", nil)
	leader.leads.Store(true)
	leader.leader.Store(leader.srv.URL)
	follower.leader.Store(leader.srv.URL)

	resp, body := do(t, "POST", follower.srv.URL+"/v2/apps?force=true", `{"id":"web"}`)
	if resp.StatusCode != 200 || body != `leader POST /v2/apps?force=true body={"id":"web"} proxied=true` {
		t.Fatalf("proxied: %d %q", resp.StatusCode, body)
	}
	if got := resp.Header.Get("X-Marathon-Leader"); got != leader.srv.URL {
		t.Fatalf("X-Marathon-Leader = %q, want %q", got, leader.srv.URL)
	}
	// The leader serves itself and names itself.
	resp, body = do(t, "GET", leader.srv.URL+"/v2/apps", "")
	if !strings.HasPrefix(body, "leader GET /v2/apps") || resp.Header.Get("X-Marathon-Leader") != leader.srv.URL {
		t.Fatalf("leader local: %q, header %q", body, resp.Header.Get("X-Marathon-Leader"))
	}
	// Allowlisted paths stay on the follower.
	for _, p := range []string{"/ping", "/v2/leader", "/public/index.html"} {
		_, body = do(t, "GET", follower.srv.URL+p, "")
		if !strings.HasPrefix(body, "follower GET "+p) {
			t.Errorf("%s on follower served by: %q", p, body)
		}
	}
	_, body = do(t, "GET", follower.srv.URL+"/pingx", "")
	if !strings.HasPrefix(body, "leader") {
		t.Errorf("/pingx is not allowlisted but was served by: %q", body)
	}
}

func TestNoLeader503(t *testing.T) {
	follower := newReplica(t, "follower", nil)
	resp, body := do(t, "GET", follower.srv.URL+"/v2/apps", "")
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("no leader: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var m struct{ Message string }
	if err := json.Unmarshal([]byte(body), &m); err != nil || !strings.Contains(m.Message, "no leader") {
		t.Fatalf("no leader body %q (%v)", body, err)
	}
	if resp.Header.Get("X-Marathon-Leader") != "" {
		t.Fatal("leader header set with no leader known")
	}
	// Still served locally.
	if _, body := do(t, "GET", follower.srv.URL+"/ping", ""); !strings.HasPrefix(body, "follower") {
		t.Fatalf("/ping without leader: %q", body)
	}
}

// Two replicas that each believe the other leads answer 503 rather than
// bouncing the request between them.
func TestNoProxyLoop(t *testing.T) {
	a := newReplica(t, "a", nil)
	b := newReplica(t, "b", nil)
	a.leader.Store(b.srv.URL)
	b.leader.Store(a.srv.URL)
	resp, body := do(t, "GET", a.srv.URL+"/v2/apps", "")
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "changing") {
		t.Fatalf("loop: %d %q", resp.StatusCode, body)
	}
}

func TestLeaderDown502(t *testing.T) {
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()
	f := newReplica(t, "follower", nil)
	f.leader.Store(deadURL)
	resp, body := do(t, "GET", f.srv.URL+"/v2/apps", "")
	if resp.StatusCode != http.StatusBadGateway || !strings.Contains(body, deadURL) {
		t.Fatalf("dead leader: %d %q", resp.StatusCode, body)
	}
}

// An event stream reaches the client through the follower event by event,
// while the leader's handler is still running.
func TestSSEStreamsThrough(t *testing.T) {
	release := make(chan struct{})
	leader := newReplica(t, "leader", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "event: status_update_event\ndata: {\"n\":1}\n\n")
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		fmt.Fprint(w, "event: status_update_event\ndata: {\"n\":2}\n\n")
	}))
	follower := newReplica(t, "follower", nil)
	leader.leads.Store(true)
	follower.leader.Store(leader.srv.URL)

	req, _ := http.NewRequest("GET", follower.srv.URL+"/v2/events", nil)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("X-Marathon-Leader") != leader.srv.URL || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("headers %v", resp.Header)
	}
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	next := func() string {
		select {
		case l := <-lines:
			return l
		case <-time.After(5 * time.Second):
			t.Fatal("event did not stream through before the handler finished")
			return ""
		}
	}
	if l := next(); l != "event: status_update_event" {
		t.Fatalf("first line %q", l)
	}
	if l := next(); l != `data: {"n":1}` {
		t.Fatalf("second line %q", l)
	}
	close(release)
	next() // blank separator
	next()
	if l := next(); l != `data: {"n":2}` {
		t.Fatalf("second event %q", l)
	}
}

// A leader serving https with a private CA's certificate is reached
// through a transport trusting that CA, and not through the system's
// roots.
func TestProxyToLeaderOverPrivateCA(t *testing.T) {
	leader := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "leader %s tls=%t", r.URL.Path, r.TLS != nil)
	}))
	t.Cleanup(leader.Close)
	pool := x509.NewCertPool()
	pool.AddCert(leader.Certificate())

	standby := func(tr http.RoundTripper) string {
		h := New(Config{
			IsLeader:  func() bool { return false },
			LeaderURL: func() (string, bool) { return leader.URL, true },
			Transport: tr,
		}, http.NotFoundHandler())
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		return srv.URL
	}
	trusting := TLSTransport(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12})
	t.Cleanup(trusting.CloseIdleConnections)
	if resp, body := do(t, "GET", standby(trusting)+"/v2/apps", ""); resp.StatusCode != 200 || body != "leader /v2/apps tls=true" {
		t.Errorf("trusting the private CA: %d %q", resp.StatusCode, body)
	}
	resp, body := do(t, "GET", standby(nil)+"/v2/apps", "")
	if resp.StatusCode != http.StatusBadGateway || !strings.Contains(body, "certificate") {
		t.Errorf("with the system's roots: %d %q, want 502 naming the certificate", resp.StatusCode, body)
	}
	other := TLSTransport(&tls.Config{RootCAs: x509.NewCertPool()})
	t.Cleanup(other.CloseIdleConnections)
	if resp, body := do(t, "GET", standby(other)+"/v2/apps", ""); resp.StatusCode != http.StatusBadGateway {
		t.Errorf("trusting another CA: %d %q, want 502", resp.StatusCode, body)
	}
}
