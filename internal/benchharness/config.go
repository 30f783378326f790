package benchharness

import (
	"errors"
	"time"

	"go.uber.org/zap"

	"github.com/agoraproject/agora/agent/sim"
)

// Config describes one benchmark run.
type Config struct {
	// Master is the address (host:port) of the master under test.
	Master string
	// Frameworks share Tasks between them (the first ones take one more
	// when it does not divide).
	Frameworks int
	Tasks      int
	// TaskCpus and TaskMem are each task's resources (default 0.1, 32).
	TaskCpus, TaskMem float64
	// MaxTasksPerOffer caps how many tasks a framework packs into one
	// offer, spreading tasks over agents (default 1, as Marathon's
	// --max_tasks_per_offer once was).
	MaxTasksPerOffer int
	// LaunchRate, if positive, caps launches per second over all
	// frameworks; offers that find no budget are declined for RefuseSeconds.
	LaunchRate float64
	// RefuseSeconds is the filter put on declined offers and on what is
	// left of accepted ones while tasks still wait (default 1).
	RefuseSeconds float64
	// HoldOffers, if positive, makes rate-limited frameworks keep offers
	// they cannot use yet for up to this long and launch on them as the
	// budget allows, as Aurora holds offers, instead of declining them at
	// once (the default, which keeps offers cycling through the master).
	HoldOffers time.Duration
	// WaitFinished makes the run last until every task ended rather than
	// until every task is RUNNING; tasks then need a Sim task duration.
	WaitFinished bool
	// Sim configures the simulated agents; its Master is set from Master.
	Sim sim.Config
	// RegisterTimeout bounds the wait for all agents to subscribe, and
	// RunTimeout the launch phase (defaults 5 min each).
	RegisterTimeout, RunTimeout time.Duration
	// SampleInterval is how often the master's metrics are sampled during
	// the launch phase (default 1 s). Each read costs the master a walk
	// over every agent and task in its event loop.
	SampleInterval time.Duration
	// StateReads, if positive, makes the run read the master's state once
	// every task runs: each kind once cold and then this many times
	// (Result.StateReads).
	StateReads int
	// BeforeTeardown, if set, runs once the memory figures are taken and
	// before the frameworks are torn down: the state they describe (a heap
	// profile taken at the end would see the teardown's kills instead).
	BeforeTeardown func()
	Logger         *zap.Logger
}

// Validate checks c and fills defaults; errors name the flag.
func (c *Config) Validate() error {
	var errs []error
	if c.Master == "" {
		errs = append(errs, errors.New("master: required"))
	}
	if c.Frameworks < 1 {
		errs = append(errs, errors.New("frameworks: must be at least 1"))
	}
	if c.Tasks < c.Frameworks {
		errs = append(errs, errors.New("tasks: must be at least one per framework"))
	}
	if c.TaskCpus == 0 {
		c.TaskCpus = 0.1
	}
	if c.TaskMem == 0 {
		c.TaskMem = 32
	}
	if c.TaskCpus < 0 || c.TaskMem < 0 {
		errs = append(errs, errors.New("task_cpus, task_mem: must be positive"))
	}
	if c.MaxTasksPerOffer == 0 {
		c.MaxTasksPerOffer = 1
	}
	if c.MaxTasksPerOffer < 0 {
		errs = append(errs, errors.New("max_tasks_per_offer: must be positive"))
	}
	if c.LaunchRate < 0 {
		errs = append(errs, errors.New("launch_rate: must not be negative"))
	}
	if c.RefuseSeconds == 0 {
		c.RefuseSeconds = 1
	}
	if c.HoldOffers < 0 {
		errs = append(errs, errors.New("hold_offers: must not be negative"))
	}
	if c.WaitFinished && c.Sim.Containerizer.TaskDuration == 0 {
		errs = append(errs, errors.New("task_duration: must be set to wait for tasks to finish"))
	}
	if c.RegisterTimeout == 0 {
		c.RegisterTimeout = 5 * time.Minute
	}
	if c.RunTimeout == 0 {
		c.RunTimeout = 5 * time.Minute
	}
	if c.SampleInterval == 0 {
		c.SampleInterval = time.Second
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	c.Sim.Master = c.Master
	if c.Sim.Logger == nil {
		c.Sim.Logger = c.Logger
	}
	if err := c.Sim.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
