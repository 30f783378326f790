package main

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/agoraproject/agora/internal/leaderproxy"
	"github.com/agoraproject/agora/internal/pki"
	"github.com/agoraproject/agora/sdk/detector"
	"github.com/agoraproject/agora/sdk/scheduler"
)

// frameworkTLSDir is the default TLS directory under a framework's
// --work_dir; frameworkCertName names the pair in it (framework.crt,
// framework.key), beside the cluster CA (ca.crt).
const (
	frameworkTLSDir   = "tls"
	frameworkCertName = "framework"
)

// leaderLookupTimeout bounds finding the leading master in ZooKeeper for
// a join or a renewal.
const leaderLookupTimeout = 30 * time.Second

func hasFrameworkCert(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, frameworkCertName+".crt"))
	return err == nil
}

// joinedTLS is a framework holding a certificate of the cluster CA: kept
// in dir, or obtained now with token. Its REST API serves that
// certificate, standbys reach the leader trusting only the CA and only a
// framework's certificate, the scheduler reaches the master trusting only
// the CA and only a master's certificate, and the renewer renews through
// the master.
func joinedTLS(ctx context.Context, token, dir string, n frameworkNode, log *zap.Logger) (*frameworkTLS, error) {
	id := pki.Identity{Role: pki.RoleFramework, Name: n.name}
	if !detector.IsZK(n.master) {
		if _, err := masterURLs(ctx, n.master, log); err != nil { // an http:// master, before anything is sent
			return nil, err
		}
	}
	certs, ca, joined, err := loadOrJoinFramework(ctx, token, dir, id, n, log)
	if err != nil {
		return nil, err
	}
	pool := (&pki.CA{Cert: ca}).Pool()
	masterTLS := pki.ClientConfig(pool, certs, pki.RoleMaster, nil)
	toMaster := leaderproxy.TLSTransport(masterTLS)
	if joined {
		log.Info("joined the cluster", zap.String("identity", certs.Leaf().Subject.CommonName),
			zap.Time("not_after", certs.Leaf().NotAfter), zap.String("tls_dir", dir))
	}
	ft := &frameworkTLS{
		serve:  serveOptions{tls: frameworkServerConfig(certs)},
		scheme: "https",
		leader: leaderproxy.TLSTransport(pki.ClientConfig(pool, nil, pki.RoleFramework, nil)),
		scheduler: func(sc *scheduler.Config) {
			// --ssl_ca_file, applied after, replaces this trust if given.
			client := &http.Client{Transport: toMaster}
			if sc.HTTPClient != nil {
				*client = *sc.HTTPClient
				// Keep the framework's tuning of its transport (idle
				// connections for concurrent calls), with the cluster's TLS.
				if t, ok := sc.HTTPClient.Transport.(*http.Transport); ok {
					t = t.Clone()
					t.TLSClientConfig = masterTLS
					client.Transport = t
				} else {
					client.Transport = toMaster
				}
			}
			sc.HTTPClient = client // the SDK reaches its masters over https then
		},
	}
	renewClient := &http.Client{Transport: toMaster, Timeout: 30 * time.Second}
	ft.renewer = &pki.Renewer{
		Store: certs,
		Sign:  masterSigner(renewClient, n.master, log),
		Hosts: n.hosts,
		OnRenew: func(certPEM, keyPEM []byte) error {
			return pki.SaveKeyPair(dir, frameworkCertName, certPEM, keyPEM)
		},
		Logger: log.Named("renewer"),
	}
	return ft, nil
}

// loadOrJoinFramework returns the certificate kept in dir, or joins with
// token when there is none or it is no longer usable.
func loadOrJoinFramework(ctx context.Context, token, dir string, id pki.Identity, n frameworkNode, log *zap.Logger) (*pki.CertStore, *x509.Certificate, bool, error) {
	certs, ca, err := loadFrameworkCert(dir, id, time.Now())
	switch {
	case err == nil:
		return certs, ca, false, nil
	case token == "":
		return nil, nil, false, fmt.Errorf("%w; pass --join_token (made by `agora token create --role framework` on the master)", err)
	}
	log.Info("joining the cluster", zap.String("master", n.master), zap.String("reason", err.Error()))
	key, err := pki.GenerateKey(rand.Reader)
	if err != nil {
		return nil, nil, false, err
	}
	var certPEM, caPEM []byte
	err = eachMaster(ctx, n.master, log, func(url string) error {
		var err error
		certPEM, caPEM, err = pki.JoinAs(ctx, url, token, key, id, n.hosts)
		return err
	})
	if err != nil {
		return nil, nil, false, err
	}
	keyPEM, err := pki.EncodeKey(key)
	if err != nil {
		return nil, nil, false, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, false, err
	}
	if err := os.WriteFile(filepath.Join(dir, pki.CACertFile), caPEM, 0o644); err != nil {
		return nil, nil, false, err
	}
	if err := pki.SaveKeyPair(dir, frameworkCertName, certPEM, keyPEM); err != nil {
		return nil, nil, false, err
	}
	certs, ca, err = loadFrameworkCert(dir, id, time.Now())
	return certs, ca, err == nil, err
}

var errNoFrameworkCert = errors.New("no framework certificate")

// loadFrameworkCert reads the pair and the CA from dir and checks the
// certificate is current, chains to the CA and is the framework's.
func loadFrameworkCert(dir string, id pki.Identity, now time.Time) (*pki.CertStore, *x509.Certificate, error) {
	certPEM, keyPEM, err := pki.LoadKeyPair(dir, frameworkCertName)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, fmt.Errorf("%w in %s", errNoFrameworkCert, dir)
	}
	if err != nil {
		return nil, nil, err
	}
	caPath := filepath.Join(dir, pki.CACertFile)
	caPEM, err := os.ReadFile(caPath)
	if err != nil {
		return nil, nil, fmt.Errorf("framework certificate without the cluster CA: %w", err)
	}
	ca, err := pki.ParseCert(caPEM)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", caPath, err)
	}
	certs, err := pki.NewCertStore(certPEM, keyPEM)
	if err != nil {
		return nil, nil, err
	}
	leaf := certs.Leaf()
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: (&pki.CA{Cert: ca}).Pool(), CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
		return nil, nil, fmt.Errorf("framework certificate in %s is not usable (%v): join again", dir, err)
	}
	if got, err := pki.IdentityOf(leaf); err != nil || got != id {
		return nil, nil, fmt.Errorf("the certificate in %s is for %s, not %s: join again or use another --tls_dir", dir, leaf.Subject.CommonName, id)
	}
	return certs, ca, nil
}

// masterSigner renews through the first master of --master that answers.
func masterSigner(client *http.Client, master string, log *zap.Logger) pki.SignFunc {
	return func(ctx context.Context, csrPEM []byte) ([]byte, error) {
		var cert []byte
		err := eachMaster(ctx, master, log, func(url string) error {
			var err error
			cert, err = pki.RemoteSigner(client, url)(ctx, csrPEM)
			return err
		})
		return cert, err
	}
}

// eachMaster calls try with the https URL of each master of --master in
// turn until one succeeds (every master holds the CA and serves the join
// and renew endpoints); for a zk:// URL, with the leading master's.
func eachMaster(ctx context.Context, master string, log *zap.Logger, try func(url string) error) error {
	urls, err := masterURLs(ctx, master, log)
	if err != nil {
		return err
	}
	var errs []error
	for _, u := range urls {
		err := try(u)
		if err == nil {
			return nil
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func masterURLs(ctx context.Context, master string, log *zap.Logger) ([]string, error) {
	master = strings.TrimSpace(master)
	if detector.IsZK(master) {
		ctx, cancel := context.WithTimeout(ctx, leaderLookupTimeout)
		defer cancel()
		u, err := detector.Leader(ctx, master, log.Named("detector"))
		if err != nil {
			return nil, fmt.Errorf("--master: %w", err)
		}
		return []string{"https://" + u.Host}, nil
	}
	var urls []string
	for _, p := range strings.Split(master, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		if strings.HasPrefix(p, "http://") {
			return nil, fmt.Errorf("--master %s: a framework with a cluster certificate reaches the master over https", p)
		}
		urls = append(urls, withDefaultPort(p))
	}
	if len(urls) == 0 {
		return nil, errors.New("--master is required")
	}
	return urls, nil
}

// frameworkHosts are the names a replica's certificate carries: those
// other replicas and clients reach it by.
func frameworkHosts(hostname string, ips ...string) []string {
	return dedupe(append([]string{hostname, "localhost", "127.0.0.1"}, nonWildcard(ips...)...))
}
