// Package posix is the containerizer that runs a container as a plain
// process group on the host: no resource isolation, no images. Every
// container is its own process group, so signals reach the whole tree the
// command forks, and when the main process exits whatever it left behind in
// its group is killed, as Mesos destroys a container when its executor
// ends.
//
// It is not an isolator: a process that calls setsid escapes the group, and
// limits are not enforced (the cgroups containerizer does both). It does not
// switch users.
package posix

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/agoraproject/agora/agent/containerizer"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// DefaultPath is searched for a program when the environment has no PATH.
const DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

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
// the sandbox's stdout and stderr files.
func (c *Containerizer) Launch(_ context.Context, spec containerizer.LaunchSpec) (containerizer.Container, error) {
	if ci := spec.Container; ci != nil {
		if ci.GetType() == mesos.ContainerInfo_DOCKER {
			return nil, errors.New("the posix containerizer cannot run Docker containers")
		}
		if ci.GetMesos().GetImage() != nil {
			return nil, errors.New("the posix containerizer cannot run container images")
		}
	}
	program, argv, err := containerizer.Argv(spec.Command)
	if err != nil {
		return nil, err
	}
	path, err := findExecutable(program, lookupEnv(spec.Env, "PATH"), spec.Sandbox)
	if err != nil {
		return nil, err
	}
	stdout, err := openOutput(spec.Sandbox, "stdout")
	if err != nil {
		return nil, err
	}
	defer stdout.Close()
	stderr, err := openOutput(spec.Sandbox, "stderr")
	if err != nil {
		return nil, err
	}
	defer stderr.Close()

	cmd := &exec.Cmd{
		Path:   path,
		Args:   argv,
		Env:    append([]string{}, spec.Env...), // never the agent's own environment
		Dir:    spec.Sandbox,
		Stdout: stdout,
		Stderr: stderr,
		// Setpgid makes the process group ID the child's PID, so that
		// signals to -pid reach everything it forks.
		SysProcAttr: &syscall.SysProcAttr{Setpgid: true},
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("failed to start %q: %w", program, err)
	}
	p := &process{
		id:          spec.ContainerID,
		pgid:        cmd.Process.Pid,
		done:        make(chan struct{}),
		reapTimeout: c.cfg.ReapTimeout,
		log:         c.log.With(zap.String("container_id", spec.ContainerID), zap.Int("pid", cmd.Process.Pid)),
	}
	p.log.Debug("launched", zap.Strings("argv", argv))
	go p.wait(cmd)
	return p, nil
}

func openOutput(dir, name string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("failed to open the sandbox's %s: %w", name, err)
	}
	return f, nil
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

// lookupEnv returns the last value of name in env (the one exec uses).
func lookupEnv(env []string, name string) string {
	v := ""
	for _, kv := range env {
		if k, val, ok := strings.Cut(kv, "="); ok && k == name {
			v = val
		}
	}
	return v
}

// findExecutable resolves program the way execvp does, but against the
// task's PATH rather than the agent's. Relative paths with a slash are
// relative to the sandbox, where the process starts.
func findExecutable(program, path, dir string) (string, error) {
	if strings.Contains(program, "/") {
		full := program
		if !filepath.IsAbs(full) {
			full = filepath.Join(dir, full)
		}
		if err := checkExecutable(full); err != nil {
			return "", fmt.Errorf("cannot execute %q: %w", program, err)
		}
		return full, nil
	}
	if path == "" {
		path = DefaultPath
	}
	for _, d := range filepath.SplitList(path) {
		if d == "" {
			d = "."
		}
		if !filepath.IsAbs(d) {
			d = filepath.Join(dir, d)
		}
		full := filepath.Join(d, program)
		if checkExecutable(full) == nil {
			return full, nil
		}
	}
	return "", fmt.Errorf("executable %q not found in PATH %s", program, path)
}

func checkExecutable(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return errors.New("no such file")
		}
		return err
	}
	if fi.IsDir() {
		return errors.New("is a directory")
	}
	if fi.Mode()&0o111 == 0 {
		return errors.New("permission denied")
	}
	return nil
}
