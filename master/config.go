package master

import (
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"
)

// Config is the master's configuration. Flag names in cmd/agora follow
// Mesos (--allocation_interval, --offer_timeout, ...); defaults are Mesos's.
type Config struct {
	// IP and Port are advertised in MasterInfo and used to build pids.
	IP       string
	Port     int
	Hostname string
	WorkDir  string

	// AllocationInterval is the period of the batch allocation cycle.
	AllocationInterval time.Duration
	// MinAllocationGap is the shortest wall-clock time between two
	// allocation passes. Events that trigger one (a decline, a task's end, a
	// new agent, a revive) within it are allocated together in one pass when
	// it has passed, so frameworks get fewer, bigger OFFERS events and answer
	// with fewer, bigger DECLINEs. The first event after a quiet spell is
	// allocated at once; only full passes and passes that made offers start
	// the gap. 0 allocates after every batch of calls.
	MinAllocationGap time.Duration
	// OfferTimeout rescinds offers outstanding longer than this; 0 = never.
	OfferTimeout time.Duration
	// AgentPingTimeout is how often agents are pinged; an agent that misses
	// MaxAgentPingTimeouts consecutive pings is unreachable.
	AgentPingTimeout     time.Duration
	MaxAgentPingTimeouts int
	// HeartbeatInterval is the period of HEARTBEAT events to frameworks.
	HeartbeatInterval time.Duration
	// MaxCompletedTasksPerFramework bounds the completed-task history.
	MaxCompletedTasksPerFramework int
	// MaxCompletedFrameworks bounds the torn-down framework history.
	MaxCompletedFrameworks int
	// EventBuffer bounds each framework's and agent's outgoing event queue;
	// a peer that falls this far behind is disconnected instead of stalling
	// the master.
	EventBuffer int
	// TickInterval is the resolution of the master's timers.
	TickInterval time.Duration
	// AgentReregisterTimeout is how long agents the registry lists have to
	// reregister with a new leader before they are recorded unreachable.
	AgentReregisterTimeout time.Duration

	// Weights are roles' weights (--weights); UPDATE_WEIGHTS changes them.
	Weights map[string]float64

	// RefuseRootTasks and RefusePrivilegedContainers make launches that
	// would run as root, or in a privileged Docker container, fail with
	// TASK_ERROR (auth_launch.go). The zero value refuses nothing; `agora
	// master` refuses both unless --allow_root_tasks and
	// --allow_privileged_containers.
	RefuseRootTasks            bool
	RefusePrivilegedContainers bool

	// Flags are the command-line flags as given, reported by /master/state.
	Flags map[string]string

	Clock  Clock
	Logger *zap.Logger
}

// Clock is the master's source of time; tests inject a fake.
type Clock interface{ Now() time.Time }

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

// DefaultMinAllocationGap is MinAllocationGap's default: short enough that an
// ended task's resources are offered again within a few milliseconds, long
// enough that a busy master allocates a few hundred times a second rather
// than after every call.
const DefaultMinAllocationGap = 5 * time.Millisecond

// DefaultConfig returns Mesos's defaults.
func DefaultConfig() Config {
	return Config{
		IP:                            "127.0.0.1",
		Port:                          5050,
		AllocationInterval:            time.Second,
		MinAllocationGap:              DefaultMinAllocationGap,
		AgentPingTimeout:              15 * time.Second,
		MaxAgentPingTimeouts:          5,
		HeartbeatInterval:             15 * time.Second,
		MaxCompletedTasksPerFramework: 1000,
		MaxCompletedFrameworks:        50,
		EventBuffer:                   8192,
		TickInterval:                  50 * time.Millisecond,
		AgentReregisterTimeout:        10 * time.Minute,
	}
}

// Validate checks the configuration and fills unset optional fields.
func (c *Config) Validate() error {
	var errs []error
	if c.Port < 0 || c.Port > 65535 {
		errs = append(errs, fmt.Errorf("port: %d is not a TCP port", c.Port))
	}
	if c.AllocationInterval <= 0 {
		errs = append(errs, errors.New("allocation_interval: must be positive"))
	}
	if c.MinAllocationGap < 0 || c.MinAllocationGap > c.AllocationInterval {
		errs = append(errs, errors.New("min_allocation_gap: must be between 0 and allocation_interval"))
	}
	if c.OfferTimeout < 0 {
		errs = append(errs, errors.New("offer_timeout: must not be negative"))
	}
	if c.AgentPingTimeout <= 0 {
		errs = append(errs, errors.New("agent_ping_timeout: must be positive"))
	}
	if c.MaxAgentPingTimeouts < 1 {
		errs = append(errs, errors.New("max_agent_ping_timeouts: must be at least 1"))
	}
	if c.HeartbeatInterval <= 0 {
		errs = append(errs, errors.New("heartbeat_interval: must be positive"))
	}
	if c.AgentReregisterTimeout < 0 {
		errs = append(errs, errors.New("agent_reregister_timeout: must not be negative"))
	}
	if c.EventBuffer < 16 {
		errs = append(errs, errors.New("event buffer: must be at least 16"))
	}
	if c.TickInterval <= 0 {
		c.TickInterval = 50 * time.Millisecond
	}
	if c.MaxCompletedTasksPerFramework < 0 || c.MaxCompletedFrameworks < 0 {
		errs = append(errs, errors.New("completed history bounds must not be negative"))
	}
	if err := validateWeightsConfig(c.Weights); err != nil {
		errs = append(errs, err)
	}
	if c.Clock == nil {
		c.Clock = realClock{}
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	return errors.Join(errs...)
}
