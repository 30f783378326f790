package agent

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/agoraproject/agora/agent/containerizer"
	"github.com/agoraproject/agora/agent/fetcher"
	"github.com/agoraproject/agora/agent/internal/clock"
	"github.com/agoraproject/agora/agent/statusupdate"
	"github.com/agoraproject/agora/internal/zkurl"
	protores "github.com/agoraproject/agora/proto/resources"
)

// Version is the Mesos version whose agent Agora's agent stands in for,
// reported by /version and in SUBSCRIBE.
const Version = "1.11.0"

// Defaults. The ping timeout and count match Mesos's --agent_ping_timeout
// and --max_agent_ping_timeouts.
const (
	DefaultWorkDir         = "/var/lib/agora"
	DefaultPort            = 5051
	DefaultMasterPort      = 5050
	DefaultPingTimeout     = 15 * time.Second
	DefaultMaxPingTimeouts = 5
	DefaultBackoff         = time.Second
	DefaultBackoffMax      = 30 * time.Second
	DefaultKillGracePeriod = 3 * time.Second

	// Custom executors, as Mesos's --executor_registration_timeout,
	// --executor_shutdown_grace_period, --recovery_timeout and its
	// DEFAULT_EXECUTOR_HEARTBEAT_INTERVAL.
	DefaultExecutorRegistrationTimeout = time.Minute
	DefaultExecutorShutdownGracePeriod = 5 * time.Second
	DefaultRecoveryTimeout             = 15 * time.Minute
	DefaultExecutorHeartbeatInterval   = 30 * time.Minute
)

// Config configures an Agent. Zero fields take the defaults above.
type Config struct {
	// Master is the master's address: "host:port", "host" (port 5050) or
	// an http(s) URL, possibly with a path prefix.
	Master string
	// WorkDir holds the sandboxes (--work_dir).
	WorkDir string
	// Resources overrides detected resources by name, in Mesos --resources
	// syntax ("cpus:2;mem:1024;cpus(ads):1") or JSON.
	Resources string
	// Attributes in Mesos --attributes syntax ("rack:r1;zone:a").
	Attributes string
	// Hostname reported to the master (default: os.Hostname).
	Hostname string
	// IP the agent is reachable at (default: the local address used to
	// reach the master).
	IP string
	// Port the agent's HTTP endpoints listen on; the caller serves Handler
	// there.
	Port int

	// PingTimeout is the master's ping interval assumed when SUBSCRIBED
	// does not state one; the agent resubscribes after MaxPingTimeouts
	// intervals without a ping.
	PingTimeout     time.Duration
	MaxPingTimeouts int
	// Backoff and BackoffMax bound the (jittered, doubling) delay between
	// subscription attempts.
	Backoff    time.Duration
	BackoffMax time.Duration
	// StatusUpdates is the retry schedule of unacknowledged updates.
	StatusUpdates statusupdate.Config
	// KillGracePeriod is the time between SIGTERM and SIGKILL when neither
	// KILL_TASK nor the TaskInfo has a kill policy.
	KillGracePeriod time.Duration
	// ExecutorRegistrationTimeout is how long a custom executor may take
	// to subscribe after its launch before it is killed and its tasks fail.
	ExecutorRegistrationTimeout time.Duration
	// ExecutorShutdownGracePeriod is the time between SHUTDOWN and killing
	// a custom executor whose ExecutorInfo sets none.
	ExecutorShutdownGracePeriod time.Duration
	// RecoveryTimeout is how long executors try to resubscribe after
	// losing the agent (their MESOS_RECOVERY_TIMEOUT).
	RecoveryTimeout time.Duration
	// ExecutorHeartbeatInterval is how often subscribed executors get a
	// HEARTBEAT event.
	ExecutorHeartbeatInterval time.Duration
	// FetcherCacheDir keeps URIs fetched with cache set
	// (--fetcher_cache_dir; default <WorkDir>/fetch-cache), FetcherCacheSize
	// bounds it (--fetcher_cache_size; default 2 GiB), and
	// FetcherStallTimeout aborts a download silent that long
	// (--fetcher_stall_timeout; default 1 minute). See agent/fetcher.
	FetcherCacheDir     string
	FetcherCacheSize    int64
	FetcherStallTimeout time.Duration

	// Recover is what a restarted agent does with the tasks of an earlier
	// run (--recover): RecoverReconnect (default) reattaches to those of
	// checkpointing frameworks and keeps the agent ID; RecoverCleanup kills
	// them all and registers as a new agent.
	Recover string
	// DetachOnStop makes Run, when its context ends, leave the tasks of
	// checkpointing frameworks running for the next agent to recover,
	// instead of killing every task.
	DetachOnStop bool

	// ExecutorPort, when set, is where executors reach the agent's
	// executor API (MESOS_AGENT_ENDPOINT) instead of Port: a TLS agent
	// serves it there over plain HTTP to processes that hold no
	// certificate (agent/tls.go). MasterScheme ("https") replaces the
	// scheme of a leader detected in ZooKeeper.
	ExecutorPort int
	MasterScheme string

	// Containerizer runs the tasks (default: agent/containerizer/posix).
	Containerizer containerizer.Containerizer
	// HTTPClient talks to the master (default: one without an overall
	// timeout, since the subscription is a long-lived stream).
	HTTPClient *http.Client
	// Clock drives timers (default: the wall clock); tests inject a fake.
	Clock clock.Clock
	// Seed seeds the backoff jitter; 0 picks one, which is logged.
	Seed int64
	// Logger receives the agent's logs (default: none).
	Logger *zap.Logger
}

func (c Config) withDefaults() Config {
	if c.WorkDir == "" {
		c.WorkDir = DefaultWorkDir
	}
	if c.Port == 0 {
		c.Port = DefaultPort
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
	if c.KillGracePeriod == 0 {
		c.KillGracePeriod = DefaultKillGracePeriod
	}
	if c.Recover == "" {
		c.Recover = RecoverReconnect
	}
	if c.ExecutorRegistrationTimeout == 0 {
		c.ExecutorRegistrationTimeout = DefaultExecutorRegistrationTimeout
	}
	if c.ExecutorShutdownGracePeriod == 0 {
		c.ExecutorShutdownGracePeriod = DefaultExecutorShutdownGracePeriod
	}
	if c.RecoveryTimeout == 0 {
		c.RecoveryTimeout = DefaultRecoveryTimeout
	}
	if c.ExecutorHeartbeatInterval == 0 {
		c.ExecutorHeartbeatInterval = DefaultExecutorHeartbeatInterval
	}
	if c.Clock == nil {
		c.Clock = clock.Real()
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	return c
}

// Validate reports the first invalid setting. Zero fields are valid: they
// take defaults.
func (c Config) Validate() error {
	c = c.withDefaults()
	if _, err := masterURL(c.Master); err != nil {
		return err
	}
	if c.Port < 1 || c.Port > 65535 {
		return fmt.Errorf("agent: port %d out of range", c.Port)
	}
	if c.IP != "" && net.ParseIP(c.IP) == nil {
		return fmt.Errorf("agent: ip %q is not an IP address", c.IP)
	}
	if _, err := protores.Parse(c.Resources); err != nil {
		return fmt.Errorf("agent: --resources: %w", err)
	}
	if _, err := protores.ParseAttributes(c.Attributes); err != nil {
		return fmt.Errorf("agent: --attributes: %w", err)
	}
	for name, d := range map[string]time.Duration{
		"ping timeout": c.PingTimeout, "backoff": c.Backoff, "backoff max": c.BackoffMax,
		"kill grace period": c.KillGracePeriod, "recovery timeout": c.RecoveryTimeout,
		"executor registration timeout":  c.ExecutorRegistrationTimeout,
		"executor shutdown grace period": c.ExecutorShutdownGracePeriod,
		"executor heartbeat interval":    c.ExecutorHeartbeatInterval,
	} {
		if d < 0 {
			return fmt.Errorf("agent: negative %s %v", name, d)
		}
	}
	if c.BackoffMax < c.Backoff {
		return fmt.Errorf("agent: backoff max %v is below the backoff %v", c.BackoffMax, c.Backoff)
	}
	if c.Recover != RecoverReconnect && c.Recover != RecoverCleanup {
		return fmt.Errorf("agent: --recover=%q must be %s or %s", c.Recover, RecoverReconnect, RecoverCleanup)
	}
	if c.MaxPingTimeouts < 1 {
		return fmt.Errorf("agent: max ping timeouts %d must be at least 1", c.MaxPingTimeouts)
	}
	if err := c.StatusUpdates.Validate(); err != nil {
		return fmt.Errorf("agent: %w", err)
	}
	if err := (fetcher.Config{CacheSize: c.FetcherCacheSize, StallTimeout: c.FetcherStallTimeout}).Validate(); err != nil {
		return fmt.Errorf("agent: %w", err)
	}
	return nil
}

// AgentAPIPath is where the master serves the agent protocol.
const AgentAPIPath = "/agora/v1/agent"

// masterURL turns --master into the agent protocol endpoint.
func masterURL(master string) (*url.URL, error) {
	master = strings.TrimSpace(master)
	if master == "" {
		return nil, errors.New("agent: no master address")
	}
	if strings.HasPrefix(master, "zk://") {
		// Followed by detect.go; no endpoint until a leader is found.
		if _, err := zkurl.Parse(master); err != nil {
			return nil, fmt.Errorf("agent: master: %w", err)
		}
		return nil, nil
	}
	if !strings.Contains(master, "://") {
		master = "http://" + master
	}
	u, err := url.Parse(master)
	if err != nil {
		return nil, fmt.Errorf("agent: master %q: %w", master, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("agent: master %q: scheme must be http or https", master)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("agent: master %q has no host", master)
	}
	if u.Port() == "" {
		u.Host = net.JoinHostPort(u.Hostname(), strconv.Itoa(DefaultMasterPort))
	} else if p, err := strconv.Atoi(u.Port()); err != nil || p < 1 || p > 65535 {
		return nil, fmt.Errorf("agent: master %q: bad port", master)
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + AgentAPIPath
	u.RawPath, u.RawQuery, u.Fragment = "", "", ""
	return u, nil
}
