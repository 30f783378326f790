package scheduler

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
)

// TLS configures HTTPS to the master. A Master given as host:port is
// then reached with https://.
type TLS struct {
	// CAFile is a PEM file of the certificates to trust, such as the
	// cluster CA (the master's <work_dir>/ca.crt); empty trusts the
	// system's roots.
	CAFile string
	// InsecureSkipVerify accepts any server certificate. For tests only:
	// it gives up knowing who receives the framework's secret.
	InsecureSkipVerify bool
}

// Credential authenticates the framework with HTTP Basic, as Mesos's
// framework principal and secret (Marathon's
// --mesos_authentication_principal and --mesos_authentication_secret_file).
type Credential struct {
	Principal string
	Secret    string
}

// String hides the secret.
func (c Credential) String() string { return "{principal:" + c.Principal + " secret:(redacted)}" }

// applySecurity builds the HTTP client TLS and Credential ask for, over
// base (nil: http.DefaultTransport), and the master list with https.
func (c Config) applySecurity() (Config, error) {
	if c.TLS == nil && c.HTTPClient != nil && speaksTLS(c.HTTPClient.Transport) {
		// A TLS client of the framework's own: its masters are https too.
		c.Master = withHTTPS(c.Master)
	}
	if c.TLS == nil && c.Credential == nil {
		return c, nil
	}
	var rt http.RoundTripper = http.DefaultTransport
	if c.HTTPClient != nil && c.HTTPClient.Transport != nil {
		rt = c.HTTPClient.Transport
	}
	if c.TLS != nil {
		cfg, err := c.TLS.config()
		if err != nil {
			return c, err
		}
		t, ok := rt.(*http.Transport)
		if !ok {
			return c, errors.New("scheduler: TLS needs HTTPClient.Transport to be an *http.Transport (or unset)")
		}
		t = t.Clone()
		t.TLSClientConfig = cfg
		rt = t
		c.Master = withHTTPS(c.Master)
	}
	if c.Credential != nil {
		if c.Credential.Principal == "" {
			return c, errors.New("scheduler: Credential.Principal is required")
		}
		rt = basicAuth{next: rt, principal: c.Credential.Principal, secret: c.Credential.Secret}
	}
	hc := &http.Client{Transport: rt}
	if c.HTTPClient != nil {
		copied := *c.HTTPClient
		copied.Transport = rt
		hc = &copied
	}
	c.HTTPClient = hc
	return c, nil
}

func (t *TLS) config() (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: t.InsecureSkipVerify}
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("scheduler: TLS.CAFile: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("scheduler: TLS.CAFile %s: no PEM certificate", t.CAFile)
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}

// withHTTPS gives https:// to the masters of a list that name no scheme.
func withHTTPS(masters string) string {
	parts := strings.Split(masters, ",")
	for i, p := range parts {
		if p = strings.TrimSpace(p); p != "" && !strings.Contains(p, "://") {
			parts[i] = "https://" + p
		}
	}
	return strings.Join(parts, ",")
}

// basicAuth adds the framework's credentials to every request.
type basicAuth struct {
	next              http.RoundTripper
	principal, secret string
}

func (b basicAuth) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.SetBasicAuth(b.principal, b.secret)
	return b.next.RoundTrip(r)
}

// errTransport fails every request with the error that kept the
// configured transport from being built (reported first by Validate).
type errTransport struct{ err error }

func (e errTransport) RoundTrip(*http.Request) (*http.Response, error) { return nil, e.err }

// speaksTLS reports whether rt (possibly wrapped for credentials) is an
// *http.Transport set up for a TLS master: with roots to trust or a
// client certificate, as a framework holding a cluster certificate has.
// A bare TLSClientConfig says nothing: net/http fills one in for HTTP/2.
func speaksTLS(rt http.RoundTripper) bool {
	if b, ok := rt.(basicAuth); ok {
		rt = b.next
	}
	t, ok := rt.(*http.Transport)
	if !ok || t.TLSClientConfig == nil {
		return false
	}
	c := t.TLSClientConfig
	return c.RootCAs != nil || len(c.Certificates) > 0 || c.GetClientCertificate != nil || c.InsecureSkipVerify
}
