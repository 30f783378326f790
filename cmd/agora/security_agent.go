package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/agoraproject/agora/agent"
	"github.com/agoraproject/agora/internal/duration"
	"github.com/agoraproject/agora/internal/pki"
)

// agentSecurityFlags choose how an agent joins a TLS cluster.
type agentSecurityFlags struct {
	joinToken     string
	headerTimeout time.Duration
}

func bindAgentSecurityFlags(fs *flag.FlagSet) *agentSecurityFlags {
	sf := &agentSecurityFlags{headerTimeout: defaultHeaderTimeout}
	fs.StringVar(&sf.joinToken, "join_token", "", "join token of a TLS cluster (AGORA-1-...), printed by `agora master` or made by `agora token create`; needed until the agent holds a certificate under <work_dir>/tls")
	fs.Var(duration.Value{D: &sf.headerTimeout}, "http_header_timeout", "how long a client may take for the TLS handshake and a request's headers before the connection is closed")
	return sf
}

// agentTLS is a TLS agent's wiring; nil for a plain-HTTP agent.
type agentTLS struct {
	creds   *agent.Credentials
	renewer *pki.Renewer
	// executors is the plain-HTTP listener of the executor API.
	executors net.Listener
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
	t := &agentTLS{creds: creds}
	if !zk {
		t.renewer = creds.Renewer(client, withDefaultPort(master), hosts, log)
	} else {
		log.Warn("certificate renewal needs --master https://host:port; with zk:// join again before it expires",
			zap.Time("not_after", creds.Certs.Leaf().NotAfter))
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
