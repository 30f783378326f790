package pki

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Each token issues certificates of its own role only: the table is
// token role × requested role → status.
func TestJoinRoleMatrix(t *testing.T) {
	ca, _ := NewCA(Defaults(), t0, rand.Reader)
	agentTok, _ := NewToken(ca.Fingerprint(), rand.Reader)
	frameworkTok, _ := NewToken(ca.Fingerprint(), rand.Reader)
	legacyTok, _ := NewToken(ca.Fingerprint(), rand.Reader)
	tokens := &memTokens{}
	tokens.set.Add(agentTok, RoleAgent, t0, 0)
	tokens.set.Add(frameworkTok, RoleFramework, t0, 0)
	// A record written before tokens had roles.
	d := sha256.Sum256([]byte(legacyTok.Secret))
	tokens.set.Tokens = append(tokens.set.Tokens, TokenRecord{ID: legacyTok.ID(), Digest: hex.EncodeToString(d[:]), Created: t0})

	key, _ := GenerateKey(rand.Reader)
	csrs := map[string][]byte{}
	for _, role := range []string{RoleAgent, RoleFramework, RoleMaster} {
		csrs[role], _ = NewCSR(Identity{role, "n1"}, nil, key, rand.Reader)
	}
	for _, tt := range []struct {
		token, tokenName, asks string
		status                 int
		want                   string
	}{
		{agentTok.Encode(), "agent", RoleAgent, 200, ""},
		{agentTok.Encode(), "agent", RoleFramework, 403, "this join token issues agent certificates only, not framework"},
		{agentTok.Encode(), "agent", RoleMaster, 403, "issues agent certificates only, not master"},
		{frameworkTok.Encode(), "framework", RoleFramework, 200, ""},
		{frameworkTok.Encode(), "framework", RoleAgent, 403, "this join token issues framework certificates only, not agent"},
		{frameworkTok.Encode(), "framework", RoleMaster, 403, "issues framework certificates only, not master"},
		{legacyTok.Encode(), "legacy (no role)", RoleAgent, 200, ""},
		{legacyTok.Encode(), "legacy (no role)", RoleFramework, 403, "issues agent certificates only, not framework"},
	} {
		got := decideJoin(JoinRequest{Token: tt.token, CSR: string(csrs[tt.asks])}, ca.Fingerprint(), tokens, t0)
		status := got.status
		if status == 0 {
			status = 200
		}
		if status != tt.status || (tt.want != "" && (got.err == nil || !strings.Contains(got.err.Error(), tt.want))) {
			t.Errorf("%s token asking for %s: %d %v, want %d %q", tt.tokenName, tt.asks, status, got.err, tt.status, tt.want)
		}
		if status == 200 && got.req.Identity.Role != tt.asks {
			t.Errorf("%s token asking for %s: would issue %s", tt.tokenName, tt.asks, got.req.Identity)
		}
	}
}

// A framework joins with a framework token, serves HTTPS with the
// certificate, renews it, and is refused wherever an agent or a master
// is required.
func TestFrameworkJoinServeAndRenew(t *testing.T) {
	c := newCluster(t)
	ftok, err := c.tokens.CreateFor(RoleFramework, time.Now(), 0, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id := Identity{RoleFramework, "marathon"}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	key, _ := GenerateKey(rand.Reader)
	if _, _, err := JoinAs(ctx, c.srv.URL, c.token.Encode(), key, id, nil); err == nil || !strings.Contains(err.Error(), "403") ||
		!strings.Contains(err.Error(), "issues agent certificates only, not framework") {
		t.Errorf("framework identity with an agent token: %v", err)
	}
	if _, err := c.join(t, ftok.Encode()); err == nil || !strings.Contains(err.Error(), "issues framework certificates only, not agent") {
		t.Errorf("agent identity with a framework token: %v", err)
	}
	certPEM, _, err := JoinAs(ctx, c.srv.URL, ftok.Encode(), key, id, []string{"localhost", "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, _ := EncodeKey(key)
	fw, err := NewCertStore(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	leaf := fw.Leaf()
	if got, err := IdentityOf(leaf); err != nil || got != id || leaf.Subject.CommonName != "framework:marathon" ||
		len(leaf.URIs) != 1 || leaf.URIs[0].String() != "agora://framework/marathon" {
		t.Errorf("identity %v %v, CN %q, URIs %v", got, err, leaf.Subject.CommonName, leaf.URIs)
	}

	// It serves HTTPS to clients that trust the CA and want a framework.
	api := serveTLS(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("pong")) }), ServerConfig(fw, nil, nil))
	standby := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: ClientConfig(c.ca.Pool(), nil, RoleFramework, nil)}}
	if code, body, _ := get(t, standby, api.URL+"/ping"); code != 200 || body != "pong" {
		t.Errorf("framework API over HTTPS: %d %q", code, body)
	}
	// A client that wants a master does not take it for one.
	asMaster := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: ClientConfig(c.ca.Pool(), nil, RoleMaster, nil)}}
	if resp, err := asMaster.Get(api.URL + "/ping"); err == nil {
		resp.Body.Close()
		t.Error("a framework certificate passed as a master's")
	} else if !strings.Contains(err.Error(), "server is framework:marathon, want a master") {
		t.Errorf("framework as master: %v", err)
	}

	// The agent protocol refuses it.
	cl, _ := c.client(fw)
	if code, body, _ := get(t, cl, c.srv.URL+"/agora/v1/agent"); code != 403 || !strings.Contains(body, "requires an agora agent certificate: certificate is for framework:marathon") {
		t.Errorf("framework certificate on the agent path: %d %q", code, body)
	}

	// It renews like an agent, keeping its identity.
	r := &Renewer{Store: fw, Sign: RemoteSigner(cl, c.srv.URL), Hosts: []string{"localhost", "127.0.0.1"}}
	if err := r.RenewOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := IdentityOf(fw.Leaf()); got != id || fw.Leaf().SerialNumber.Cmp(leaf.SerialNumber) == 0 {
		t.Errorf("renewed: %v serial %v (was %v)", got, fw.Leaf().SerialNumber, leaf.SerialNumber)
	}
	// The next handshake uses the renewed certificate.
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: c.ca.Pool()}}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Get(api.URL + "/ping")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if served := resp.TLS.PeerCertificates[0]; !served.Equal(fw.Leaf()) {
		t.Errorf("the API serves serial %v, want the renewed %v", served.SerialNumber, fw.Leaf().SerialNumber)
	}
}

// RequireRole for masters and agents refuses a framework's certificate.
func TestRequireRoleRefusesFramework(t *testing.T) {
	ca, _ := NewCA(Defaults(), t0, rand.Reader)
	certPEM, _, _ := ca.IssueKeyPair(Identity{RoleFramework, "chronos"}, nil, t0, time.Hour, rand.Reader)
	cert, _ := ParseCert(certPEM)
	for _, role := range []string{RoleAgent, RoleMaster} {
		h := RequireRole(role, nil, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { t.Errorf("%s: a framework got through", role) }))
		r, _ := http.NewRequest("GET", "/x", nil)
		r.TLS = &tls.ConnectionState{PeerCertificates: []*x509.Certificate{cert}, VerifiedChains: [][]*x509.Certificate{{cert, ca.Cert}}}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != 403 || !strings.Contains(w.Body.String(), "requires an agora "+role+" certificate: certificate is for framework:chronos") {
			t.Errorf("%s: %d %q", role, w.Code, w.Body.String())
		}
	}
}

func TestTokenRoles(t *testing.T) {
	path := filepath.Join(t.TempDir(), TokensFile)
	s, _ := OpenTokenStore(path, fp)
	if _, err := s.CreateFor(RoleMaster, t0, 0, rand.Reader); err == nil || !strings.Contains(err.Error(), `role "master"`) {
		t.Errorf("master token: %v", err)
	}
	ft, err := s.CreateFor(RoleFramework, t0, 0, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	at, _ := s.Create(t0, 0, rand.Reader)
	again, err := OpenTokenStore(path, fp)
	if err != nil {
		t.Fatal(err)
	}
	for tok, want := range map[Token]string{ft: RoleFramework, at: RoleAgent} {
		if r, err := again.Verify(tok, t0); err != nil || r.Issues() != want {
			t.Errorf("%s token after reopening: %q %v", want, r.Issues(), err)
		}
	}

	// An older file, without roles, holds agent tokens.
	legacy, _ := NewToken(fp, rand.Reader)
	d := sha256.Sum256([]byte(legacy.Secret))
	old := `{"tokens": [{"id": "` + legacy.ID() + `", "sha256": "` + hex.EncodeToString(d[:]) + `", "created": "2024-01-01T00:00:00Z"}]}`
	if err := os.WriteFile(path, []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err = OpenTokenStore(path, fp)
	if err != nil {
		t.Fatal(err)
	}
	if r, err := s.Verify(legacy, t0); err != nil || r.Issues() != RoleAgent {
		t.Errorf("legacy token: %q %v", r.Issues(), err)
	}

	// A hand-edited role that would mint masters is refused, by field.
	if err := os.WriteFile(path, []byte(`{"tokens": [{"id": "x", "sha256": "00", "role": "master"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenTokenStore(path, fp); err == nil || !strings.Contains(err.Error(), `tokens[0].role: role "master"`) {
		t.Errorf("master role in the file: %v", err)
	}
}

func FuzzParseTokenSet(f *testing.F) {
	f.Add(`{"tokens": [{"id": "abc", "sha256": "00", "created": "2024-01-01T00:00:00Z", "role": "framework"}]}`)
	f.Add(`{"tokens": [{"id": "abc", "sha256": "00", "role": "master"}]}`)
	f.Add(`{"tokens": [{"id": "abc", "expires": "x"}]}`)
	f.Add(`{"tokens": null}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, s string) {
		set, err := ParseTokenSet([]byte(s))
		if err != nil {
			return
		}
		for i, r := range set.Tokens {
			if ValidJoinRole(r.Issues()) != nil {
				t.Fatalf("tokens[%d] issues %q", i, r.Issues())
			}
		}
	})
}
