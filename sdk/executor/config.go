package executor

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"go.uber.org/zap"

	"github.com/agoraproject/agora/internal/duration"
	"github.com/agoraproject/agora/proto/codec"
)

// Defaults applied by Config.WithDefaults: the values a Mesos agent uses
// when it sets no variable.
const (
	DefaultShutdownGracePeriod    = 5 * time.Second
	DefaultRecoveryTimeout        = 15 * time.Minute
	DefaultSubscriptionBackoffMax = 2 * time.Second
	DefaultCallTimeout            = 10 * time.Second
)

// Config configures a Client. FromEnv fills it from the environment the
// agent gives an executor.
type Config struct {
	// FrameworkID and ExecutorID name the executor in every call
	// (MESOS_FRAMEWORK_ID, MESOS_EXECUTOR_ID). Required.
	FrameworkID, ExecutorID string
	// AgentEndpoint is the agent's host:port (MESOS_AGENT_ENDPOINT), or an
	// http(s) URL. Required.
	AgentEndpoint string
	// Directory is the sandbox on the host (MESOS_DIRECTORY); Sandbox is
	// the sandbox as the executor sees it (MESOS_SANDBOX), the same path
	// unless a container image is used.
	Directory, Sandbox string
	// Checkpoint is set when the framework checkpoints (MESOS_CHECKPOINT):
	// only then does the client resubscribe after losing the agent.
	Checkpoint bool
	// ShutdownGracePeriod is how long the agent waits after SHUTDOWN
	// before it kills the executor (MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD).
	ShutdownGracePeriod time.Duration
	// RecoveryTimeout bounds how long the client tries to resubscribe
	// (MESOS_RECOVERY_TIMEOUT).
	RecoveryTimeout time.Duration
	// SubscriptionBackoffMax caps the delay between resubscription
	// attempts (MESOS_SUBSCRIPTION_BACKOFF_MAX).
	SubscriptionBackoffMax time.Duration

	// Codec chooses the wire encoding; default codec.Protobuf.
	Codec codec.Codec
	// HTTPClient carries the subscription and the calls; its Timeout, if
	// any, is ignored for the subscription. Default: one using
	// http.DefaultTransport.
	HTTPClient *http.Client
	// CallTimeout bounds a call whose context has no deadline.
	CallTimeout time.Duration
	// Logger receives the client's logs; default zap.NewNop().
	Logger *zap.Logger
}

// FromEnv reads the variables a Mesos or Agora agent sets for an executor.
// Durations are in Mesos's format ("5secs", "15mins") or Go's ("5s").
func FromEnv() (Config, error) { return FromLookup(os.LookupEnv) }

// FromLookup is FromEnv with a custom source of variables.
func FromLookup(lookup func(string) (string, bool)) (Config, error) {
	get := func(name string) string { v, _ := lookup(name); return v }
	c := Config{
		FrameworkID:   get("MESOS_FRAMEWORK_ID"),
		ExecutorID:    get("MESOS_EXECUTOR_ID"),
		AgentEndpoint: get("MESOS_AGENT_ENDPOINT"),
		Directory:     get("MESOS_DIRECTORY"),
		Sandbox:       get("MESOS_SANDBOX"),
	}
	var errs []error
	if v, ok := lookup("MESOS_CHECKPOINT"); ok && v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("executor: MESOS_CHECKPOINT=%q: want 1 or 0", v))
		}
		c.Checkpoint = b
	}
	for name, d := range map[string]*time.Duration{
		"MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD": &c.ShutdownGracePeriod,
		"MESOS_RECOVERY_TIMEOUT":               &c.RecoveryTimeout,
		"MESOS_SUBSCRIPTION_BACKOFF_MAX":       &c.SubscriptionBackoffMax,
	} {
		v, ok := lookup(name)
		if !ok || v == "" {
			continue
		}
		parsed, err := duration.Parse(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("executor: %s: %w", name, err))
		}
		*d = parsed
	}
	if c.Sandbox == "" {
		c.Sandbox = c.Directory
	}
	if err := errors.Join(errs...); err != nil {
		return c, err
	}
	return c, c.Validate()
}

// WithDefaults returns a copy of c with every unset optional field filled.
func (c Config) WithDefaults() Config {
	if c.ShutdownGracePeriod == 0 {
		c.ShutdownGracePeriod = DefaultShutdownGracePeriod
	}
	if c.RecoveryTimeout == 0 {
		c.RecoveryTimeout = DefaultRecoveryTimeout
	}
	if c.SubscriptionBackoffMax == 0 {
		c.SubscriptionBackoffMax = DefaultSubscriptionBackoffMax
	}
	if c.Codec == nil {
		c.Codec = codec.Protobuf
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Transport: http.DefaultTransport}
	}
	if c.CallTimeout == 0 {
		c.CallTimeout = DefaultCallTimeout
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	return c
}

// Validate reports what is missing or invalid once defaults are applied.
func (c Config) Validate() error {
	c = c.WithDefaults()
	var errs []error
	if c.FrameworkID == "" {
		errs = append(errs, errors.New("executor: FrameworkID (MESOS_FRAMEWORK_ID) is required"))
	}
	if c.ExecutorID == "" {
		errs = append(errs, errors.New("executor: ExecutorID (MESOS_EXECUTOR_ID) is required"))
	}
	if _, err := endpointURL(c.AgentEndpoint); err != nil {
		errs = append(errs, err)
	}
	for name, d := range map[string]time.Duration{
		"ShutdownGracePeriod": c.ShutdownGracePeriod, "RecoveryTimeout": c.RecoveryTimeout,
		"SubscriptionBackoffMax": c.SubscriptionBackoffMax, "CallTimeout": c.CallTimeout,
	} {
		if d < 0 {
			errs = append(errs, fmt.Errorf("executor: %s %v is negative", name, d))
		}
	}
	return errors.Join(errs...)
}

// apiPath is where agents serve the executor API.
const apiPath = "/api/v1/executor"

// endpointURL turns MESOS_AGENT_ENDPOINT (host:port) or a URL into the
// executor API's URL.
func endpointURL(endpoint string) (string, error) {
	if endpoint == "" {
		return "", errors.New("executor: AgentEndpoint (MESOS_AGENT_ENDPOINT) is required")
	}
	if host, port, err := net.SplitHostPort(endpoint); err == nil && host != "" && port != "" {
		return "http://" + net.JoinHostPort(host, port) + apiPath, nil
	}
	for _, scheme := range []string{"http://", "https://"} {
		if len(endpoint) > len(scheme) && endpoint[:len(scheme)] == scheme {
			rest := endpoint[len(scheme):]
			for len(rest) > 0 && rest[len(rest)-1] == '/' {
				rest = rest[:len(rest)-1]
			}
			return scheme + rest + apiPath, nil
		}
	}
	return "", fmt.Errorf("executor: AgentEndpoint %q is not host:port or an http(s) URL", endpoint)
}
