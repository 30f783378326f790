package api

import (
	"crypto/tls"
	"net/http"
	"path"
	"strings"

	"github.com/agoraproject/agora/internal/acl"
)

// guardSandboxes checks access_sandboxes before the files proxy forwards
// a request: the object is the user of the framework whose sandbox the
// path lies in; a path in no framework's sandbox has no object, which
// only an ANY rule grants. A path with ".." is refused outright, so what
// is checked is what the agent reads.
func (h *Handler) guardSandboxes(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Query().Get("path")
		for _, seg := range strings.Split(p, "/") {
			if seg == ".." {
				httpError(w, http.StatusBadRequest, "path "+p+": '..' is not allowed")
				return
			}
		}
		if !h.sec.enabled() {
			next.ServeHTTP(w, r)
			return
		}
		user := ""
		if fw := sandboxFramework(p); fw != "" {
			owner, found, err := h.m.FrameworkOwner(r.Context(), fw)
			if err != nil {
				writeError(w, err)
				return
			}
			if found {
				user = owner.User
			}
		}
		if !h.allowed(w, r, acl.AccessSandboxes, principalOf(r), user) {
			return
		}
		next.ServeHTTP(w, r)
	})
}

// sandboxFramework returns the framework ID of a sandbox path
// (.../frameworks/<id>/executors/...), or "".
func sandboxFramework(p string) string {
	segs := strings.Split(path.Clean("/"+p), "/")
	for i := 0; i+1 < len(segs); i++ {
		if segs[i] == "frameworks" && segs[i+1] != "" {
			return segs[i+1]
		}
	}
	return ""
}

// useTLS makes the proxy reach agents over HTTPS with cfg (the master's
// node certificate, trusting the cluster CA).
func (p *agentFiles) useTLS(cfg *tls.Config) {
	t := p.client.Transport.(*http.Transport).Clone()
	t.TLSClientConfig = cfg
	p.client = &http.Client{Transport: httpsOnly{t}, CheckRedirect: p.client.CheckRedirect}
}

// httpsOnly sends every request over HTTPS: agents of a TLS cluster
// serve nothing else to the master.
type httpsOnly struct{ next http.RoundTripper }

func (t httpsOnly) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Scheme == "http" {
		r = r.Clone(r.Context())
		r.URL.Scheme = "https"
	}
	return t.next.RoundTrip(r)
}
