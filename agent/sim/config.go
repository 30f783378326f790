package sim

import (
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/agoraproject/agora/agent/statusupdate"
)

// Defaults of Config.
const (
	DefaultSenders              = 64
	DefaultSubscribeConcurrency = 64
	DefaultPingTimeout          = 15 * time.Second
	DefaultMaxPingTimeouts      = 5
	DefaultBackoff              = time.Second
	DefaultBackoffMax           = 30 * time.Second
	DefaultPort                 = 5051
)

// Config configures a Fleet of simulated agents.
type Config struct {
	// Master is the master's host:port or URL.
	Master string
	// Groups are the agents to simulate (see ParseGroups, UniformGroups).
	Groups []Group
	// Containerizer shapes every task's life.
	Containerizer ContainerizerConfig
	// Seed makes a run repeatable: agent i draws from a source seeded with
	// (Seed, i).
	Seed uint64
	// AckLossRate is the fraction of ACKNOWLEDGE events an agent ignores,
	// as if they were lost, so that updates are resent (default 0).
	AckLossRate float64
	// Updates is the status update retry schedule (default 1 s doubling
	// to 60 s, no sooner than 4 acknowledgement round trips, as the real
	// agent).
	Updates statusupdate.Config
	// Senders is how many calls to the master may be in flight at once,
	// over all agents, PONGs aside (they have senders of their own); it
	// also sizes the idle connection pool.
	Senders int
	// SubscribeConcurrency bounds subscriptions waiting for SUBSCRIBED, so
	// that thousands of agents starting together queue up here rather than
	// in the master's accept backlog.
	SubscribeConcurrency int
	// PingTimeout and MaxPingTimeouts: an agent that hears nothing for
	// MaxPingTimeouts ping intervals resubscribes. The interval is the one
	// SUBSCRIBED states, PingTimeout until then.
	PingTimeout     time.Duration
	MaxPingTimeouts int
	// Backoff and BackoffMax bound the jittered, doubling delay between
	// subscription attempts.
	Backoff, BackoffMax time.Duration
	// Port is reported in AgentInfo; nothing listens on it.
	Port int
	// Logger receives the fleet's logs; default none.
	Logger *zap.Logger
}

// Validate checks c and fills unset optional fields. Errors name the flag.
func (c *Config) Validate() error {
	var errs []error
	if _, err := masterURL(c.Master); err != nil {
		errs = append(errs, err)
	}
	if len(c.Groups) == 0 {
		errs = append(errs, errors.New("agents: at least one agent is required"))
	}
	for _, g := range c.Groups {
		if g.Count < 1 {
			errs = append(errs, fmt.Errorf("groups: group %q: count must be positive", g.Name))
		}
	}
	if err := c.Containerizer.Validate(); err != nil {
		errs = append(errs, err)
	}
	if !(c.AckLossRate >= 0 && c.AckLossRate < 1) {
		errs = append(errs, errors.New("ack_loss_rate: must be in [0, 1)"))
	}
	if err := c.Updates.Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.Senders < 0 || c.SubscribeConcurrency < 0 || c.MaxPingTimeouts < 0 || c.PingTimeout < 0 || c.Backoff < 0 || c.BackoffMax < 0 {
		errs = append(errs, errors.New("senders, subscribe concurrency, ping timeouts and backoffs must not be negative"))
	}
	if c.Senders == 0 {
		c.Senders = DefaultSenders
	}
	if c.SubscribeConcurrency == 0 {
		c.SubscribeConcurrency = DefaultSubscribeConcurrency
	}
	if c.PingTimeout == 0 {
		c.PingTimeout = DefaultPingTimeout
	}
	if c.MaxPingTimeouts == 0 {
		c.MaxPingTimeouts = DefaultMaxPingTimeouts
	}
	if c.Backoff == 0 {
		c.Backoff = DefaultBackoff
	}
	if c.BackoffMax == 0 {
		c.BackoffMax = DefaultBackoffMax
	}
	if c.BackoffMax < c.Backoff {
		errs = append(errs, fmt.Errorf("backoff: maximum %v is below the initial %v", c.BackoffMax, c.Backoff))
	}
	if c.Port == 0 {
		c.Port = DefaultPort
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	return errors.Join(errs...)
}
