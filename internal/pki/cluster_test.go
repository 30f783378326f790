package pki

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// testCluster is a master's HTTPS server with the certificate endpoints,
// an agent-protocol path behind RequireRole and an open /health.
type testCluster struct {
	ca     *CA
	tokens *TokenStore
	token  Token
	srv    *httptest.Server
	certs  *CertStore // the master's serving certificate
	joins  atomic.Int32
}

func newCluster(t *testing.T) *testCluster {
	t.Helper()
	now := time.Now()
	ca, err := NewCA(Defaults(), now, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	c := &testCluster{ca: ca}
	c.tokens, err = OpenTokenStore(filepath.Join(t.TempDir(), TokensFile), ca.Fingerprint())
	if err != nil {
		t.Fatal(err)
	}
	if c.token, err = c.tokens.Create(now, 0, rand.Reader); err != nil {
		t.Fatal(err)
	}
	c.certs = masterCerts(t, ca)
	s := &Server{CA: ca, Tokens: c.tokens, Config: Defaults()}
	mux := http.NewServeMux()
	mux.HandleFunc(PathCA, s.ServeCA)
	mux.HandleFunc(PathJoin, func(w http.ResponseWriter, r *http.Request) {
		c.joins.Add(1)
		s.ServeJoin(w, r)
	})
	mux.HandleFunc(PathRenew, s.ServeRenew)
	mux.HandleFunc("/agora/v1/agent", func(w http.ResponseWriter, r *http.Request) {
		id, _ := PeerFrom(r.Context())
		io.WriteString(w, id.String()+" "+r.TLS.PeerCertificates[0].SerialNumber.String())
	})
	mux.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	agentPath := func(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/agora/v1/agent") }
	c.srv = serveTLS(t, RequireRole(RoleAgent, agentPath, mux), ServerConfig(c.certs, ca.Pool(), nil))
	return c
}

// serveTLS serves h with cfg as given (httptest's StartTLS would put its
// own certificate first, ahead of GetCertificate).
func serveTLS(t *testing.T, h http.Handler, cfg *tls.Config) *httptest.Server {
	srv := httptest.NewUnstartedServer(h)
	srv.Listener = tls.NewListener(srv.Listener, cfg)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are expected
	srv.Start()
	srv.URL = strings.Replace(srv.URL, "http://", "https://", 1)
	t.Cleanup(srv.Close)
	return srv
}

func masterCerts(t *testing.T, ca *CA) *CertStore {
	t.Helper()
	certPEM, keyPEM, err := ca.IssueKeyPair(Identity{RoleMaster, "localhost"}, []string{"localhost", "127.0.0.1"}, time.Now(), time.Hour, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewCertStore(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// join makes an agent key and joins; it returns the agent's store.
func (c *testCluster) join(t *testing.T, token string) (*CertStore, error) {
	t.Helper()
	key, err := GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	certPEM, caPEM, err := Join(ctx, c.srv.URL, token, key, "agent1", []string{"agent1.example", "127.0.0.2"})
	if err != nil {
		return nil, err
	}
	if string(caPEM) != string(c.ca.CertPEM) {
		t.Errorf("Join returned another CA")
	}
	keyPEM, _ := EncodeKey(key)
	return NewCertStore(certPEM, keyPEM)
}

// client speaks to the master with certs (nil: like a browser that
// trusts the CA but has no certificate).
func (c *testCluster) client(certs *CertStore) (*http.Client, *http.Transport) {
	tr := &http.Transport{TLSClientConfig: ClientConfig(c.ca.Pool(), certs, RoleMaster, nil)}
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}, tr
}

func get(t *testing.T, cl *http.Client, url string) (int, string, *http.Response) {
	t.Helper()
	resp, err := cl.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp
}

func TestJoinAndAgentPaths(t *testing.T) {
	c := newCluster(t)
	agent, err := c.join(t, c.token.Encode())
	if err != nil {
		t.Fatal(err)
	}
	leaf := agent.Leaf()
	if id, err := IdentityOf(leaf); err != nil || id != (Identity{RoleAgent, "agent1"}) {
		t.Errorf("identity %v, %v", id, err)
	}
	if leaf.Subject.CommonName != "agent:agent1" || len(leaf.DNSNames) != 1 || leaf.DNSNames[0] != "agent1.example" ||
		len(leaf.IPAddresses) != 1 || leaf.IPAddresses[0].String() != "127.0.0.2" {
		t.Errorf("certificate CN %q DNS %v IP %v", leaf.Subject.CommonName, leaf.DNSNames, leaf.IPAddresses)
	}
	if life := leaf.NotAfter.Sub(leaf.NotBefore); life < 89*24*time.Hour || life > 91*24*time.Hour {
		t.Errorf("lifetime %v, want 90 days", life)
	}

	withCert, _ := c.client(agent)
	if code, body, _ := get(t, withCert, c.srv.URL+"/agora/v1/agent"); code != 200 || !strings.HasPrefix(body, "agent:agent1 ") {
		t.Errorf("agent with certificate: %d %q", code, body)
	}
	browser, _ := c.client(nil)
	if code, body, _ := get(t, browser, c.srv.URL+"/agora/v1/agent"); code != 403 || !strings.Contains(body, "requires an agora agent certificate") {
		t.Errorf("client without certificate on the agent path: %d %q", code, body)
	}
	if code, body, _ := get(t, browser, c.srv.URL+"/health"); code != 200 || body != "ok" {
		t.Errorf("client without certificate elsewhere: %d %q", code, body)
	}
	// A master's certificate is not an agent's.
	master, _ := c.client(masterCerts(t, c.ca))
	if code, body, _ := get(t, master, c.srv.URL+"/agora/v1/agent"); code != 403 || !strings.Contains(body, "certificate is for master:localhost") {
		t.Errorf("master certificate on the agent path: %d %q", code, body)
	}
}

func TestJoinRefusals(t *testing.T) {
	c := newCluster(t)
	other, _ := NewCA(Defaults(), time.Now(), rand.Reader)
	unknown, _ := NewToken(c.ca.Fingerprint(), rand.Reader)
	foreign, _ := NewToken(other.Fingerprint(), rand.Reader)

	if _, err := c.join(t, unknown.Encode()); err == nil || !strings.Contains(err.Error(), "403") || !strings.Contains(err.Error(), "unknown, revoked or expired") {
		t.Errorf("unknown secret: %v", err)
	}
	before := c.joins.Load()
	if _, err := c.join(t, foreign.Encode()); err == nil || !strings.Contains(err.Error(), "fingerprint") {
		t.Errorf("token of another CA: %v", err)
	}
	if c.joins.Load() != before {
		t.Error("the secret was sent to a master whose CA does not match the token")
	}
	if _, err := c.join(t, "AGORA-1-nope"); err == nil || !strings.Contains(err.Error(), "join token") {
		t.Errorf("malformed token: %v", err)
	}
	key, _ := GenerateKey(rand.Reader)
	if _, _, err := Join(context.Background(), strings.Replace(c.srv.URL, "https", "http", 1), c.token.Encode(), key, "a", nil); err == nil || !strings.Contains(err.Error(), "needs https") {
		t.Errorf("http URL: %v", err)
	}
	if err := c.tokens.Revoke(c.token.ID()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.join(t, c.token.Encode()); err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("revoked token: %v", err)
	}
}

// An impostor serving another CA cannot learn the secret: the agent
// compares the CA it gets with the token's fingerprint first.
func TestJoinRefusesImpostorCA(t *testing.T) {
	real := newCluster(t)
	impostor := newCluster(t)
	before := impostor.joins.Load()
	key, _ := GenerateKey(rand.Reader)
	_, _, err := Join(context.Background(), impostor.srv.URL, real.token.Encode(), key, "agent1", nil)
	if err == nil || !strings.Contains(err.Error(), "wrong cluster or an impostor") {
		t.Errorf("impostor: %v", err)
	}
	if impostor.joins.Load() != before {
		t.Error("the token was sent to the impostor")
	}
}

func TestExpiredCertificateRefused(t *testing.T) {
	c := newCluster(t)
	certPEM, keyPEM, err := c.ca.IssueKeyPair(Identity{RoleAgent, "old"}, nil, time.Now().Add(-48*time.Hour), time.Hour, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	old, _ := NewCertStore(certPEM, keyPEM)
	cl, _ := c.client(old)
	if resp, err := cl.Get(c.srv.URL + "/agora/v1/agent"); err == nil {
		resp.Body.Close()
		t.Fatalf("expired certificate accepted: %s", resp.Status)
	}
	// Nor can it renew itself: renewal needs a valid certificate.
	key, _ := GenerateKey(rand.Reader)
	csr, _ := NewCSR(Identity{RoleAgent, "old"}, nil, key, rand.Reader)
	d := decideRenew(RenewRequest{CSR: string(csr)}, old.Leaf(), c.ca.Pool(), time.Now())
	if d.status != 403 || !strings.Contains(d.err.Error(), "expired") {
		t.Errorf("renewal with an expired certificate: %d %v", d.status, d.err)
	}
}
