package health

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/agoraproject/agora/agent/internal/hostcmd"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// Task is what a probe needs to know about the task it checks.
type Task struct {
	// Sandbox is where COMMAND checks run.
	Sandbox string
	// Env is the task's environment; the check's own variables override it.
	Env []string
	// User runs COMMAND checks when the agent is root; "" or "root" keeps
	// the agent's user.
	User string
	// Dial, when set, makes the connections of HTTP and TCP checks: a
	// Docker container with a network of its own dials from inside it, so
	// that 127.0.0.1 is the task's loopback.
	Dial func(ctx context.Context, network, address string) (net.Conn, error)
	// Exec, when set, runs COMMAND checks inside the task's container
	// (argv, and the check's variables added to the container's
	// environment) and returns their output and exit code.
	Exec func(ctx context.Context, argv, env []string) ([]byte, int, error)
}

// NewProber returns the probe of a check that passed Validate.
func NewProber(hc *mesos.HealthCheck, task Task) (Prober, error) {
	if err := Validate(hc); err != nil {
		return nil, err
	}
	switch hc.GetType() {
	case mesos.HealthCheck_COMMAND:
		if task.Exec != nil {
			return newExecProbe(hc.GetCommand(), task.Exec), nil
		}
		return newCommandProbe(hc.GetCommand(), task), nil
	case mesos.HealthCheck_HTTP:
		return newHTTPProbe(hc.GetHttp(), task.Dial), nil
	case mesos.HealthCheck_TCP:
		t := hc.GetTcp()
		addr := net.JoinHostPort(loopback(t.GetProtocol()), strconv.Itoa(int(t.GetPort())))
		dial := task.Dial
		if dial == nil {
			dial = (&net.Dialer{}).DialContext
		}
		return ProberFunc(func(ctx context.Context) error {
			c, err := dial(ctx, "tcp", addr)
			if err != nil {
				return fmt.Errorf("TCP connection to %s failed: %w", addr, err)
			}
			return c.Close()
		}), nil
	}
	return nil, fmt.Errorf("health check type %v is not supported", hc.GetType())
}

// loopback is where HTTP and TCP checks connect: tasks share the host's
// network, and Mesos uses the address rather than "localhost", which some
// hosts do not resolve.
func loopback(p mesos.NetworkInfo_Protocol) string {
	if p == mesos.NetworkInfo_IPv6 {
		return "::1"
	}
	return "127.0.0.1"
}

func newHTTPProbe(h *mesos.HealthCheck_HTTPCheckInfo, dial func(ctx context.Context, network, address string) (net.Conn, error)) Prober {
	scheme := h.GetScheme()
	if scheme == "" {
		scheme = "http"
	}
	url := scheme + "://" + net.JoinHostPort(loopback(h.GetProtocol()), strconv.Itoa(int(h.GetPort()))) + h.GetPath()
	client := &http.Client{Transport: &http.Transport{
		Proxy: nil, // never through the agent's HTTP_PROXY
		// Like Mesos's curl -k: a task's certificate is rarely issued for
		// 127.0.0.1, and the check is about liveness, not identity.
		TLSClientConfig:   &tls.Config{InsecureSkipVerify: true},
		DisableKeepAlives: true, // one check every interval: nothing to reuse
		DialContext:       dial, // nil: the default dialer
	}}
	// The default client follows up to 10 redirects, as curl -L does.
	return ProberFunc(func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return fmt.Errorf("GET %s failed: %w", url, err)
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		if resp.StatusCode < 200 || resp.StatusCode >= 400 {
			return fmt.Errorf("GET %s: unexpected HTTP response code %s", url, resp.Status)
		}
		return nil
	})
}

// commandProbe runs a check's command as a process group of its own, so a
// timeout kills whatever it forked too.
type commandProbe struct {
	program string
	argv    []string
	task    Task
	env     []string
}

func newCommandProbe(c *mesos.CommandInfo, task Task) *commandProbe {
	p := &commandProbe{task: task}
	if c.GetShell() {
		p.program, p.argv = "/bin/sh", []string{"/bin/sh", "-c", c.GetValue()}
	} else {
		p.program, p.argv = c.GetValue(), c.GetArguments()
		if len(p.argv) == 0 {
			p.argv = []string{c.GetValue()}
		}
	}
	env := map[string]string{}
	var order []string
	set := func(k, v string) {
		if _, ok := env[k]; !ok {
			order = append(order, k)
		}
		env[k] = v
	}
	for _, kv := range task.Env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			set(k, v)
		}
	}
	for _, v := range c.GetEnvironment().GetVariables() {
		set(v.GetName(), v.GetValue())
	}
	for _, k := range order {
		p.env = append(p.env, k+"="+env[k])
	}
	return p
}

// outputTail is how much of a failed check's output its message quotes.
const outputTail = 256

func (p *commandProbe) Probe(ctx context.Context) error {
	path, err := hostcmd.FindExecutable(p.program, hostcmd.LookupEnv(p.env, "PATH"), p.task.Sandbox)
	if err != nil {
		return err
	}
	// Only a root agent can switch users, and it does so for the same user
	// its tasks run as.
	cred, err := hostcmd.Credential(p.task.User)
	if err != nil {
		return fmt.Errorf("cannot run the check as %q: %w", p.task.User, err)
	}
	cmd := exec.CommandContext(ctx, path)
	cmd.Args, cmd.Env, cmd.Dir = p.argv, p.env, p.task.Sandbox
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: cred}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	// A daemon the check left behind may hold the output pipe open; stop
	// waiting for it a second after the command itself is gone.
	cmd.WaitDelay = time.Second
	out := &tail{}
	cmd.Stdout, cmd.Stderr = out, out
	err = cmd.Run()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err == nil {
		return nil
	}
	msg := err.Error()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		msg = "command " + exitString(exit.ProcessState)
	}
	if t := bytes.TrimSpace(out.b); len(t) > 0 {
		msg += ": " + string(t)
	}
	return errors.New(msg)
}

// tail keeps the last outputTail bytes written to it, so that a chatty
// check costs no memory.
type tail struct{ b []byte }

func (t *tail) Write(p []byte) (int, error) {
	n := len(p)
	if len(p) > outputTail {
		p = p[len(p)-outputTail:]
	}
	t.b = append(t.b, p...)
	if len(t.b) > outputTail {
		t.b = append(t.b[:0], t.b[len(t.b)-outputTail:]...)
	}
	return n, nil
}

func exitString(ps *os.ProcessState) string {
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return "terminated with signal " + ws.Signal().String()
	}
	return "exited with status " + strconv.Itoa(ps.ExitCode())
}

// newExecProbe runs a COMMAND check inside the task's container through
// exec, as Mesos runs the checks of Docker tasks: the task's programs and
// network are there, not on the host.
func newExecProbe(c *mesos.CommandInfo, exec func(ctx context.Context, argv, env []string) ([]byte, int, error)) Prober {
	argv := c.GetArguments()
	switch {
	case c.GetShell():
		argv = []string{"/bin/sh", "-c", c.GetValue()}
	case len(argv) == 0:
		argv = []string{c.GetValue()}
	}
	var env []string
	for _, v := range c.GetEnvironment().GetVariables() {
		env = append(env, v.GetName()+"="+v.GetValue())
	}
	return ProberFunc(func(ctx context.Context) error {
		out, code, err := exec(ctx, argv, env)
		if err != nil {
			return err
		}
		if code == 0 {
			return nil
		}
		msg := "command exited with status " + strconv.Itoa(code)
		if t := bytes.TrimSpace(out); len(t) > 0 {
			msg += ": " + string(t[max(0, len(t)-outputTail):])
		}
		return errors.New(msg)
	})
}
