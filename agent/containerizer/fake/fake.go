// Package fake is an in-memory containerizer.Containerizer for tests of the
// agent and for simulations: nothing runs, the test decides when and how
// each container exits, and signals are recorded.
//
// It is not a conformance target (it runs no commands) and it is not meant
// for production.
package fake

import (
	"context"
	"sync"
	"syscall"

	"github.com/agoraproject/agora/agent/containerizer"
)

// Containerizer records launches. It is safe for concurrent use.
type Containerizer struct {
	mu       sync.Mutex
	fail     func(containerizer.LaunchSpec) error
	gate     chan struct{} // non-nil: launches wait until it closes
	ignore   bool          // new containers ignore SIGTERM
	launches chan *Container
}

var _ containerizer.Containerizer = (*Containerizer)(nil)

// New returns a fake whose launches all succeed.
func New() *Containerizer {
	return &Containerizer{launches: make(chan *Container, 1000)}
}

// FailWith makes Launch return fail(spec) when it is not nil.
func (c *Containerizer) FailWith(fail func(containerizer.LaunchSpec) error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fail = fail
}

// IgnoreTerm makes containers launched from now on survive Terminate.
func (c *Containerizer) IgnoreTerm(ignore bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ignore = ignore
}

// Hold makes launches block until the returned release function is called.
func (c *Containerizer) Hold() (release func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	gate := make(chan struct{})
	c.gate = gate
	var once sync.Once
	return func() {
		once.Do(func() {
			c.mu.Lock()
			if c.gate == gate {
				c.gate = nil
			}
			c.mu.Unlock()
			close(gate)
		})
	}
}

// Launches delivers every container launched, in order.
func (c *Containerizer) Launches() <-chan *Container { return c.launches }

// Launch records spec and returns a running container.
func (c *Containerizer) Launch(ctx context.Context, spec containerizer.LaunchSpec) (containerizer.Container, error) {
	c.mu.Lock()
	gate, fail, ignore := c.gate, c.fail, c.ignore
	c.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if fail != nil {
		if err := fail(spec); err != nil {
			return nil, err
		}
	}
	ct := &Container{Spec: spec, ignoreTerm: ignore, done: make(chan struct{})}
	c.launches <- ct
	return ct, nil
}

// Container is a fake running container.
type Container struct {
	Spec containerizer.LaunchSpec

	mu         sync.Mutex
	ignoreTerm bool
	signals    []syscall.Signal
	exited     bool
	status     containerizer.ExitStatus
	done       chan struct{}
}

// Exit ends the container with st; later calls do nothing.
func (c *Container) Exit(st containerizer.ExitStatus) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.exitLocked(st)
}

func (c *Container) exitLocked(st containerizer.ExitStatus) {
	if c.exited {
		return
	}
	c.exited, c.status = true, st
	close(c.done)
}

// Signals returns the signals sent so far.
func (c *Container) Signals() []syscall.Signal {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]syscall.Signal(nil), c.signals...)
}

// Wait implements containerizer.Container.
func (c *Container) Wait(ctx context.Context) (containerizer.ExitStatus, error) {
	select {
	case <-c.done:
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.status, nil
	case <-ctx.Done():
		return containerizer.ExitStatus{}, ctx.Err()
	}
}

// Terminate records SIGTERM and exits by it unless told to ignore it.
func (c *Container) Terminate() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.exited {
		return nil
	}
	c.signals = append(c.signals, syscall.SIGTERM)
	if !c.ignoreTerm {
		c.exitLocked(containerizer.ExitStatus{Code: -1, Signal: syscall.SIGTERM})
	}
	return nil
}

// Kill records SIGKILL and exits by it.
func (c *Container) Kill() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.exited {
		return nil
	}
	c.signals = append(c.signals, syscall.SIGKILL)
	c.exitLocked(containerizer.ExitStatus{Code: -1, Signal: syscall.SIGKILL})
	return nil
}

// Status implements containerizer.Container.
func (c *Container) Status() containerizer.Status {
	return containerizer.Status{ContainerID: c.Spec.ContainerID}
}
