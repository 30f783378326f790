// Package posix is the containerizer that runs a container as a plain
// process group on the host: no resource isolation, no images. Every
// container is its own process group, so signals reach the whole tree the
// command forks, and when the main process exits whatever it left behind in
// its group is killed, as Mesos destroys a container when its executor
// ends.
//
// It is not an isolator: a process that calls setsid escapes the group, and
// limits are not enforced (the cgroups containerizer does both). When the
// agent is root, tasks run as LaunchSpec.User.
package posix

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/agoraproject/agora/agent/containerizer"
	"github.com/agoraproject/agora/agent/internal/hostcmd"
)

// DefaultPath is searched for a program when the environment has no PATH.
const DefaultPath = hostcmd.DefaultPath

// Config configures the posix containerizer.
type Config struct {
	// Logger receives the containerizer's logs (default: none).
	Logger *zap.Logger
	// ReapTimeout bounds how long Wait waits for the rest of a process
	// group to die after SIGKILL (default 2 s); a process that is stuck in
	// the kernel must not hold the agent forever.
	ReapTimeout time.Duration
}

func (c Config) withDefaults() Config {
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	if c.ReapTimeout == 0 {
		c.ReapTimeout = 2 * time.Second
	}
	return c
}

// Validate reports invalid settings; zero fields take defaults.
func (c Config) Validate() error {
	if c.ReapTimeout < 0 {
		return errors.New("posix: negative reap timeout")
	}
	return nil
}

// Containerizer launches process groups. It is safe for concurrent use.
type Containerizer struct {
	cfg Config
	log *zap.Logger
}

var _ containerizer.Containerizer = (*Containerizer)(nil)

// New returns a posix containerizer.
func New(cfg Config) (*Containerizer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	return &Containerizer{cfg: cfg, log: cfg.Logger.Named("posix")}, nil
}

// Launch starts spec's command in a new process group with its output in
// the sandbox's stdout and stderr files, as spec.User when the agent is
// root.
func (c *Containerizer) Launch(_ context.Context, spec containerizer.LaunchSpec) (containerizer.Container, error) {
	if err := hostcmd.CheckHostContainer(spec.Container, "posix"); err != nil {
		return nil, err
	}
	hc, err := hostcmd.Build(spec)
	if err != nil {
		return nil, err
	}
	defer hc.Close()
	cmd := hc.Cmd
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("failed to start %q: %w", hc.Program, err)
	}
	p := &process{
		id:          spec.ContainerID,
		pgid:        cmd.Process.Pid,
		done:        make(chan struct{}),
		reapTimeout: c.cfg.ReapTimeout,
		log:         c.log.With(zap.String("container_id", spec.ContainerID), zap.Int("pid", cmd.Process.Pid)),
	}
	p.log.Debug("launched", zap.Strings("argv", hc.Argv))
	go p.wait(cmd)
	return p, nil
}

// process is one launched process group.
type process struct {
	id          string
	pgid        int
	reapTimeout time.Duration
	log         *zap.Logger

	mu     sync.Mutex
	exited bool // the group is gone: signalling -pgid could hit a reused ID
	status containerizer.ExitStatus
	done   chan struct{}
}

func (p *process) wait(cmd *exec.Cmd) {
	err := cmd.Wait()
	st := containerizer.ExitStatus{Code: -1}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok {
		switch {
		case ws.Exited():
			st.Code = ws.ExitStatus()
		case ws.Signaled():
			st.Signal = ws.Signal()
		}
	} else if err != nil {
		st.Message = "Failed to wait for the command: " + err.Error()
	}
	// The container ends with its main process: kill what it left behind
	// in its group, then give the kernel a moment to tear it down.
	_ = syscall.Kill(-p.pgid, syscall.SIGKILL)
	if !waitGroupGone(p.pgid, p.reapTimeout) {
		p.log.Warn("processes of the group survived SIGKILL")
	}
	p.log.Debug("exited", zap.Stringer("status", st))
	p.mu.Lock()
	p.exited, p.status = true, st
	p.mu.Unlock()
	close(p.done)
}

func (p *process) Wait(ctx context.Context) (containerizer.ExitStatus, error) {
	select {
	case <-p.done:
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.status, nil
	case <-ctx.Done():
		return containerizer.ExitStatus{}, ctx.Err()
	}
}

func (p *process) Terminate() error { return p.signal(syscall.SIGTERM) }

func (p *process) Kill() error { return p.signal(syscall.SIGKILL) }

func (p *process) signal(sig syscall.Signal) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.exited {
		return nil
	}
	if err := syscall.Kill(-p.pgid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("signal %v to process group %d: %w", sig, p.pgid, err)
	}
	return nil
}

func (p *process) Status() containerizer.Status {
	return containerizer.Status{ContainerID: p.id, PID: p.pgid}
}
