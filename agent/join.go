package agent

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"go.uber.org/zap"

	"github.com/agoraproject/agora/internal/pki"
)

// TLSDir is where an agent keeps its key, certificate and the cluster CA,
// under its work_dir: tls/agent.key (0600), tls/agent.crt, tls/ca.crt.
const TLSDir = "tls"

// Credentials is an agent's certificate material.
type Credentials struct {
	Certs *pki.CertStore
	CA    *x509.Certificate
	Dir   string
	// Joined is true when the certificate was obtained with a token by
	// this call rather than loaded.
	Joined bool
}

// Pool trusts only the cluster CA.
func (c *Credentials) Pool() *x509.CertPool { return (&pki.CA{Cert: c.CA}).Pool() }

// HasCredentials reports whether workDir holds an agent certificate,
// which makes the agent speak TLS even without --join_token.
func HasCredentials(workDir string) bool {
	_, err := os.Stat(filepath.Join(workDir, TLSDir, "agent.crt"))
	return err == nil
}

// LoadOrJoin returns the certificate kept under workDir, or, when there
// is none or it has expired, joins the master with token. Without a
// usable certificate and without a token it says what to do.
func LoadOrJoin(ctx context.Context, workDir, masterURL, token, hostname string, hosts []string, now time.Time, log *zap.Logger) (*Credentials, error) {
	dir := filepath.Join(workDir, TLSDir)
	c, err := load(dir, now)
	switch {
	case err == nil:
		return c, nil
	case token == "":
		return nil, fmt.Errorf("%w; pass --join_token (printed by `agora master`, or `agora token create` on the master)", err)
	}
	log.Info("joining the cluster", zap.String("master", masterURL), zap.String("reason", err.Error()))
	key, err := pki.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	certPEM, caPEM, err := pki.Join(ctx, masterURL, token, key, hostname, hosts)
	if err != nil {
		return nil, err
	}
	keyPEM, err := pki.EncodeKey(key)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, pki.CACertFile), caPEM, 0o644); err != nil {
		return nil, err
	}
	if err := pki.SaveKeyPair(dir, "agent", certPEM, keyPEM); err != nil {
		return nil, err
	}
	c, err = load(dir, now)
	if err != nil {
		return nil, err
	}
	c.Joined = true
	return c, nil
}

var errNoCertificate = errors.New("no agent certificate")

// load reads the pair and the CA and checks the certificate chains to
// the CA and is current.
func load(dir string, now time.Time) (*Credentials, error) {
	certPEM, keyPEM, err := pki.LoadKeyPair(dir, "agent")
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w in %s", errNoCertificate, dir)
	}
	if err != nil {
		return nil, err
	}
	caPEM, err := os.ReadFile(filepath.Join(dir, pki.CACertFile))
	if err != nil {
		return nil, fmt.Errorf("agent certificate without the cluster CA: %w", err)
	}
	ca, err := pki.ParseCert(caPEM)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, pki.CACertFile), err)
	}
	store, err := pki.NewCertStore(certPEM, keyPEM)
	if err != nil {
		return nil, err
	}
	c := &Credentials{Certs: store, CA: ca, Dir: dir}
	if _, err := store.Leaf().Verify(x509.VerifyOptions{Roots: c.Pool(), CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		return nil, fmt.Errorf("agent certificate in %s is not usable (%v): join again", dir, err)
	}
	return c, nil
}

// Renewer keeps the certificate fresh through the master at masterURL
// and saves each new one under the credentials' directory.
func (c *Credentials) Renewer(client *http.Client, masterURL string, hosts []string, log *zap.Logger) *pki.Renewer {
	return &pki.Renewer{
		Store:   c.Certs,
		Sign:    pki.RemoteSigner(client, masterURL),
		Hosts:   hosts,
		OnRenew: func(certPEM, keyPEM []byte) error { return pki.SaveKeyPair(c.Dir, "agent", certPEM, keyPEM) },
		Logger:  log.Named("renewer"),
	}
}
