package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/agoraproject/agora/agent/sim"
	"github.com/agoraproject/agora/internal/duration"
)

// simFlags are the simulated agents' flags, shared by `agora sim` and
// `agora bench`.
type simFlags struct {
	cfg    sim.Config
	agents int
	groups string
	seed   uint64
}

func bindSimFlags(fs *flag.FlagSet, defaultAgents int) *simFlags {
	sf := &simFlags{agents: defaultAgents}
	c := &sf.cfg
	fs.IntVar(&sf.agents, "agents", defaultAgents, "number of simulated agents, each with "+sim.DefaultResources+" (ignored with --groups)")
	fs.StringVar(&sf.groups, "groups", "", "agent groups, '|'-separated, each 'name=NAME count=N resources=RES attributes=ATTRS' (see docs/sim.md)")
	fs.Var(duration.Value{D: &c.Containerizer.LaunchDelay}, "launch_delay", "delay from RUN_TASK to TASK_STARTING/TASK_RUNNING")
	fs.Var(duration.Value{D: &c.Containerizer.TaskDuration}, "task_duration", "how long a task runs before TASK_FINISHED/TASK_FAILED (0 = until killed)")
	fs.Float64Var(&c.Containerizer.FailureRate, "failure_rate", 0, "fraction of tasks that end in TASK_FAILED")
	fs.Uint64Var(&sf.seed, "seed", 1, "random seed; the same seed repeats a run")
	fs.Float64Var(&c.AckLossRate, "ack_loss_rate", 0, "fraction of acknowledgements the agents ignore, to exercise update retries")
	fs.Var(duration.Value{D: &c.Updates.InitialBackoff}, "update_backoff", "first resend delay of an unacknowledged status update, doubling up to 60s (default 1secs, as the agent)")
	fs.IntVar(&c.Senders, "senders", sim.DefaultSenders, "calls to the master in flight at once, over all agents")
	fs.IntVar(&c.SubscribeConcurrency, "subscribe_concurrency", sim.DefaultSubscribeConcurrency, "subscriptions waiting for SUBSCRIBED at once")
	return sf
}

// config resolves the groups; Validate is left to the caller.
func (sf *simFlags) config(master string, log *zap.Logger) (sim.Config, error) {
	c := sf.cfg
	c.Master, c.Seed, c.Logger = master, sf.seed, log
	if sf.groups == "" {
		if sf.agents < 1 {
			return c, errors.New("--agents: must be at least 1")
		}
		c.Groups = sim.UniformGroups(sf.agents)
		return c, nil
	}
	gs, err := sim.ParseGroups(sf.groups)
	if err != nil {
		return c, fmt.Errorf("--%w", err)
	}
	c.Groups = gs
	return c, nil
}

// runSim runs simulated agents against a master until interrupted.
func runSim(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("agora sim", flag.ContinueOnError)
	master := fs.String("master", "127.0.0.1:5050", "master host:port or URL")
	sf := bindSimFlags(fs, 100)
	every := 10 * time.Second
	fs.Var(duration.Value{D: &every}, "stats_interval", "how often to log the fleet's counters (0 = never)")
	logLevel := fs.String("logging_level", "INFO", "log level: DEBUG, INFO, WARNING or ERROR")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log, _, err := newLogger(*logLevel)
	if err != nil {
		return err
	}
	defer log.Sync()
	cfg, err := sf.config(*master, log)
	if err != nil {
		return err
	}
	fleet, err := sim.New(cfg)
	if err != nil {
		return err
	}
	if every > 0 {
		go logSimStats(ctx, fleet, every, log.Named("sim"))
	}
	return fleet.Run(ctx)
}

func logSimStats(ctx context.Context, f *sim.Fleet, every time.Duration, log *zap.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s := f.Stats()
		log.Info("fleet", zap.Int("agents", s.Agents), zap.Int("subscribed", s.Subscribed), zap.Int64("tasks_live", s.TasksLive),
			zap.Uint64("tasks_launched", s.TasksLaunched), zap.Uint64("updates_sent", s.UpdatesSent),
			zap.Uint64("updates_resent", s.UpdatesResent), zap.Uint64("updates_pending", s.UpdatesPending()),
			zap.Uint64("call_errors", s.CallErrors), zap.Uint64("stream_failures", s.StreamFailures))
	}
}
