package agent

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/gorilla/mux"

	"github.com/agoraproject/agora/agent/executorapi"
	"github.com/agoraproject/agora/internal/pki"
)

// How a TLS agent serves. Its port speaks HTTPS with the agent's node
// certificate; there, everything but health, version, metrics and the
// executor API needs the master's certificate (the master's files proxy
// checks access_sandboxes before it forwards, so direct access must not
// bypass it). Executors hold no certificate: they reach the executor API
// over plain HTTP on a second port (Config.ExecutorPort), which serves
// nothing else.

// MasterHTTPClient is the agent's client to a TLS master: the default
// client's timeouts and pooling with tlsCfg (pki.ClientConfig with the
// agent's certificate and the master role).
func MasterHTTPClient(tlsCfg *tls.Config) *http.Client {
	c := newHTTPClient()
	c.Transport.(*http.Transport).TLSClientConfig = tlsCfg
	return c
}

// ExecutorHandler serves only the executor API, for the plain-HTTP
// executor port of a TLS agent.
func (a *Agent) ExecutorHandler() http.Handler {
	r := mux.NewRouter()
	for _, prefix := range []string{"", "/slave(1)"} {
		r.Handle(prefix+executorapi.Path, executorapi.New(execBackend{a}, a.log))
		r.HandleFunc(prefix+"/health", a.health).Methods(http.MethodGet, http.MethodHead)
	}
	return r
}

// RequireMasterCertificate guards a TLS agent's handler: requests other
// than the public ones need a verified certificate of role master.
func RequireMasterCertificate(h http.Handler) http.Handler {
	return pki.RequireRole(pki.RoleMaster, func(r *http.Request) bool { return !publicOnTLS(r.URL.Path) }, h)
}

func publicOnTLS(p string) bool {
	p = strings.TrimPrefix(p, "/slave(1)")
	switch p {
	case "/health", "/version", "/metrics", "/metrics/snapshot", executorapi.Path:
		return true
	}
	return false
}

// executorEndpoint is MESOS_AGENT_ENDPOINT: where executors reach the
// executor API.
func (a *Agent) executorEndpoint() string {
	if a.cfg.ExecutorPort != 0 {
		return net.JoinHostPort(a.ip, fmt.Sprint(a.cfg.ExecutorPort))
	}
	return a.endpoint()
}

// LeaderSigner renews the agent's certificate through the master it
// follows at the time (an agent given --master zk:// follows the leader),
// over client, which presents the current certificate.
func (a *Agent) LeaderSigner(client *http.Client) pki.SignFunc {
	return func(ctx context.Context, csrPEM []byte) ([]byte, error) {
		u := a.master.endpoint.Load()
		if u == nil {
			return nil, errors.New("pki: renew: no leading master known")
		}
		return pki.RemoteSigner(client, u.Scheme+"://"+u.Host)(ctx, csrPEM)
	}
}

// WithCredential makes client send principal and secret as HTTP Basic on
// every request, redirects to another master included (for a master with
// --authenticate_agents). It returns a new client.
func WithCredential(client *http.Client, principal, secret string) *http.Client {
	if client == nil {
		client = newHTTPClient()
	}
	c := *client
	next := c.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	c.Transport = basicAuth{next: next, principal: principal, secret: secret}
	return &c
}

type basicAuth struct {
	next              http.RoundTripper
	principal, secret string
}

func (b basicAuth) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.SetBasicAuth(b.principal, b.secret)
	return b.next.RoundTrip(r)
}
