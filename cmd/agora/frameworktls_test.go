package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/agoraproject/agora/internal/pki"
)

// testServingPair writes a certificate for 127.0.0.1 and its key into a
// temporary directory and returns their paths and the pool that trusts it.
func testServingPair(t *testing.T) (certPath, keyPath string, roots *x509.CertPool) {
	t.Helper()
	now := time.Now()
	ca, err := pki.NewCA(pki.Defaults(), now, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	certPEM, keyPEM, err := ca.IssueKeyPair(pki.Identity{Role: pki.RoleMaster, Name: "localhost"},
		[]string{"localhost", "127.0.0.1"}, now, time.Hour, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certPath, keyPath = filepath.Join(dir, "api.crt"), filepath.Join(dir, "api.key")
	if err := os.WriteFile(certPath, certPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyPath, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return certPath, keyPath, ca.Pool()
}

func TestFrameworkTLSFlags(t *testing.T) {
	certPath, keyPath, _ := testServingPair(t)
	for _, tc := range []struct {
		args    []string
		scheme  string
		wantErr string
	}{
		{nil, "http", ""},
		{[]string{"--tls_cert", certPath, "--tls_key", keyPath}, "https", ""},
		{[]string{"--tls_cert", certPath}, "", "--tls_cert and --tls_key go together"},
		{[]string{"--tls_key", keyPath}, "", "--tls_cert and --tls_key go together"},
		{[]string{"--tls_cert", certPath + ".missing", "--tls_key", keyPath}, "", "--tls_cert"},
		{[]string{"--tls_cert", keyPath, "--tls_key", certPath}, "", "--tls_cert/--tls_key"},
	} {
		fs := flag.NewFlagSet("fw", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		f := bindFrameworkTLSFlags(fs)
		if err := fs.Parse(tc.args); err != nil {
			t.Fatal(err)
		}
		opts, scheme, err := f.serving()
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%v: error %v, want %q", tc.args, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		if scheme != tc.scheme || (opts.tls != nil) != (scheme == "https") {
			t.Errorf("%v: scheme %q, tls %v", tc.args, scheme, opts.tls != nil)
		}
	}
}

// checkHTTPSOnly reaches addr's path with a client trusting roots (200),
// with one that does not (certificate error), and in plain HTTP (refused).
// It returns the trusted response's headers.
func checkHTTPSOnly(t *testing.T, addr, path string, roots *x509.CertPool) http.Header {
	t.Helper()
	trusting := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	defer trusting.CloseIdleConnections()
	resp, err := trusting.Get("https://" + addr + path)
	if err != nil {
		t.Fatalf("GET https://%s%s trusting the certificate: %v", addr, path, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET https://%s%s: %s", addr, path, resp.Status)
	}
	untrusting := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: x509.NewCertPool()}}}
	defer untrusting.CloseIdleConnections()
	if r, err := untrusting.Get("https://" + addr + path); err == nil {
		r.Body.Close()
		t.Errorf("a client that does not trust the certificate got %s", r.Status)
	} else if !strings.Contains(err.Error(), "certificate") {
		t.Errorf("untrusted: %v, want a certificate error", err)
	}
	plain := &http.Client{Timeout: 5 * time.Second}
	if r, err := plain.Get("http://" + addr + path); err == nil {
		r.Body.Close()
		if r.StatusCode == http.StatusOK {
			t.Errorf("plain HTTP to the TLS port got %s", r.Status)
		}
	}
	return resp.Header
}

// TestMarathonServesHTTPS: with --tls_cert/--tls_key the REST API is
// HTTPS only, and names its leader with https.
func TestMarathonServesHTTPS(t *testing.T) {
	certPath, keyPath, roots := testServingPair(t)
	f, err := parseMarathonFlags(t, "--master", "127.0.0.1:1", "--http_address", "127.0.0.1", "--http_port", "0",
		"--hostname", "localhost", "--work_dir", t.TempDir(), "--tls_cert", certPath, "--tls_key", keyPath)
	if err != nil {
		t.Fatal(err)
	}
	addr, stop := startForTest(t, func(ctx context.Context, ready func(string)) error {
		return startMarathon(ctx, f, zap.NewNop(), ready)
	})
	defer stop()
	checkHTTPSOnly(t, addr, "/ping", roots)
	// The leader's URL (X-Marathon-Leader) carries the scheme standbys
	// proxy with; it is set once the replica leads.
	deadline := time.Now().Add(5 * time.Second)
	for {
		h := checkHTTPSOnly(t, addr, "/v2/info", roots)
		if l := h.Get("X-Marathon-Leader"); l != "" {
			if !strings.HasPrefix(l, "https://") {
				t.Errorf("X-Marathon-Leader %q, want https://", l)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no X-Marathon-Leader after 5s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestChronosServesHTTPS: the same for Chronos.
func TestChronosServesHTTPS(t *testing.T) {
	certPath, keyPath, roots := testServingPair(t)
	fs := flag.NewFlagSet("chronos", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	f := bindChronosFlags(fs)
	if err := fs.Parse([]string{"--master", "127.0.0.1:1", "--ip", "127.0.0.1", "--http_port", "0",
		"--hostname", "localhost", "--work_dir", t.TempDir(), "--tls_cert", certPath, "--tls_key", keyPath}); err != nil {
		t.Fatal(err)
	}
	addr, stop := startForTest(t, func(ctx context.Context, ready func(string)) error {
		return startChronos(ctx, f, zap.NewNop(), ready)
	})
	defer stop()
	checkHTTPSOnly(t, addr, "/ping", roots)
}

// startForTest runs start until the test stops it, returning the address
// it listens on.
func startForTest(t *testing.T, start func(ctx context.Context, ready func(string)) error) (string, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- start(ctx, func(a string) { ready <- a }) }()
	select {
	case addr := <-ready:
		return addr, func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("stopped with %v", err)
			}
		}
	case err := <-done:
		cancel()
		t.Fatalf("did not start: %v", err)
		return "", nil
	}
}
