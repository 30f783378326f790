// Package leaderproxy is HTTP middleware for replicated frameworks: a
// replica that does not lead forwards each request to the one that does,
// streaming both ways (server-sent events included), so clients may talk to
// any replica, as with Marathon and Chronos. It does not elect; it asks the
// caller who leads.
package leaderproxy

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
)

// Config says who leads and what never leaves this replica.
type Config struct {
	// IsLeader reports whether this replica leads.
	IsLeader func() bool
	// LeaderURL returns the leader's base URL ("http://host:port"); ok is
	// false when no leader is known.
	LeaderURL func() (string, bool)
	// Header names the response header that carries the leader's URL
	// ("X-Marathon-Leader"); empty for none.
	Header string
	// Local are paths always served here ("/ping", "/v2/leader"); an entry
	// ending in "/" covers everything under it.
	Local []string
	// Transport carries forwarded requests; nil is http.DefaultTransport,
	// which trusts the system's roots. A leader serving https with a
	// certificate of a private CA (the cluster CA, or --ssl_ca_file's)
	// needs TLSTransport.
	Transport http.RoundTripper
}

// TLSTransport is http.DefaultTransport's settings with cfg for TLS,
// e.g. &tls.Config{RootCAs: pool} to trust only a private CA.
func TLSTransport(cfg *tls.Config) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = cfg
	return t
}

// ProxiedHeader marks a request a replica has forwarded. A replica that
// gets one while not leading answers 503 instead of forwarding again, so
// two replicas that each think the other leads cannot bounce a request.
const ProxiedHeader = "X-Agora-Leader-Proxy"

// New wraps next, which serves requests on the leader and the Local paths.
func New(cfg Config, next http.Handler) http.Handler {
	return &handler{cfg: cfg, next: next}
}

type handler struct {
	cfg  Config
	next http.Handler

	mu     sync.Mutex
	target string
	proxy  *httputil.ReverseProxy
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	leaderURL, known := h.cfg.LeaderURL()
	if known && h.cfg.Header != "" {
		w.Header().Set(h.cfg.Header, leaderURL)
	}
	if h.isLocal(r.URL.Path) || h.cfg.IsLeader() {
		h.next.ServeHTTP(w, r)
		return
	}
	if !known {
		writeError(w, http.StatusServiceUnavailable, "no leader is elected at the moment; try again shortly")
		return
	}
	if r.Header.Get(ProxiedHeader) != "" {
		writeError(w, http.StatusServiceUnavailable, "leadership is changing; try again shortly")
		return
	}
	p, err := h.proxyFor(leaderURL)
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	p.ServeHTTP(w, r)
}

func (h *handler) isLocal(p string) bool {
	for _, l := range h.cfg.Local {
		if p == l || (strings.HasSuffix(l, "/") && strings.HasPrefix(p, l)) {
			return true
		}
	}
	return false
}

// proxyFor returns the reverse proxy to leaderURL, reusing the last one
// while the leader stays the same.
func (h *handler) proxyFor(leaderURL string) (*httputil.ReverseProxy, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.proxy != nil && h.target == leaderURL {
		return h.proxy, nil
	}
	u, err := url.Parse(leaderURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("leader URL %q is not an http(s)://host:port URL", leaderURL)
	}
	p := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(u)
			pr.SetXForwarded()
			pr.Out.Header.Set(ProxiedHeader, "1")
		},
		// Flush every write: event streams must not wait in a buffer.
		FlushInterval: -1,
		Transport:     h.cfg.Transport,
		ModifyResponse: func(resp *http.Response) error {
			if h.cfg.Header != "" {
				resp.Header.Set(h.cfg.Header, leaderURL)
			}
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			writeError(w, http.StatusBadGateway, fmt.Sprintf("leader %s did not answer: %v", leaderURL, err))
		},
	}
	h.target, h.proxy = leaderURL, p
	return p, nil
}

func writeError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"message": msg})
}
