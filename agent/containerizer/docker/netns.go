package docker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"strconv"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/pkg/stdcopy"
	"golang.org/x/sys/unix"
)

// DialContext connects to address from inside the container's network
// namespace, so that 127.0.0.1 is the container's own loopback: HTTP and
// TCP health checks of BRIDGE and USER networked tasks reach the task
// there, as Mesos runs them. HOST containers share the agent's network and
// dial from it. It needs the agent to be root (setns).
func (c *dockerContainer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	var d net.Dialer
	if c.network == "host" {
		return d.DialContext(ctx, network, address)
	}
	if c.pid == 0 {
		return nil, errors.New("the container's process is unknown")
	}
	type result struct {
		conn net.Conn
		err  error
	}
	ch := make(chan result, 1)
	// A fresh locked thread enters the namespace; the socket keeps it
	// after the thread leaves. A thread that cannot leave again is
	// discarded with its goroutine rather than returned to the pool.
	go func() {
		runtime.LockOSThread()
		conn, back, err := dialIn(ctx, c.pid, network, address)
		if back {
			runtime.UnlockOSThread()
		}
		ch <- result{conn, err}
	}()
	r := <-ch
	return r.conn, r.err
}

// dialIn dials from the network namespace of pid on the current (locked)
// thread, and reports whether the thread is back in its own namespace.
func dialIn(ctx context.Context, pid int, network, address string) (net.Conn, bool, error) {
	self, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		return nil, true, err
	}
	defer self.Close()
	target, err := os.Open("/proc/" + strconv.Itoa(pid) + "/ns/net")
	if err != nil {
		return nil, true, fmt.Errorf("the container's network namespace: %w", err)
	}
	defer target.Close()
	if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
		return nil, true, fmt.Errorf("entering the container's network namespace: %w", err)
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, network, address)
	if unix.Setns(int(self.Fd()), unix.CLONE_NEWNET) != nil {
		return conn, false, err
	}
	return conn, true, err
}

// Exec runs argv in the running container, as `docker exec` does, with env
// added to the container's environment, and returns its combined output
// and exit code: COMMAND health checks of Docker tasks run inside the
// container, as in Mesos, where the task's programs and network are.
func (c *dockerContainer) Exec(ctx context.Context, argv, env []string) ([]byte, int, error) {
	created, err := c.d.cli.ContainerExecCreate(ctx, c.dockerID, container.ExecOptions{
		Cmd: argv, Env: env, AttachStdout: true, AttachStderr: true,
	})
	if err != nil {
		return nil, -1, fmt.Errorf("docker exec: %w", err)
	}
	att, err := c.d.cli.ContainerExecAttach(ctx, created.ID, container.ExecAttachOptions{})
	if err != nil {
		return nil, -1, fmt.Errorf("docker exec: %w", err)
	}
	defer att.Close()
	var out bytes.Buffer
	done := make(chan error, 1)
	go func() {
		_, err := stdcopy.StdCopy(&out, &out, att.Reader)
		done <- err
	}()
	select {
	case err = <-done:
	case <-ctx.Done():
		// The engine cannot kill an exec; the check has timed out anyway.
		att.Close()
		<-done
		return out.Bytes(), -1, ctx.Err()
	}
	if err != nil {
		return out.Bytes(), -1, fmt.Errorf("docker exec: %w", err)
	}
	info, err := c.d.cli.ContainerExecInspect(ctx, created.ID)
	if err != nil {
		return out.Bytes(), -1, fmt.Errorf("docker exec: %w", err)
	}
	return out.Bytes(), info.ExitCode, nil
}
