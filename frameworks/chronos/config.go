package chronos

import (
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/agoraproject/agora/frameworks/chronos/runner"
	"github.com/agoraproject/agora/internal/store"
	"github.com/agoraproject/agora/sdk/scheduler"
)

// Config configures the framework. Flags are parsed in cmd/agora.
type Config struct {
	Master          string        // --master: host:port, URL or list
	Name            string        // framework name (default "chronos")
	User            string        // framework user and default task user
	Role            string        // --mesos_role (default "*")
	Hostname        string        // advertised in FrameworkInfo
	WebURL          string        // FrameworkInfo.webui_url, e.g. http://host:4400
	FailoverTimeout time.Duration // --failover_timeout (default one week)
	DefaultCpus     float64       // --default_cpus (0.1)
	DefaultMem      float64       // --default_mem (128)
	// DefaultDisk is --default_disk: nil means 256 MiB; a pointer so that
	// 0 (tasks ask for no disk) can be chosen explicitly.
	DefaultDisk *float64
	// RefuseSeconds filters an offer nothing fits in while runs wait
	// (default 5); with nothing waiting offers are refused for
	// IdleRefuseSeconds (default 120) and suppressed.
	RefuseSeconds, IdleRefuseSeconds float64
	Runner                           runner.Config
	Store                            store.Store // required
	Clock                            Clock       // default the real clock
	Logger                           *zap.Logger
	// Scheduler, when set, adjusts the SDK client's config (tests set a
	// codec or short backoffs).
	Scheduler func(*scheduler.Config)
}

// WithDefaults fills unset optional fields.
func (c Config) WithDefaults() Config {
	if c.Name == "" {
		c.Name = "chronos"
	}
	if c.User == "" {
		c.User = "root"
	}
	if c.Role == "" {
		c.Role = "*"
	}
	if c.FailoverTimeout == 0 {
		c.FailoverTimeout = 7 * 24 * time.Hour
	}
	if c.DefaultCpus == 0 {
		c.DefaultCpus = 0.1
	}
	if c.DefaultMem == 0 {
		c.DefaultMem = 128
	}
	if c.DefaultDisk == nil {
		d := 256.0
		c.DefaultDisk = &d
	}
	if c.RefuseSeconds == 0 {
		c.RefuseSeconds = 5
	}
	if c.IdleRefuseSeconds == 0 {
		c.IdleRefuseSeconds = 120
	}
	c.Runner = c.Runner.WithDefaults()
	if c.Clock == nil {
		c.Clock = realClock{}
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	return c
}

// Validate reports what is wrong with c once defaults are applied, naming
// the flags.
func (c Config) Validate() error {
	c = c.WithDefaults()
	var errs []error
	if c.Master == "" {
		errs = append(errs, errors.New("--master is required"))
	}
	if c.Store == nil {
		errs = append(errs, errors.New("a store is required"))
	}
	if c.FailoverTimeout < 0 {
		errs = append(errs, fmt.Errorf("--failover_timeout %v is negative", c.FailoverTimeout))
	}
	if c.DefaultCpus < 0 || c.DefaultMem < 0 || *c.DefaultDisk < 0 {
		errs = append(errs, errors.New("--default_cpus, --default_mem and --default_disk must not be negative"))
	}
	if err := c.Runner.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("--%w", err))
	}
	return errors.Join(errs...)
}

// Clock is the time the framework runs on; sdktest.Clock fakes it.
type Clock interface {
	Now() time.Time
	NewTimer(d time.Duration) scheduler.Timer
}

type realClock struct{ scheduler.RealClock }

func (realClock) Now() time.Time { return time.Now() }
