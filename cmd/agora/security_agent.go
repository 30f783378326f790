package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/agoraproject/agora/agent"
	"github.com/agoraproject/agora/internal/authn"
	"github.com/agoraproject/agora/internal/duration"
	"github.com/agoraproject/agora/internal/pki"
)

// agentSecurityFlags choose how an agent joins a TLS cluster.
type agentSecurityFlags struct {
	joinToken     string
	headerTimeout time.Duration
	credential    string // --credential: a file, as Mesos's agent flag
}

func bindAgentSecurityFlags(fs *flag.FlagSet) *agentSecurityFlags {
	sf := &agentSecurityFlags{headerTimeout: defaultHeaderTimeout}
	fs.StringVar(&sf.joinToken, "join_token", "", "join token of a TLS cluster (AGORA-1-...), printed by `agora master` or made by `agora token create`; needed until the agent holds a certificate under <work_dir>/tls")
	fs.Var(duration.Value{D: &sf.headerTimeout}, "http_header_timeout", "how long a client may take for the TLS handshake and a request's headers before the connection is closed")
	fs.StringVar(&sf.credential, "credential", "", `file with the agent's credential for a master with --authenticate_agents: {"principal": "...", "secret": "..."} or one "principal secret" line (a path or file:// URL)`)
	return sf
}

// agentTLS is a TLS agent's wiring; nil for a plain-HTTP agent.
type agentTLS struct {
	creds   *agent.Credentials
	renewer *pki.Renewer
	// executors is the plain-HTTP listener of the executor API.
	executors net.Listener
	// followLeader renews through the leader the agent follows (zk://).
	followLeader bool
	client       *http.Client
}

// setupAgentTLS decides whether the agent speaks TLS — it does with a
// join token, with a certificate in its work_dir, or with an https://
// master — and, if so, joins or loads its certificate and points cfg's
// master client at the master over mutual TLS.
func setupAgentTLS(ctx context.Context, sf *agentSecurityFlags, cfg *agent.Config, bindIP string, log *zap.Logger) (*agentTLS, error) {
	master := strings.TrimSpace(cfg.Master)
	zk := strings.HasPrefix(master, "zk://")
	if sf.joinToken == "" && !agent.HasCredentials(cfg.WorkDir) && !strings.HasPrefix(master, "https://") {
		return nil, nil
	}
	if strings.HasPrefix(master, "http://") {
		return nil, fmt.Errorf("--master %s: a TLS agent (it has --join_token or a certificate in --work_dir) needs https://", master)
	}
	if !zk && !strings.Contains(master, "://") {
		master = "https://" + master
	}
	if zk && sf.joinToken != "" {
		return nil, fmt.Errorf("--join_token needs --master https://host:port of a master (join once, then zk:// works)")
	}
	name := hostname(cfg.Hostname)
	hosts := dedupe(append([]string{name, "localhost", "127.0.0.1"}, nonWildcard(cfg.IP, bindIP)...))
	creds, err := agent.LoadOrJoin(ctx, cfg.WorkDir, withDefaultPort(master), sf.joinToken, name, hosts, time.Now(), log)
	if err != nil {
		return nil, err
	}
	if creds.Joined {
		log.Info("joined the cluster", zap.String("identity", creds.Certs.Leaf().Subject.CommonName),
			zap.Time("not_after", creds.Certs.Leaf().NotAfter))
	}
	client := agent.MasterHTTPClient(pki.ClientConfig(creds.Pool(), creds.Certs, pki.RoleMaster, nil))
	cfg.HTTPClient = client
	cfg.Master = master
	cfg.MasterScheme = "https"
	t := &agentTLS{creds: creds, client: client}
	t.renewer = creds.Renewer(client, withDefaultPort(master), hosts, log)
	if zk {
		// Renew through whichever master leads when it is time.
		t.followLeader = true
	}
	if t.executors, err = net.Listen("tcp", net.JoinHostPort(bindIP, "0")); err != nil {
		return nil, fmt.Errorf("executor API listener: %w", err)
	}
	cfg.ExecutorPort = t.executors.Addr().(*net.TCPAddr).Port
	return t, nil
}

// serveOptions is HTTPS with the agent's certificate, clients verified
// against the cluster CA when they offer a certificate.
func (t *agentTLS) serveOptions(headerTimeout time.Duration) serveOptions {
	return serveOptions{tls: pki.ServerConfig(t.creds.Certs, t.creds.Pool(), nil), headerTimeout: headerTimeout}
}

// run serves the executor API and renews the certificate until ctx ends.
func (t *agentTLS) run(ctx context.Context, a *agent.Agent, log *zap.Logger, headerTimeout time.Duration) {
	go func() {
		if err := serve(ctx, t.executors, a.ExecutorHandler(), log, serveOptions{headerTimeout: headerTimeout}); err != nil {
			log.Error("executor API server stopped", zap.Error(err))
		}
	}()
	if t.renewer != nil {
		if t.followLeader {
			t.renewer.Sign = a.LeaderSigner(t.client)
		}
		go func() { _ = t.renewer.Run(ctx) }()
	}
}

func (t *agentTLS) handler(h http.Handler) http.Handler { return agent.RequireMasterCertificate(h) }

// withDefaultPort adds Mesos's master port to a URL without one.
func withDefaultPort(u string) string {
	rest := strings.TrimPrefix(u, "https://")
	host := strings.SplitN(rest, "/", 2)[0]
	if _, _, err := net.SplitHostPort(host); err != nil {
		return "https://" + net.JoinHostPort(host, fmt.Sprint(agent.DefaultMasterPort))
	}
	return "https://" + host
}

func nonWildcard(ips ...string) []string {
	var out []string
	for _, ip := range ips {
		if ip != "" && ip != "0.0.0.0" && ip != "::" {
			out = append(out, ip)
		}
	}
	return out
}

// applyAgentCredential makes the agent send its --credential to the
// master as HTTP Basic.
func applyAgentCredential(value string, cfg *agent.Config, log *zap.Logger) error {
	if value == "" {
		return nil
	}
	c, err := loadAgentCredential(value)
	if err != nil {
		return fmt.Errorf("--credential: %w", err)
	}
	cfg.HTTPClient = agent.WithCredential(cfg.HTTPClient, c.Principal, c.Secret)
	log.Info("agent credential loaded", zap.String("principal", c.Principal)) // never the secret
	return nil
}

// loadAgentCredential reads Mesos's agent --credential: a JSON object
// {"principal", "secret"} or one "principal secret" line, from a path or
// file:// URL.
func loadAgentCredential(value string) (authn.Credential, error) {
	path := strings.TrimPrefix(value, "file://")
	data, err := os.ReadFile(path)
	if err != nil {
		return authn.Credential{}, err
	}
	return parseAgentCredential(path, data)
}

func parseAgentCredential(path string, data []byte) (authn.Credential, error) {
	var c authn.Credential
	text := strings.TrimSpace(string(data))
	if strings.HasPrefix(text, "{") {
		var j struct {
			Principal string `json:"principal"`
			Secret    string `json:"secret"`
		}
		dec := json.NewDecoder(strings.NewReader(text))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&j); err != nil {
			return c, fmt.Errorf("%s: %v", path, err)
		}
		c.Principal, c.Secret = j.Principal, j.Secret
	} else {
		fields := strings.Fields(text)
		if len(fields) != 2 {
			return c, fmt.Errorf("%s: want one line \"principal secret\" or a JSON object", path)
		}
		c.Principal, c.Secret = fields[0], fields[1]
	}
	switch {
	case c.Principal == "":
		return c, fmt.Errorf("%s: principal is required", path)
	case c.Secret == "":
		return c, fmt.Errorf("%s: secret is required", path)
	case strings.Contains(c.Principal, ":"):
		return c, fmt.Errorf("%s: principal %q contains ':'", path, c.Principal)
	}
	return c, nil
}
