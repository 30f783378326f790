// Package batch is a complete custom framework built only on the Agora SDK:
// it runs N copies of a shell command as Mesos command tasks, packing as
// many into each offer as fit, retries failed tasks, prints one line per
// task attempt that ends, and tears itself down when every task has ended.
//
// It is an example to read and copy, not a job system: it keeps its state in
// memory, so a restarted batch starts over (the old framework's tasks are
// left to its failover timeout), and it has no notion of dependencies or
// schedules (see the Chronos-compatible framework for those).
package batch

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"go.uber.org/zap"
)

// Config describes one batch.
type Config struct {
	Master  string  // "host:port", a URL, or a comma-separated list
	Tasks   int     // how many tasks to run (default 1)
	Cmd     string  // shell command each task runs (required)
	Cpus    float64 // per task (default 0.1)
	Mem     float64 // MiB per task (default 32)
	Name    string  // framework name and task name prefix (default "batch")
	Role    string  // role to get offers for (default "*")
	User    string  // user the tasks run as (required; main uses the caller's)
	JSON    bool    // speak JSON to the master instead of protobuf
	Retries int     // how many times a failed task is retried (default 0)

	// RefuseSeconds filters offers the batch could not use while tasks are
	// waiting (default 5, as Mesos's own default filter). Offers that come
	// when nothing is waiting are refused for IdleRefuseSeconds (default
	// 300) and offers are suppressed; a retry revives them.
	RefuseSeconds     float64
	IdleRefuseSeconds float64

	Out    io.Writer   // where result lines go (default os.Stdout)
	Logger *zap.Logger // default zap.NewNop()
}

// WithDefaults fills unset optional fields.
func (c Config) WithDefaults() Config {
	if c.Tasks == 0 {
		c.Tasks = 1
	}
	if c.Cpus == 0 {
		c.Cpus = 0.1
	}
	if c.Mem == 0 {
		c.Mem = 32
	}
	if c.Name == "" {
		c.Name = "batch"
	}
	if c.Role == "" {
		c.Role = "*"
	}
	if c.RefuseSeconds == 0 {
		c.RefuseSeconds = 5
	}
	if c.IdleRefuseSeconds == 0 {
		c.IdleRefuseSeconds = 300
	}
	if c.Out == nil {
		c.Out = os.Stdout
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	return c
}

// Validate reports what is wrong with c once defaults are applied.
func (c Config) Validate() error {
	c = c.WithDefaults()
	var errs []error
	if strings.TrimSpace(c.Master) == "" {
		errs = append(errs, errors.New("batch: --master is required"))
	}
	if c.Tasks < 0 {
		errs = append(errs, fmt.Errorf("batch: --tasks %d is negative", c.Tasks))
	}
	if strings.TrimSpace(c.Cmd) == "" {
		errs = append(errs, errors.New("batch: --cmd is required"))
	}
	if c.Cpus < 0 || c.Mem < 0 {
		errs = append(errs, fmt.Errorf("batch: --cpus %v and --mem %v must be positive", c.Cpus, c.Mem))
	}
	if c.Retries < 0 {
		errs = append(errs, fmt.Errorf("batch: --retries %d is negative", c.Retries))
	}
	if c.User == "" {
		errs = append(errs, errors.New("batch: a user to run tasks as is required"))
	}
	if c.RefuseSeconds < 0 || c.IdleRefuseSeconds < 0 {
		errs = append(errs, errors.New("batch: refuse seconds must not be negative"))
	}
	return errors.Join(errs...)
}
