package core

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"go.uber.org/zap"

	"github.com/agoraproject/agora/sdk/scheduler"
)

// Store is the durable key/value store the core keeps its state in (package
// internal/store satisfies it). Keys are "/"-separated paths; List returns
// the keys under a prefix.
type Store interface {
	Get(ctx context.Context, key string) ([]byte, error)
	Put(ctx context.Context, key string, value []byte) error
	Delete(ctx context.Context, key string) error
	List(ctx context.Context, prefix string) ([]string, error)
}

// Elector contends for leadership among replicas (package internal/election
// satisfies it). Run contends until its context ends, then resigns.
type Elector interface {
	Run(ctx context.Context) error
	IsLeader() bool
	Changes() <-chan struct{}
	Leader() ([]byte, bool)
}

// Clock gives the time and timers; tests inject sdktest.Clock.
type Clock interface {
	Now() time.Time
	NewTimer(d time.Duration) scheduler.Timer
}

type realClock struct{ scheduler.RealClock }

func (realClock) Now() time.Time { return time.Now() }

// Config configures a Core. Master and Store are required.
type Config struct {
	// Master is the master's address (see scheduler.Config.Master).
	Master string
	// Store keeps apps, versions, groups, deployments, instances and the
	// framework ID.
	Store Store
	// NewElector, when set, makes the core contend for leadership and
	// drive the master only while it leads. Each call returns a fresh
	// elector; abdicating ends one and starts another.
	NewElector func() (Elector, error)

	// User runs the tasks of apps without "user"; Role is the framework's
	// role; Hostname and WebUIURL are sent in FrameworkInfo.
	User, Role, Hostname, WebUIURL string
	// FailoverTimeout is how long the master keeps the tasks while no
	// scheduler is connected (default one week).
	FailoverTimeout time.Duration
	// TaskLaunchTimeout is how long a task may stay staging before it is
	// killed and replaced (default 5 minutes, Marathon's default).
	TaskLaunchTimeout time.Duration
	// ReconcileInterval is the period of explicit reconciliation (default
	// 5 minutes).
	ReconcileInterval time.Duration
	// TickInterval is the period of timer-driven duties: back-off expiry,
	// unreachable instances, launch timeouts (default 1 s).
	TickInterval time.Duration
	// BackoffResetAfter is how long an instance must run healthy before
	// its app's launch back-off is forgotten (default 1 minute).
	BackoffResetAfter time.Duration
	// DeclineRefuse is the refuse filter of offers declined while
	// something waits (default 5 s); IdleRefuse the one while nothing
	// waits (default 2 minutes).
	DeclineRefuse, IdleRefuse time.Duration
	// MaxVersions bounds the stored versions per app (default 50).
	MaxVersions int

	// HTTPPort, ZK and Version are reported by Info.
	HTTPPort int
	// Advertise is this replica's "host:port", reported as the leader's
	// address when no elector is configured.
	Advertise string
	// Scheme is how the REST API is reached, "http" (default) or
	// "https"; LeaderURL carries it, so standbys proxy to the leader with
	// it. Replicas of one Marathon serve alike.
	Scheme  string
	ZK      string
	Version string

	// SchedulerConfig, when set, adjusts the SDK client's configuration
	// (tests shorten backoffs; the default is fine for production).
	SchedulerConfig func(*scheduler.Config)

	Clock  Clock
	Rand   *rand.Rand
	Logger *zap.Logger
}

// Defaults of Config.
const (
	DefaultFailoverTimeout   = 7 * 24 * time.Hour
	DefaultTaskLaunchTimeout = 5 * time.Minute
	DefaultReconcileInterval = 5 * time.Minute
	DefaultTickInterval      = time.Second
	DefaultBackoffResetAfter = time.Minute
	DefaultDeclineRefuse     = 5 * time.Second
	DefaultIdleRefuse        = 2 * time.Minute
	DefaultMaxVersions       = 50
)

// WithDefaults returns c with every unset optional field filled.
func (c Config) WithDefaults() Config {
	if c.User == "" {
		c.User = "root"
	}
	if c.Role == "" {
		c.Role = "*"
	}
	if c.FailoverTimeout == 0 {
		c.FailoverTimeout = DefaultFailoverTimeout
	}
	if c.TaskLaunchTimeout == 0 {
		c.TaskLaunchTimeout = DefaultTaskLaunchTimeout
	}
	if c.ReconcileInterval == 0 {
		c.ReconcileInterval = DefaultReconcileInterval
	}
	if c.TickInterval == 0 {
		c.TickInterval = DefaultTickInterval
	}
	if c.BackoffResetAfter == 0 {
		c.BackoffResetAfter = DefaultBackoffResetAfter
	}
	if c.DeclineRefuse == 0 {
		c.DeclineRefuse = DefaultDeclineRefuse
	}
	if c.IdleRefuse == 0 {
		c.IdleRefuse = DefaultIdleRefuse
	}
	if c.MaxVersions == 0 {
		c.MaxVersions = DefaultMaxVersions
	}
	if c.Version == "" {
		c.Version = "1.10.0"
	}
	if c.Scheme == "" {
		c.Scheme = "http"
	}
	if c.Clock == nil {
		c.Clock = realClock{}
	}
	if c.Rand == nil {
		seed := uint64(time.Now().UnixNano())
		c.Rand = rand.New(rand.NewPCG(seed, seed>>1|1))
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	return c
}

// Validate reports what is missing or out of range, naming the field.
func (c Config) Validate() error {
	var errs []error
	if c.Master == "" {
		errs = append(errs, errors.New("marathon: Master (--master) is required"))
	}
	if c.Store == nil {
		errs = append(errs, errors.New("marathon: Store is required"))
	}
	for name, d := range map[string]time.Duration{
		"FailoverTimeout (--failover_timeout)":          c.FailoverTimeout,
		"TaskLaunchTimeout (--task_launch_timeout)":     c.TaskLaunchTimeout,
		"ReconcileInterval (--reconciliation_interval)": c.ReconcileInterval,
		"TickInterval":      c.TickInterval,
		"BackoffResetAfter": c.BackoffResetAfter,
		"DeclineRefuse":     c.DeclineRefuse,
		"IdleRefuse":        c.IdleRefuse,
	} {
		if d < 0 {
			errs = append(errs, fmt.Errorf("marathon: %s must not be negative, got %v", name, d))
		}
	}
	if c.MaxVersions < 0 {
		errs = append(errs, fmt.Errorf("marathon: MaxVersions must not be negative, got %d", c.MaxVersions))
	}
	if c.Scheme != "" && c.Scheme != "http" && c.Scheme != "https" {
		errs = append(errs, fmt.Errorf("marathon: Scheme %q: want http or https", c.Scheme))
	}
	return errors.Join(errs...)
}
