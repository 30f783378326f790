package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"strconv"

	"go.uber.org/zap"

	"github.com/agoraproject/agora/agent"
	"github.com/agoraproject/agora/agent/fetcher"
	"github.com/agoraproject/agora/internal/duration"
)

type agentFlags struct {
	cfg           agent.Config
	ip            string
	logLevel      string
	containerizer *containerizerFlags // containerizer.go
	docker        *dockerFlags        // docker.go
	sec           *agentSecurityFlags // security_agent.go
}

func bindAgentFlags(fs *flag.FlagSet) *agentFlags {
	af := &agentFlags{cfg: agent.Config{
		WorkDir:         agent.DefaultWorkDir,
		Port:            agent.DefaultPort,
		KillGracePeriod: agent.DefaultKillGracePeriod,

		ExecutorRegistrationTimeout: agent.DefaultExecutorRegistrationTimeout,
		ExecutorShutdownGracePeriod: agent.DefaultExecutorShutdownGracePeriod,
		RecoveryTimeout:             agent.DefaultRecoveryTimeout,

		FetcherStallTimeout: fetcher.DefaultStallTimeout,
	}}
	c := &af.cfg
	fs.StringVar(&c.Master, "master", "", "master address: host:port or http://host:port (required)")
	fs.StringVar(&c.WorkDir, "work_dir", c.WorkDir, "directory for sandboxes and agent state")
	fs.StringVar(&c.Resources, "resources", "", "resources overriding detection, e.g. 'cpus:4;mem:4096;ports:[31000-32000];cpus(ads):2'")
	fs.StringVar(&c.Attributes, "attributes", "", "attributes, e.g. 'rack:r1;zone:a'")
	fs.StringVar(&af.ip, "ip", "0.0.0.0", "IP address to listen on")
	fs.StringVar(&c.IP, "advertise_ip", "", "IP address advertised to the master (default: the address used to reach it)")
	fs.IntVar(&c.Port, "port", c.Port, "port of the agent's HTTP endpoints")
	fs.StringVar(&c.Hostname, "hostname", "", "hostname reported to the master (default: the system hostname)")
	fs.Var(duration.Value{D: &c.KillGracePeriod}, "kill_grace_period", "time between SIGTERM and SIGKILL when the task sets no kill policy")
	fs.Var(duration.Value{D: &c.ExecutorRegistrationTimeout}, "executor_registration_timeout", "how long a custom executor may take to subscribe before it is killed")
	fs.Var(duration.Value{D: &c.ExecutorShutdownGracePeriod}, "executor_shutdown_grace_period", "time between SHUTDOWN and killing a custom executor whose ExecutorInfo sets none")
	fs.Var(duration.Value{D: &c.RecoveryTimeout}, "recovery_timeout", "how long executors try to resubscribe after losing the agent (MESOS_RECOVERY_TIMEOUT)")
	fs.StringVar(&c.FetcherCacheDir, "fetcher_cache_dir", "", "directory of the cache of URIs fetched with cache=true (default: <work_dir>/"+agent.DefaultFetcherCacheDir+")")
	fs.Func("fetcher_cache_size", "bytes the fetcher cache keeps, e.g. 512MB (default 2GB)", func(s string) (err error) {
		c.FetcherCacheSize, err = fetcher.ParseSize(s)
		return err
	})
	fs.Var(duration.Value{D: &c.FetcherStallTimeout}, "fetcher_stall_timeout", "abort a URI download that receives no data for this long")
	fs.StringVar(&c.Recover, "recover", agent.RecoverReconnect, "after a restart on the same boot: reconnect (reattach to the tasks of checkpointing frameworks, keep the agent ID) or cleanup (kill what the previous run left, register as a new agent)")
	fs.StringVar(&af.logLevel, "logging_level", "INFO", "log level: DEBUG, INFO, WARNING or ERROR")
	af.containerizer = bindContainerizerFlags(fs)
	af.docker = bindDockerFlags(fs)
	af.sec = bindAgentSecurityFlags(fs)
	return af
}

// startAgent binds the agent's port, then runs it and its HTTP server
// until ctx ends.
func startAgent(ctx context.Context, af *agentFlags, log *zap.Logger, level zap.AtomicLevel, ready func(addr string)) error {
	ln, err := net.Listen("tcp", net.JoinHostPort(af.ip, strconv.Itoa(af.cfg.Port)))
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	cfg := af.cfg
	cfg.Port = ln.Addr().(*net.TCPAddr).Port
	cfg.Logger = log
	tlsAgent, err := setupAgentTLS(ctx, af.sec, &cfg, af.ip, log)
	if err != nil {
		ln.Close()
		return err
	}
	if err := applyAgentCredential(af.sec.credential, &cfg, log); err != nil {
		ln.Close()
		return err
	}
	if cfg.Containerizer, err = newContainerizer(*af.containerizer, log, newCgroupsContainerizer); err != nil {
		ln.Close()
		return err
	}
	cf := af.containerizer
	var closeDocker func()
	cfg.Containerizer, closeDocker, err = withDocker(ctx, cf.containerizers, cfg.Containerizer, *af.docker, cfg.WorkDir, cf.enableCFS, log)
	if err != nil {
		ln.Close()
		return err
	}
	defer closeDocker()
	a, err := agent.New(cfg)
	if err != nil {
		ln.Close()
		return err
	}
	a.SetLogLevel(level)
	run, h, opts := a.Run, a.Handler(), serveOptions{headerTimeout: af.sec.headerTimeout}
	if tlsAgent != nil {
		h, opts = tlsAgent.handler(h), tlsAgent.serveOptions(af.sec.headerTimeout)
		run = func(ctx context.Context) error {
			tlsAgent.run(ctx, a, log, af.sec.headerTimeout)
			return a.Run(ctx)
		}
	}
	return runServingWith(ctx, ln, opts, run, h, log, func() {
		log.Info("agent listening", zap.String("address", ln.Addr().String()), zap.String("master", cfg.Master))
		if ready != nil {
			ready(ln.Addr().String())
		}
	})
}

func runAgent(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("agora agent", flag.ContinueOnError)
	af := bindAgentFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if af.cfg.Master == "" {
		return fmt.Errorf("--master is required (host:port of the master)")
	}
	log, level, err := newLogger(af.logLevel)
	if err != nil {
		return err
	}
	defer log.Sync()
	return startAgent(ctx, af, log, level, nil)
}
