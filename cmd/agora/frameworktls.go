package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"go.uber.org/zap"

	"github.com/agoraproject/agora/internal/leaderproxy"
	"github.com/agoraproject/agora/internal/pki"
	"github.com/agoraproject/agora/sdk/scheduler"
)

// frameworkTLSFlags are how the bundled frameworks serve their REST APIs
// over HTTPS: with a certificate of the cluster CA obtained with a join
// token (frameworkjoin.go), or with the operator's pair. Without either
// the API is plain HTTP, as in `agora dev`.
type frameworkTLSFlags struct {
	cert, key string
	joinToken string
	dir       string
}

func bindFrameworkTLSFlags(fs *flag.FlagSet) *frameworkTLSFlags {
	f := &frameworkTLSFlags{}
	fs.StringVar(&f.cert, "tls_cert", "", "PEM certificate the REST API serves HTTPS with (default: plain HTTP, or the cluster certificate of --join_token); other replicas reach the leader over https then")
	fs.StringVar(&f.key, "tls_key", "", "PEM private key of --tls_cert")
	fs.StringVar(&f.joinToken, "join_token", "", "join token of a TLS cluster made by `agora token create --role framework` on the master: the framework gets a certificate from the cluster CA, serves its REST API over HTTPS with it (renewed in process), and trusts that CA for the master and the other replicas; needed until --tls_dir holds a certificate")
	fs.StringVar(&f.dir, "tls_dir", "", "directory keeping the framework's cluster certificate, key and CA (framework.crt, framework.key, ca.crt); default <work_dir>/tls")
	return f
}

// frameworkTLS is what the flags resolve to.
type frameworkTLS struct {
	serve  serveOptions
	scheme string // "http" or "https"
	// leader carries requests a standby forwards to the leader; nil is
	// http.DefaultTransport.
	leader http.RoundTripper
	// scheduler points the SDK client at the master over mutual TLS
	// trusting the cluster CA; nil without a cluster certificate.
	scheduler func(*scheduler.Config)
	// renewer keeps the cluster certificate fresh; nil without one.
	renewer *pki.Renewer
}

// frameworkNode is who the framework replica is and how it is reached.
type frameworkNode struct {
	name     string // the certificate's name: framework:<name>
	master   string // --master
	workDir  string // where tls/ goes by default; may be empty
	hostname string
	hosts    []string // SANs of the certificate
	caFile   string   // --ssl_ca_file
}

// setup resolves the flags: a cluster certificate (joined now or kept in
// the TLS directory), the operator's pair, or plain HTTP.
func (f *frameworkTLSFlags) setup(ctx context.Context, n frameworkNode, log *zap.Logger) (*frameworkTLS, error) {
	dir := f.dir
	if dir == "" && n.workDir != "" {
		dir = filepath.Join(n.workDir, frameworkTLSDir)
	}
	clustered := f.joinToken != "" || f.dir != "" || (dir != "" && hasFrameworkCert(dir))
	if !clustered {
		opts, scheme, err := f.serving()
		if err != nil {
			return nil, err
		}
		ft := &frameworkTLS{serve: opts, scheme: scheme}
		if scheme == "https" {
			if ft.leader, err = trustingTransport(n.caFile); err != nil {
				return nil, err
			}
		}
		return ft, nil
	}
	if f.cert != "" || f.key != "" {
		return nil, fmt.Errorf("--tls_cert/--tls_key and a cluster certificate (--join_token, --tls_dir) exclude each other")
	}
	if dir == "" {
		return nil, fmt.Errorf("--join_token needs --tls_dir or --work_dir to keep the certificate in")
	}
	return joinedTLS(ctx, f.joinToken, dir, n, log)
}

// serving resolves --tls_cert/--tls_key into the options of the master's
// serving path and the scheme the API is reached by ("http" or "https").
// The pair is read once, at start: rotating it takes a restart.
func (f *frameworkTLSFlags) serving() (serveOptions, string, error) {
	if f == nil || (f.cert == "" && f.key == "") {
		return serveOptions{}, "http", nil
	}
	if f.cert == "" || f.key == "" {
		return serveOptions{}, "", fmt.Errorf("--tls_cert and --tls_key go together")
	}
	// The master's loader: with tlsCert set it reads the pair and needs no CA.
	certs, err := servingCertificate(&securityFlags{tlsCert: f.cert, tlsKey: f.key}, nil, pki.Config{}, "", nil, time.Time{})
	if err != nil {
		return serveOptions{}, "", err
	}
	return serveOptions{tls: frameworkServerConfig(certs)}, "https", nil
}

// frameworkServerConfig serves the store's current certificate, so a
// renewed one is used from the next handshake on.
func frameworkServerConfig(certs *pki.CertStore) *tls.Config {
	cfg := pki.ServerConfig(certs, nil, nil)
	// Frameworks' clients (browsers, CLIs, other replicas) are
	// authenticated by no certificate; asking for one would only make
	// browsers prompt.
	cfg.ClientAuth = tls.NoClientCert
	return cfg
}

// trustingTransport is how a standby reaches a leader serving the
// operator's certificate: the system's roots, plus --ssl_ca_file's CA
// when given (a private CA that issued the replicas' certificates).
func trustingTransport(caFile string) (http.RoundTripper, error) {
	if caFile == "" {
		return nil, nil
	}
	data, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("--ssl_ca_file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("--ssl_ca_file %s: no PEM certificate", caFile)
	}
	return leaderproxy.TLSTransport(&tls.Config{MinVersion: tls.VersionTLS12, RootCAs: pool}), nil
}

// withRenewal runs the renewer beside run, until run's context ends.
func (ft *frameworkTLS) withRenewal(run func(context.Context) error) func(context.Context) error {
	if ft.renewer == nil {
		return run
	}
	return func(ctx context.Context) error {
		go func() { _ = ft.renewer.Run(ctx) }()
		return run(ctx)
	}
}

// chainSchedulerHooks applies first, then second (either may be nil).
func chainSchedulerHooks(first, second func(*scheduler.Config)) func(*scheduler.Config) {
	switch {
	case first == nil:
		return second
	case second == nil:
		return first
	}
	return func(sc *scheduler.Config) { first(sc); second(sc) }
}
