package main

import (
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"go.uber.org/zap"

	"github.com/agoraproject/agora/internal/acl"
	"github.com/agoraproject/agora/internal/authn"
	"github.com/agoraproject/agora/internal/duration"
	"github.com/agoraproject/agora/internal/pki"
	"github.com/agoraproject/agora/master/api"
)

// securityFlags are the master's TLS, authentication and authorization
// flags. The authentication ones are Mesos's.
type securityFlags struct {
	tls           bool
	tlsCert       string
	tlsKey        string
	caCert        string
	caKey         string
	credentials   string
	authn         authn.Flags
	acls          string
	headerTimeout time.Duration
	// Launch policy and subscription limits (security_limits.go).
	allowRoot, allowPrivileged bool
	frameworkSubscribes        api.RateLimit
	agentSubscribes            api.RateLimit
}

func bindSecurityFlags(fs *flag.FlagSet) *securityFlags {
	sf := &securityFlags{tls: true, headerTimeout: defaultHeaderTimeout}
	fs.BoolVar(&sf.tls, "tls", true, "serve HTTPS and require agents to hold a certificate from the cluster CA (--tls=false: plain HTTP, as agora dev)")
	fs.StringVar(&sf.tlsCert, "tls_cert", "", "PEM certificate to serve instead of one issued by the cluster CA (agents accept it only if the cluster CA issued it for a master)")
	fs.StringVar(&sf.tlsKey, "tls_key", "", "PEM private key of --tls_cert")
	fs.StringVar(&sf.caCert, "ca_cert", "", "cluster CA certificate to use instead of <work_dir>/ca.crt (every master of a cluster needs the same CA)")
	fs.StringVar(&sf.caKey, "ca_key", "", "private key of --ca_cert (mode 0600)")
	fs.StringVar(&sf.credentials, "credentials", "", "Mesos credentials file (JSON or 'principal secret' lines; a path or file:// URL)")
	fs.BoolVar(&sf.authn.Frameworks, "authenticate_frameworks", false, "frameworks must authenticate (HTTP Basic or bearer token) to use the scheduler API")
	fs.BoolVar(&sf.authn.Agents, "authenticate_agents", false, "agents must send credentials, in addition to their certificate")
	fs.BoolVar(&sf.authn.HTTPReadOnly, "authenticate_http_readonly", false, "endpoints that show state (/master/state, /metrics, the agent files proxy) require credentials")
	fs.BoolVar(&sf.authn.HTTPReadWrite, "authenticate_http_readwrite", false, "endpoints that change state (the operator API /api/v1, /logging/toggle) require credentials")
	fs.StringVar(&sf.acls, "acls", "", "Mesos ACLs: inline JSON, a path or a file:// URL (default: everything allowed)")
	fs.Var(duration.Value{D: &sf.headerTimeout}, "http_header_timeout", "how long a client may take for the TLS handshake and a request's headers before the connection is closed")
	sf.bindLimits(fs)
	return sf
}

// masterSecurity is what the flags resolve to.
type masterSecurity struct {
	serve serveOptions
	// api is given to each leader's handler; wrap goes around the
	// leader router (standbys authenticate and serve the CA too).
	api  api.Security
	wrap func(http.Handler) http.Handler
	// renewer keeps a generated serving certificate fresh; nil otherwise.
	renewer *pki.Renewer
	scheme  string
}

// setup loads credentials and ACLs and, with TLS, the cluster CA (created
// in workDir on the first start, with a first join token), the serving
// certificate and the join endpoints.
func (sf *securityFlags) setup(workDir, hostname string, hosts []string, log *zap.Logger) (*masterSecurity, error) {
	ms := &masterSecurity{scheme: "http", serve: serveOptions{headerTimeout: sf.headerTimeout}}
	if sf.credentials != "" {
		creds, err := authn.LoadCredentials(sf.credentials)
		if err != nil {
			return nil, fmt.Errorf("--credentials: %w", err)
		}
		ms.api.Authenticator = authn.NewStatic(creds)
		log.Info("credentials loaded", zap.Int("principals", len(creds.List)))
	}
	if err := sf.authn.Validate(sf.credentials != ""); err != nil {
		return nil, err
	}
	ms.api.Flags = sf.authn
	ms.api.FrameworkSubscribes, ms.api.AgentSubscribes = sf.frameworkSubscribes, sf.agentSubscribes
	if sf.acls != "" {
		a, err := acl.Load(sf.acls)
		if err != nil {
			return nil, fmt.Errorf("--acls: %w", err)
		}
		ms.api.Authorizer = a
	}
	ms.api.Logger = log.Named("authn")
	ms.wrap = func(h http.Handler) http.Handler { return api.Protect(h, ms.api) }
	if !sf.tls {
		if sf.tlsCert != "" || sf.caCert != "" {
			return nil, fmt.Errorf("--tls_cert and --ca_cert need --tls (they were given with --tls=false)")
		}
		return ms, nil
	}
	if err := sf.setupTLS(ms, workDir, hostname, hosts, log); err != nil {
		return nil, err
	}
	return ms, nil
}

func (sf *securityFlags) setupTLS(ms *masterSecurity, workDir, hostname string, hosts []string, log *zap.Logger) error {
	if workDir == "" {
		return fmt.Errorf("--work_dir is required with TLS: it keeps the cluster CA and the join tokens (or pass --tls=false)")
	}
	if (sf.tlsCert == "") != (sf.tlsKey == "") {
		return fmt.Errorf("--tls_cert and --tls_key go together")
	}
	if (sf.caCert == "") != (sf.caKey == "") {
		return fmt.Errorf("--ca_cert and --ca_key go together")
	}
	if err := os.MkdirAll(workDir, 0o700); err != nil {
		return err
	}
	now := time.Now()
	cfg := pki.Defaults()
	var ca *pki.CA
	var err error
	if sf.caCert != "" {
		ca, err = pki.LoadCA(sf.caCert, sf.caKey, now)
	} else {
		var created bool
		ca, created, err = pki.LoadOrCreateCA(workDir, cfg, now, rand.Reader)
		if created {
			log.Info("cluster CA created", zap.String("dir", workDir), zap.String("fingerprint", ca.Fingerprint()))
		}
	}
	if err != nil {
		return err
	}
	tokensPath := filepath.Join(workDir, pki.TokensFile)
	if err := firstJoinToken(tokensPath, ca.Fingerprint(), workDir, now); err != nil {
		return err
	}

	certs, err := servingCertificate(sf, ca, cfg, hostname, hosts, now)
	if err != nil {
		return err
	}
	if sf.tlsCert == "" {
		ms.renewer = &pki.Renewer{Store: certs, Sign: pki.LocalSigner(ca, cfg.CertLifetime, time.Now), Hosts: hosts, Logger: log.Named("renewer")}
	}
	ms.serve.tls = pki.ServerConfig(certs, ca.Pool(), nil)
	ms.api.AgentCertificates = true
	ms.api.AgentTLS = agentClientTLS(ca.Pool(), certs)
	ms.scheme = "https"
	issuer := &pki.Server{CA: ca, Tokens: fileTokens{path: tokensPath, fp: ca.Fingerprint()}, Config: cfg, Logger: log.Named("pki")}
	ms.wrap = func(h http.Handler) http.Handler {
		mux := http.NewServeMux()
		mux.HandleFunc(pki.PathCA, issuer.ServeCA)
		mux.HandleFunc(pki.PathJoin, issuer.ServeJoin)
		mux.HandleFunc(pki.PathRenew, issuer.ServeRenew)
		mux.Handle("/", api.Protect(h, ms.api))
		return mux
	}
	log.Info("TLS on: agents join with a token", zap.String("ca_fingerprint", ca.Fingerprint()),
		zap.String("tokens", "agora token create --work_dir "+workDir))
	return nil
}

// JoinTokenFile is where the master writes the join token it creates on
// its first start (mode 0600, beside the CA key, which is more powerful).
const JoinTokenFile = "join_token"

// firstJoinToken creates a token when the master has never had one, so a
// new cluster needs no step besides passing it to agents: it is printed
// once and written to <work_dir>/join_token.
func firstJoinToken(tokensPath, fingerprint, workDir string, now time.Time) error {
	if _, err := os.Stat(tokensPath); err == nil {
		return nil
	}
	store, err := pki.OpenTokenStore(tokensPath, fingerprint)
	if err != nil {
		return err
	}
	t, err := store.Create(now, 0, rand.Reader)
	if err != nil {
		return err
	}
	path := filepath.Join(workDir, JoinTokenFile)
	if err := os.WriteFile(path, []byte(t.Encode()+"\n"), 0o600); err != nil {
		return err
	}
	fmt.Printf("\nJoin token for agents (also in %s; more with `agora token create --work_dir %s`):\n\n  %s\n\n", path, workDir, t.Encode())
	return nil
}

// servingCertificate is --tls_cert/--tls_key, or a master certificate
// issued by the CA for the names the master is reached by.
func servingCertificate(sf *securityFlags, ca *pki.CA, cfg pki.Config, hostname string, hosts []string, now time.Time) (*pki.CertStore, error) {
	if sf.tlsCert != "" {
		certPEM, err := os.ReadFile(sf.tlsCert)
		if err != nil {
			return nil, fmt.Errorf("--tls_cert: %w", err)
		}
		keyPEM, err := os.ReadFile(sf.tlsKey)
		if err != nil {
			return nil, fmt.Errorf("--tls_key: %w", err)
		}
		s, err := pki.NewCertStore(certPEM, keyPEM)
		if err != nil {
			return nil, fmt.Errorf("--tls_cert/--tls_key: %w", err)
		}
		return s, nil
	}
	certPEM, keyPEM, err := ca.IssueKeyPair(pki.Identity{Role: pki.RoleMaster, Name: hostname}, hosts, now, cfg.CertLifetime, rand.Reader)
	if err != nil {
		return nil, err
	}
	return pki.NewCertStore(certPEM, keyPEM)
}

// agentClientTLS is how the master reaches agents (the files proxy): it
// presents its certificate and accepts a server holding an agent
// certificate of the cluster CA. Agents are addressed by the IP they
// registered with, which their certificate need not name, so the role
// and the chain are checked instead of the host name.
func agentClientTLS(pool *x509.CertPool, certs *pki.CertStore) *tls.Config {
	return &tls.Config{
		MinVersion:           tls.VersionTLS12,
		GetClientCertificate: certs.GetClientCertificate,
		InsecureSkipVerify:   true, // replaced by VerifyConnection below
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return fmt.Errorf("agent sent no certificate")
			}
			inter := x509.NewCertPool()
			for _, c := range cs.PeerCertificates[1:] {
				inter.AddCert(c)
			}
			leaf := cs.PeerCertificates[0]
			if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, Intermediates: inter,
				KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
				return fmt.Errorf("agent certificate: %w", err)
			}
			id, err := pki.IdentityOf(leaf)
			if err != nil {
				return err
			}
			if id.Role != pki.RoleAgent {
				return fmt.Errorf("server is %s, want an agent", id)
			}
			return nil
		},
	}
}

// fileTokens verifies join tokens against the file on every join, so
// tokens made or revoked by `agora token` count without a restart.
type fileTokens struct{ path, fp string }

func (f fileTokens) Verify(t pki.Token, now time.Time) (pki.TokenRecord, error) {
	s, err := pki.OpenTokenStore(f.path, f.fp)
	if err != nil {
		return pki.TokenRecord{}, err
	}
	return s.Verify(t, now)
}

// masterHosts are the names a master's certificate carries.
func masterHosts(hostname, ip, bindIP string) []string {
	hosts := []string{hostname, "localhost", "127.0.0.1"}
	for _, h := range []string{ip, bindIP} {
		if h != "" && h != "0.0.0.0" && h != "::" {
			hosts = append(hosts, h)
		}
	}
	return dedupe(hosts)
}

func dedupe(in []string) []string {
	seen := map[string]bool{}
	out := in[:0]
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
