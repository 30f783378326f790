package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/agoraproject/agora/internal/duration"
	"github.com/agoraproject/agora/internal/store"
	"github.com/agoraproject/agora/internal/zkurl"
	"github.com/agoraproject/agora/master"
	"github.com/agoraproject/agora/master/api"
)

type masterFlags struct {
	cfg          master.Config
	zk           string
	zkTimeout    time.Duration
	quorum       int
	ip           string
	advertiseIP  string
	logLevel     string
	maxBodyBytes int64
	sec          *securityFlags // security.go
}

func bindMasterFlags(fs *flag.FlagSet) *masterFlags {
	mf := &masterFlags{cfg: master.DefaultConfig()}
	c := &mf.cfg
	fs.StringVar(&mf.ip, "ip", "0.0.0.0", "IP address to listen on")
	fs.StringVar(&mf.advertiseIP, "advertise_ip", "", "IP address advertised to agents and frameworks (default: --ip, or this host's first non-loopback address)")
	fs.IntVar(&c.Port, "port", c.Port, "port to listen on")
	fs.StringVar(&c.Hostname, "hostname", "", "hostname advertised in MasterInfo (default: the system hostname)")
	fs.StringVar(&c.WorkDir, "work_dir", "", "directory for the master's durable state")
	fs.Var(duration.Value{D: &c.AllocationInterval}, "allocation_interval", "period of the batch allocation cycle")
	fs.Var(duration.Value{D: &c.MinAllocationGap}, "min_allocation_gap", "shortest time between two allocation passes; declines, ended tasks and new agents within it are allocated together (0 = after every batch of calls)")
	fs.Var(duration.Value{D: &c.OfferTimeout}, "offer_timeout", "rescind offers outstanding longer than this (0 = never)")
	fs.Var(duration.Value{D: &c.AgentPingTimeout}, "agent_ping_timeout", "how often agents are pinged; a ping without a pong in this time is missed")
	fs.IntVar(&c.MaxAgentPingTimeouts, "max_agent_ping_timeouts", c.MaxAgentPingTimeouts, "missed pings after which an agent is unreachable")
	fs.IntVar(&c.MaxCompletedFrameworks, "max_completed_frameworks", c.MaxCompletedFrameworks, "completed frameworks kept for the state endpoints")
	fs.IntVar(&c.MaxCompletedTasksPerFramework, "max_completed_tasks_per_framework", c.MaxCompletedTasksPerFramework, "completed tasks kept per framework")
	fs.StringVar(&mf.logLevel, "logging_level", "INFO", "log level: DEBUG, INFO, WARNING or ERROR")
	fs.Func("weights", "role weights as role1=weight1,role2=weight2 (UPDATE_WEIGHTS changes them at run time)", func(v string) error {
		w, err := parseWeights(v)
		c.Weights = w
		return err
	})
	fs.Int64Var(&mf.maxBodyBytes, "max_request_body_bytes", api.DefaultMaxBodyBytes, "largest accepted request body; larger ones get 413")
	fs.StringVar(&mf.zk, "zk", "", "ZooKeeper URL for leader election and the registry: zk://host1:port1,host2:port2,.../path (empty: one master, registry under --work_dir)")
	mf.zkTimeout = master.DefaultZKSessionTimeout
	fs.Var(duration.Value{D: &mf.zkTimeout}, "zk_session_timeout", "ZooKeeper session timeout: a dead leader is replaced about this long after it dies")
	fs.IntVar(&mf.quorum, "quorum", 0, "accepted for Mesos compatibility: the registry lives in ZooKeeper, which has its own quorum")
	fs.Var(duration.Value{D: &c.AgentReregisterTimeout}, "agent_reregister_timeout", "how long agents have to reregister with a new leader before they are marked unreachable")
	mf.sec = bindSecurityFlags(fs)
	return mf
}

// startMaster listens, then runs the master and its HTTP server until ctx
// ends. ready, if set, receives the listen address once it is bound.
func startMaster(ctx context.Context, mf *masterFlags, flags map[string]string, log *zap.Logger, level zap.AtomicLevel, ready func(addr string)) error {
	ln, err := net.Listen("tcp", net.JoinHostPort(mf.ip, strconv.Itoa(mf.cfg.Port)))
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	cfg := mf.cfg
	cfg.Port = ln.Addr().(*net.TCPAddr).Port
	cfg.IP = mf.advertiseIP
	if cfg.IP == "" {
		cfg.IP = advertisedIP(mf.ip)
	}
	cfg.Hostname = hostname(cfg.Hostname)
	cfg.Flags = flags
	cfg.Logger = log
	cfg.RefuseRootTasks, cfg.RefusePrivilegedContainers = !mf.sec.allowRoot, !mf.sec.allowPrivileged
	sec, err := mf.sec.setup(cfg.WorkDir, cfg.Hostname, masterHosts(cfg.Hostname, cfg.IP, mf.ip), log)
	if err != nil {
		ln.Close()
		return err
	}
	reg, closeReg, err := openRegistry(mf, log)
	if err != nil {
		ln.Close()
		return err
	}
	defer closeReg()
	var router *api.LeaderRouter
	leader, err := master.NewLeader(master.LeaderConfig{
		Master: cfg, ZK: mf.zk, ZKSessionTimeout: mf.zkTimeout, Registry: reg,
		Lead: func(m *master.Master) {
			h := api.New(m, log)
			h.SetMaxBodyBytes(mf.maxBodyBytes)
			h.SetLogLevel(level)
			h.SetSecurity(sec.api)
			router.Lead(m, h)
		},
		Follow: func() { router.Follow() },
	})
	if err != nil {
		ln.Close()
		return err
	}
	router = api.NewLeaderRouter(leader.LeaderInfo, log)
	run := leader.Run
	if sec.renewer != nil {
		run = func(ctx context.Context) error {
			go func() { _ = sec.renewer.Run(ctx) }()
			return leader.Run(ctx)
		}
	}
	return runServingWith(ctx, ln, sec.serve, run, sec.wrap(router), log, func() {
		log.Info("master listening", zap.String("url", sec.scheme+"://"+ln.Addr().String()), zap.String("zk", redactZK(mf.zk)))
		if ready != nil {
			ready(ln.Addr().String())
		}
	})
}

func runMaster(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("agora master", flag.ContinueOnError)
	mf := bindMasterFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := mf.cfg.Validate(); err != nil {
		return err
	}
	if mf.quorum < 0 {
		return fmt.Errorf("--quorum: %d must not be negative", mf.quorum)
	}
	log, level, err := newLogger(mf.logLevel)
	if err != nil {
		return err
	}
	defer log.Sync()
	return startMaster(ctx, mf, flagValues(fs), log, level, nil)
}

// parseWeights reads Mesos's --weights: role=weight pairs separated by
// commas.
func parseWeights(v string) (map[string]float64, error) {
	out := map[string]float64{}
	for _, pair := range strings.Split(v, ",") {
		if pair = strings.TrimSpace(pair); pair == "" {
			continue
		}
		role, weight, ok := strings.Cut(pair, "=")
		if !ok {
			return nil, fmt.Errorf("%q is not role=weight", pair)
		}
		w, err := strconv.ParseFloat(strings.TrimSpace(weight), 64)
		if err != nil {
			return nil, fmt.Errorf("weight of role %q: %v", role, err)
		}
		out[strings.TrimSpace(role)] = w
	}
	return out, nil
}

// openRegistry opens where the master keeps its registry: ZooKeeper under
// <--zk path>/registry, files under <--work_dir>/registry, or memory
// without either.
func openRegistry(mf *masterFlags, log *zap.Logger) (store.Store, func(), error) {
	switch {
	case mf.zk != "":
		u, err := zkurl.Parse(mf.zk)
		if err != nil {
			return nil, nil, fmt.Errorf("--zk: %w", err)
		}
		u.Path = path.Join(u.Path, "registry")
		z, err := store.OpenZK(u, log.Named("registry"))
		if err != nil {
			return nil, nil, fmt.Errorf("registry: %w", err)
		}
		return z, func() { z.Close() }, nil
	case mf.cfg.WorkDir != "":
		f, err := store.OpenFile(filepath.Join(mf.cfg.WorkDir, "registry"))
		if err != nil {
			return nil, nil, fmt.Errorf("registry: %w", err)
		}
		return f, func() { f.Close() }, nil
	}
	return nil, func() {}, nil
}

func redactZK(s string) string {
	if u, err := zkurl.Parse(s); err == nil {
		return u.Redacted()
	}
	return s
}
