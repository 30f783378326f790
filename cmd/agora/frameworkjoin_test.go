package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"flag"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/agoraproject/agora/internal/pki"
	"github.com/agoraproject/agora/sdk/scheduler"
)

// fakeCAMaster serves the certificate endpoints of a master of a new
// cluster CA over HTTPS, and returns it with a token for role.
type fakeCAMaster struct {
	ca     *pki.CA
	srv    *httptest.Server
	tokens *pki.TokenStore
}

func newFakeCAMaster(t *testing.T) *fakeCAMaster {
	t.Helper()
	now := time.Now()
	ca, err := pki.NewCA(pki.Defaults(), now, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tokens, err := pki.OpenTokenStore(filepath.Join(t.TempDir(), pki.TokensFile), ca.Fingerprint())
	if err != nil {
		t.Fatal(err)
	}
	certPEM, keyPEM, err := ca.IssueKeyPair(pki.Identity{Role: pki.RoleMaster, Name: "localhost"}, []string{"localhost", "127.0.0.1"}, now, time.Hour, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	certs, _ := pki.NewCertStore(certPEM, keyPEM)
	issuer := &pki.Server{CA: ca, Tokens: tokens, Config: pki.Defaults()}
	mux := http.NewServeMux()
	mux.HandleFunc(pki.PathCA, issuer.ServeCA)
	mux.HandleFunc(pki.PathJoin, issuer.ServeJoin)
	mux.HandleFunc(pki.PathRenew, issuer.ServeRenew)
	srv := serveTLSForTest(t, mux, pki.ServerConfig(certs, ca.Pool(), nil))
	return &fakeCAMaster{ca: ca, srv: srv, tokens: tokens}
}

func (m *fakeCAMaster) token(t *testing.T, role string) string {
	t.Helper()
	tok, err := m.tokens.CreateFor(role, time.Now(), 0, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return tok.Encode()
}

func (m *fakeCAMaster) addr() string { return strings.TrimPrefix(m.srv.URL, "https://") }

func frameworkTLSFromArgs(t *testing.T, args ...string) *frameworkTLSFlags {
	t.Helper()
	fs := flag.NewFlagSet("fw", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	f := bindFrameworkTLSFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return f
}

// A framework joins with its token, serves the cluster certificate,
// renews it in place, and restarts from the kept files without a token.
func TestFrameworkJoinServesAndRenews(t *testing.T) {
	m := newFakeCAMaster(t)
	workDir := t.TempDir()
	node := frameworkNode{name: "marathon", master: m.addr(), workDir: workDir, hostname: "localhost", hosts: frameworkHosts("localhost", "127.0.0.1")}
	ctx := context.Background()

	if _, err := frameworkTLSFromArgs(t, "--join_token", m.token(t, pki.RoleAgent)).setup(ctx, node, zap.NewNop()); err == nil ||
		!strings.Contains(err.Error(), "issues agent certificates only, not framework") {
		t.Fatalf("an agent token: %v", err)
	}
	ft, err := frameworkTLSFromArgs(t, "--join_token", m.token(t, pki.RoleFramework)).setup(ctx, node, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	if ft.scheme != "https" || ft.renewer == nil || ft.leader == nil || ft.scheduler == nil {
		t.Fatalf("joined: %+v", ft)
	}
	dir := filepath.Join(workDir, "tls")
	if fi, err := os.Stat(filepath.Join(dir, "framework.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("framework.key: %v %v", fi, err)
	}
	for _, name := range []string{"framework.crt", "ca.crt"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}

	api := serveTLSForTest(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "pong") }), ft.serve.tls)
	served := func() *tls.ConnectionState {
		t.Helper()
		tr := &http.Transport{TLSClientConfig: pki.ClientConfig(m.ca.Pool(), nil, pki.RoleFramework, nil)}
		defer tr.CloseIdleConnections()
		resp, err := (&http.Client{Transport: tr, Timeout: 5 * time.Second}).Get(api.URL + "/ping")
		if err != nil {
			t.Fatalf("the API over HTTPS trusting the cluster CA: %v", err)
		}
		resp.Body.Close()
		return resp.TLS
	}
	first := served().PeerCertificates[0]
	if first.Subject.CommonName != "framework:marathon" {
		t.Errorf("served %q", first.Subject.CommonName)
	}

	// The scheduler reaches the master over https with the cluster's trust.
	tuned := http.DefaultTransport.(*http.Transport).Clone()
	tuned.MaxIdleConnsPerHost = 17
	sc := scheduler.Config{Master: m.addr() + ",m2:5050", HTTPClient: &http.Client{Transport: tuned, Timeout: time.Minute}}
	ft.scheduler(&sc)
	if eff := sc.WithDefaults(); eff.Master != "https://"+m.addr()+",https://m2:5050" || sc.HTTPClient == nil || sc.HTTPClient.Timeout != time.Minute {
		t.Errorf("scheduler config: master %q client %+v", eff.Master, sc.HTTPClient)
	}
	if tr, ok := sc.HTTPClient.Transport.(*http.Transport); !ok || tr.MaxIdleConnsPerHost != 17 || tr.TLSClientConfig == nil || tr.TLSClientConfig.RootCAs == nil {
		t.Errorf("scheduler transport: %+v", sc.HTTPClient.Transport)
	}
	// It reaches the master, presenting the framework's certificate.
	resp, err := sc.HTTPClient.Get(m.srv.URL + pki.PathCA)
	if err != nil {
		t.Fatalf("the scheduler's client to the master: %v", err)
	}
	resp.Body.Close()

	// Renewal goes through the master; the next handshake serves the new
	// certificate, and it is saved.
	if err := ft.renewer.RenewOnce(ctx); err != nil {
		t.Fatal(err)
	}
	second := served().PeerCertificates[0]
	if second.SerialNumber.Cmp(first.SerialNumber) == 0 || second.Subject.CommonName != "framework:marathon" {
		t.Errorf("after renewal the API serves %s serial %v (was %v)", second.Subject.CommonName, second.SerialNumber, first.SerialNumber)
	}
	kept, _, err := pki.LoadKeyPair(dir, "framework")
	if c, _ := pki.ParseCert(kept); err != nil || c == nil || !c.Equal(second) {
		t.Errorf("the renewed certificate was not saved: %v", err)
	}

	// A restart needs no token; another framework's name does not take it.
	if again, err := frameworkTLSFromArgs(t).setup(ctx, node, zap.NewNop()); err != nil || again.scheme != "https" {
		t.Errorf("restart from the kept certificate: %v", err)
	}
	other := node
	other.name = "chronos"
	if _, err := frameworkTLSFromArgs(t).setup(ctx, other, zap.NewNop()); err == nil || !strings.Contains(err.Error(), "is for framework:marathon, not framework:chronos") {
		t.Errorf("another framework's certificate: %v", err)
	}
}

func TestFrameworkTLSSetupErrors(t *testing.T) {
	certPath, keyPath, _ := testServingPair(t)
	tok := "AGORA-1-" + strings.Repeat("0", 64) + "-" + strings.Repeat("a", 52)
	node := frameworkNode{name: "marathon", master: "127.0.0.1:1", workDir: t.TempDir(), hostname: "localhost"}
	for _, tt := range []struct {
		args []string
		node func(frameworkNode) frameworkNode
		want string
	}{
		{[]string{"--join_token", tok, "--tls_cert", certPath, "--tls_key", keyPath}, nil, "exclude each other"},
		{[]string{"--join_token", tok}, func(n frameworkNode) frameworkNode { n.workDir = ""; return n }, "--join_token needs --tls_dir or --work_dir"},
		{[]string{"--tls_dir", t.TempDir()}, nil, "no framework certificate in"},
		{[]string{"--join_token", tok}, func(n frameworkNode) frameworkNode { n.master = "http://m1:5050"; return n }, "reaches the master over https"},
	} {
		n := node
		if tt.node != nil {
			n = tt.node(n)
		}
		_, err := frameworkTLSFromArgs(t, tt.args...).setup(context.Background(), n, zap.NewNop())
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: %v, want %q", tt.args, err, tt.want)
		}
	}
	// Without a token and a kept certificate: the operator's pair, or
	// plain HTTP.
	if ft, err := frameworkTLSFromArgs(t).setup(context.Background(), node, zap.NewNop()); err != nil || ft.scheme != "http" || ft.serve.tls != nil {
		t.Errorf("plain: %+v %v", ft, err)
	}
	if ft, err := frameworkTLSFromArgs(t, "--tls_cert", certPath, "--tls_key", keyPath).setup(context.Background(), node, zap.NewNop()); err != nil || ft.scheme != "https" {
		t.Errorf("operator pair: %+v %v", ft, err)
	}
}

// serveTLSForTest serves h with cfg as given (httptest's StartTLS would
// put its own certificate ahead of GetCertificate).
func serveTLSForTest(t *testing.T, h http.Handler, cfg *tls.Config) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.Listener = tls.NewListener(srv.Listener, cfg)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.Start()
	srv.URL = strings.Replace(srv.URL, "http://", "https://", 1)
	t.Cleanup(srv.Close)
	return srv
}
