package pki

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestRenewAt(t *testing.T) {
	ca, _ := NewCA(Defaults(), t0, rand.Reader)
	certPEM, _, _ := ca.IssueKeyPair(Identity{RoleAgent, "a"}, nil, t0, 90*24*time.Hour, rand.Reader)
	cert, _ := ParseCert(certPEM)
	// NotBefore is backdated a minute; two thirds of the whole span.
	want := t0.Add(-time.Minute).Add((90*24*time.Hour + time.Minute) * 2 / 3)
	if got := RenewAt(cert); !got.Equal(want) {
		t.Errorf("RenewAt = %v, want %v", got, want)
	}
}

// TestRotationWithoutRestart renews the agent's client certificate and
// rotates the master's serving certificate while both keep running: the
// next connection uses the new certificates.
func TestRotationWithoutRestart(t *testing.T) {
	c := newCluster(t)
	agent, err := c.join(t, c.token.Encode())
	if err != nil {
		t.Fatal(err)
	}
	cl, tr := c.client(agent)
	serialSeen := func() (agentSerial, masterSerial string) {
		t.Helper()
		code, body, resp := get(t, cl, c.srv.URL+"/agora/v1/agent")
		if code != 200 {
			t.Fatalf("agent path: %d %q", code, body)
		}
		return strings.Fields(body)[1], resp.TLS.PeerCertificates[0].SerialNumber.String()
	}
	agent1, master1 := serialSeen()

	var saved []byte
	r := &Renewer{
		Store:   agent,
		Sign:    RemoteSigner(cl, c.srv.URL),
		Hosts:   []string{"agent1.example"},
		OnRenew: func(certPEM, _ []byte) error { saved = certPEM; return nil },
	}
	if err := r.RenewOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	newMaster := masterCerts(t, c.ca)
	c.certs.cur.Store(newMaster.Certificate())
	tr.CloseIdleConnections() // open connections keep their certificates; new ones pick up the rotation

	agent2, master2 := serialSeen()
	if agent2 == agent1 || agent2 != agent.Leaf().SerialNumber.String() {
		t.Errorf("agent serial %s after renewal, was %s, store has %s", agent2, agent1, agent.Leaf().SerialNumber)
	}
	if master2 == master1 || master2 != newMaster.Leaf().SerialNumber.String() {
		t.Errorf("master serial %s after rotation, was %s", master2, master1)
	}
	if c, err := ParseCert(saved); err != nil || c.SerialNumber.Cmp(agent.Leaf().SerialNumber) != 0 {
		t.Errorf("OnRenew did not receive the certificate in use: %v", err)
	}
	if id, _ := IdentityOf(agent.Leaf()); id != (Identity{RoleAgent, "agent1"}) {
		t.Errorf("renewed identity %v", id)
	}
}

func TestRenewerRunWaitsForTwoThirds(t *testing.T) {
	ca, _ := NewCA(Defaults(), t0, rand.Reader)
	certPEM, keyPEM, _ := ca.IssueKeyPair(Identity{RoleAgent, "a"}, nil, t0, 3*time.Hour, rand.Reader)
	store, _ := NewCertStore(certPEM, keyPEM)
	now := t0
	waits := make(chan time.Duration, 1)
	fire := make(chan time.Time)
	calls := 0
	r := &Renewer{
		Store: store,
		Sign: func(ctx context.Context, csr []byte) ([]byte, error) {
			calls++
			if calls == 1 {
				return nil, context.DeadlineExceeded // the master is away once
			}
			return LocalSigner(ca, 3*time.Hour, func() time.Time { return now })(ctx, csr)
		},
		Retry: time.Minute,
		Now:   func() time.Time { return now },
		After: func(d time.Duration) <-chan time.Time { waits <- d; return fire },
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()

	expectWait := func(want time.Duration) {
		t.Helper()
		if got := <-waits; got != want {
			t.Fatalf("Renewer waits %v, want %v", got, want)
		}
	}
	fireAfter := func(d time.Duration) { now = now.Add(d); fire <- now }

	// Issued at t0 with a minute of backdating: renew two thirds into the
	// 3h01m span, 2h00m40s after NotBefore, i.e. 1h59m40s from now.
	expectWait(2*time.Hour - 20*time.Second)
	fireAfter(2*time.Hour - 20*time.Second)
	expectWait(time.Minute) // the master was away: retry
	fireAfter(time.Minute)
	// Renewed: the same schedule again, from the new certificate.
	expectWait(2*time.Hour - 20*time.Second)
	renewed := store.Leaf()
	cancel()
	if err := <-done; err != context.Canceled {
		t.Errorf("Run = %v", err)
	}
	if calls != 2 || !renewed.NotBefore.Equal(now.Add(-time.Minute)) || !renewed.NotAfter.Equal(now.Add(3*time.Hour)) {
		t.Errorf("calls %d, renewed certificate valid %v to %v, want from %v", calls, renewed.NotBefore, renewed.NotAfter, now.Add(-time.Minute))
	}
}

func TestServerRefusals(t *testing.T) {
	ca, _ := NewCA(Defaults(), t0, rand.Reader)
	tokens := &memTokens{}
	tok, _ := NewToken(ca.Fingerprint(), rand.Reader)
	tokens.set.Add(tok, RoleAgent, t0, 0)
	s := &Server{CA: ca, Tokens: tokens, Now: func() time.Time { return t0 }}
	key, _ := GenerateKey(rand.Reader)
	masterCSR, _ := NewCSR(Identity{RoleMaster, "m"}, nil, key, rand.Reader)
	agentCSR, _ := NewCSR(Identity{RoleAgent, "a"}, nil, key, rand.Reader)
	other, _ := NewCSR(Identity{RoleAgent, "b"}, nil, key, rand.Reader)
	tampered := tamper(t, agentCSR)

	for _, tt := range []struct {
		name, method, path, body string
		status                   int
		want                     string
	}{
		{"join by GET", "GET", PathJoin, "", 405, "Expecting a 'POST'"},
		{"ca by POST", "POST", PathCA, "", 405, "Expecting a 'GET'"},
		{"bad JSON", "POST", PathJoin, "{", 400, "invalid JSON body"},
		{"no token", "POST", PathJoin, `{"csr": ""}`, 400, "token: join token"},
		{"bad CSR", "POST", PathJoin, `{"token": "` + tok.Encode() + `", "csr": "x"}`, 400, "csr: want a PEM CERTIFICATE REQUEST"},
		{"tampered CSR", "POST", PathJoin, jsonBody(tok.Encode(), tampered), 400, "csr: signature"},
		{"master CSR", "POST", PathJoin, jsonBody(tok.Encode(), masterCSR), 403, "issues agent certificates only, not master"},
		{"joined", "POST", PathJoin, jsonBody(tok.Encode(), agentCSR), 200, `"certificate":"-----BEGIN CERTIFICATE`},
		{"renew without certificate", "POST", PathRenew, jsonBody("", agentCSR), 403, "needs the current client certificate"},
		{"ca", "GET", PathCA, "", 200, "BEGIN CERTIFICATE"},
	} {
		w := httptest.NewRecorder()
		r := httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body))
		switch tt.path {
		case PathJoin:
			s.ServeJoin(w, r)
		case PathRenew:
			s.ServeRenew(w, r)
		default:
			s.ServeCA(w, r)
		}
		if w.Code != tt.status || !strings.Contains(w.Body.String(), tt.want) {
			t.Errorf("%s: %d %q, want %d with %q", tt.name, w.Code, w.Body.String(), tt.status, tt.want)
		}
	}

	// Renewal keeps the identity of the verified certificate.
	certPEM, _, _ := ca.IssueKeyPair(Identity{RoleAgent, "a"}, nil, t0, time.Hour, rand.Reader)
	peer, _ := ParseCert(certPEM)
	if d := decideRenew(RenewRequest{CSR: string(other)}, peer, ca.Pool(), t0); d.status != 403 || !strings.Contains(d.err.Error(), "asks for agent:b but the client certificate is agent:a") {
		t.Errorf("renew as someone else: %d %v", d.status, d.err)
	}
	if d := decideRenew(RenewRequest{CSR: string(agentCSR)}, peer, ca.Pool(), t0); d.err != nil {
		t.Errorf("renew: %v", d.err)
	}
	foreign, _ := NewCA(Defaults(), t0, rand.Reader)
	fpem, _, _ := foreign.IssueKeyPair(Identity{RoleAgent, "a"}, nil, t0, time.Hour, rand.Reader)
	fpeer, _ := ParseCert(fpem)
	if d := decideRenew(RenewRequest{CSR: string(agentCSR)}, fpeer, ca.Pool(), t0); d.status != 403 {
		t.Errorf("renew with another CA's certificate: %d %v", d.status, d.err)
	}
}

// tamper flips the last byte of a CSR's signature.
func tamper(t *testing.T, csrPEM []byte) []byte {
	der, err := pemDecode(csrPEM, "CERTIFICATE REQUEST")
	if err != nil {
		t.Fatal(err)
	}
	der = bytes.Clone(der)
	der[len(der)-1] ^= 1
	return pemEncode("CERTIFICATE REQUEST", der)
}

func jsonBody(token string, csr []byte) string {
	b, _ := jsonMarshal(JoinRequest{Token: token, CSR: string(csr)})
	return string(b)
}

type memTokens struct{ set TokenSet }

func (m *memTokens) Verify(t Token, now time.Time) (TokenRecord, error) {
	return m.set.Verify(t.Secret, now)
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }
