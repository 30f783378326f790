// Package conformance is the test suite every containerizer passes: it
// launches real commands through a containerizer.Containerizer and checks
// exit statuses, environment, sandbox output and that killing a container
// leaves none of its processes behind.
//
// It is a library for tests (it imports testing), not a test of any one
// implementation; each containerizer's own tests call Run.
package conformance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/agent/containerizer"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// Options adapts the suite to a containerizer.
type Options struct {
	// Container is put in every LaunchSpec (a Docker image, for example);
	// nil runs on the host filesystem. Checks that look at host paths or
	// host PIDs are skipped when it is set.
	Container *mesos.ContainerInfo
	// Timeout bounds every wait for a real process (default 10 s).
	Timeout time.Duration
	// Limits says the containerizer enforces the mem resource: the suite
	// then checks that exceeding it ends the container with
	// REASON_CONTAINER_LIMITATION_MEMORY.
	Limits bool
	// AppendArguments says that with shell=false the arguments follow
	// value instead of being the whole argv (Docker's CMD, as Mesos's
	// Docker containerizer builds it): the suite then leaves argv[0] out.
	AppendArguments bool
}

// Run runs the suite against c on the host filesystem.
func Run(t *testing.T, c containerizer.Containerizer) { RunWith(t, c, Options{}) }

// RunWith runs the suite against c with opts.
func RunWith(t *testing.T, c containerizer.Containerizer, opts Options) {
	if opts.Timeout == 0 {
		opts.Timeout = 10 * time.Second
	}
	s := &suite{c: c, opts: opts}
	t.Run("ExitZeroAndOutput", s.exitZeroAndOutput)
	t.Run("ExitCode", s.exitCode)
	t.Run("NoShell", s.noShell)
	t.Run("Environment", s.environment)
	t.Run("LaunchErrors", s.launchErrors)
	t.Run("Terminate", s.terminate)
	t.Run("KillAfterIgnoredTerm", s.killAfterIgnoredTerm)
	t.Run("KillLeavesNoProcess", s.killLeavesNoProcess)
	t.Run("ExitLeavesNoProcess", s.exitLeavesNoProcess)
	t.Run("User", s.user)
	t.Run("UnknownUser", s.unknownUser)
	if opts.Limits {
		t.Run("MemoryLimit", s.memoryLimit)
	}
}

type suite struct {
	c    containerizer.Containerizer
	opts Options
	n    int
}

const path = "PATH=/usr/local/bin:/usr/bin:/bin"

// shell returns a spec running script under the shell in a fresh sandbox.
func (s *suite) shell(t *testing.T, script string, env ...string) containerizer.LaunchSpec {
	return s.spec(t, &mesos.CommandInfo{Value: proto.String(script)}, env...)
}

func (s *suite) spec(t *testing.T, cmd *mesos.CommandInfo, env ...string) containerizer.LaunchSpec {
	s.n++
	return containerizer.LaunchSpec{
		ContainerID: fmt.Sprintf("conformance-%d-%d", os.Getpid(), s.n),
		Sandbox:     t.TempDir(),
		Command:     cmd,
		Container:   s.opts.Container,
		Env:         append([]string{path}, env...),
	}
}

func (s *suite) launch(t *testing.T, spec containerizer.LaunchSpec) containerizer.Container {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.Timeout)
	defer cancel()
	c, err := s.c.Launch(ctx, spec)
	if err != nil {
		t.Fatalf("Launch: %v", err)
	}
	// Never leave a process behind, whatever the test did.
	t.Cleanup(func() {
		_ = c.Kill()
		ctx, cancel := context.WithTimeout(context.Background(), s.opts.Timeout)
		defer cancel()
		_, _ = c.Wait(ctx)
	})
	return c
}

func (s *suite) wait(t *testing.T, c containerizer.Container) containerizer.ExitStatus {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.Timeout)
	defer cancel()
	st, err := c.Wait(ctx)
	if err != nil {
		t.Fatalf("Wait: %v", err)
	}
	return st
}

func (s *suite) exitZeroAndOutput(t *testing.T) {
	spec := s.shell(t, "echo hello; echo oops >&2")
	c := s.launch(t, spec)
	if c.Status().ContainerID != spec.ContainerID {
		t.Errorf("Status().ContainerID = %q, want %q", c.Status().ContainerID, spec.ContainerID)
	}
	st := s.wait(t, c)
	if !st.Success() || st.Code != 0 {
		t.Fatalf("exit %+v, want success", st)
	}
	if st.String() != "Command exited with status 0" {
		t.Errorf("String() = %q", st.String())
	}
	expectFile(t, filepath.Join(spec.Sandbox, "stdout"), "hello\n")
	expectFile(t, filepath.Join(spec.Sandbox, "stderr"), "oops\n")
	// Wait is repeatable and signals after the exit are harmless.
	if again := s.wait(t, c); again != st {
		t.Errorf("second Wait = %+v, first %+v", again, st)
	}
	if err := c.Terminate(); err != nil {
		t.Errorf("Terminate after exit: %v", err)
	}
	if err := c.Kill(); err != nil {
		t.Errorf("Kill after exit: %v", err)
	}
}

func (s *suite) exitCode(t *testing.T) {
	st := s.wait(t, s.launch(t, s.shell(t, "exit 3")))
	if st.Success() || st.Code != 3 || st.Signal != 0 {
		t.Fatalf("exit %+v, want code 3", st)
	}
	if st.String() != "Command exited with status 3" {
		t.Errorf("String() = %q", st.String())
	}
}

func (s *suite) noShell(t *testing.T) {
	// value is looked up in the task's PATH; arguments are the whole argv.
	spec := s.spec(t, &mesos.CommandInfo{
		Shell:     proto.Bool(false),
		Value:     proto.String("sh"),
		Arguments: []string{"sh", "-c", `printf '%s|%s' "$1" "$2"`, "zero", "one two", "*"},
	})
	if s.opts.AppendArguments {
		spec.Command.Arguments = spec.Command.Arguments[1:]
	}
	st := s.wait(t, s.launch(t, spec))
	if !st.Success() {
		t.Fatalf("exit %+v", st)
	}
	expectFile(t, filepath.Join(spec.Sandbox, "stdout"), "one two|*")
}

func (s *suite) environment(t *testing.T) {
	t.Setenv("AGORA_CONFORMANCE_LEAK", "leaked")
	spec := s.shell(t, `echo "$GREETING"; echo "${AGORA_CONFORMANCE_LEAK:-unset}"; pwd -P`, "GREETING=hello world")
	st := s.wait(t, s.launch(t, spec))
	if !st.Success() {
		t.Fatalf("exit %+v", st)
	}
	out := readFile(t, filepath.Join(spec.Sandbox, "stdout"))
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 3 || lines[0] != "hello world" || lines[1] != "unset" {
		t.Fatalf("stdout %q: want the spec's environment and nothing inherited", out)
	}
	if s.opts.Container == nil {
		want, _ := filepath.EvalSymlinks(spec.Sandbox)
		if lines[2] != want {
			t.Errorf("working directory %q, want the sandbox %q", lines[2], want)
		}
	}
}

func (s *suite) launchErrors(t *testing.T) {
	for name, cmd := range map[string]*mesos.CommandInfo{
		"nil":             nil,
		"empty":           {Value: proto.String("")},
		"missing path":    {Shell: proto.Bool(false), Value: proto.String("/nonexistent/agora-program")},
		"missing in PATH": {Shell: proto.Bool(false), Value: proto.String("agora-no-such-program")},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), s.opts.Timeout)
		c, err := s.c.Launch(ctx, s.spec(t, cmd))
		cancel()
		if err == nil {
			_ = c.Kill()
			t.Errorf("%s: Launch succeeded, want an error", name)
		} else if err.Error() == "" {
			t.Errorf("%s: empty error message", name)
		}
	}
}

func (s *suite) terminate(t *testing.T) {
	c := s.launch(t, s.shell(t, "sleep 1000"))
	if err := c.Terminate(); err != nil {
		t.Fatal(err)
	}
	st := s.wait(t, c)
	if st.Signal != syscall.SIGTERM {
		t.Fatalf("exit %+v, want SIGTERM", st)
	}
	if st.String() != "Command terminated with signal Terminated" {
		t.Errorf("String() = %q", st.String())
	}
}

func (s *suite) killAfterIgnoredTerm(t *testing.T) {
	spec := s.shell(t, `trap '' TERM; touch ready; while :; do sleep 0.05; done`)
	c := s.launch(t, spec)
	waitFile(t, filepath.Join(spec.Sandbox, "ready"), s.opts.Timeout)
	if err := c.Terminate(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	_, err := c.Wait(ctx)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a process ignoring SIGTERM stopped (%v)", err)
	}
	if err := c.Kill(); err != nil {
		t.Fatal(err)
	}
	if st := s.wait(t, c); st.Signal != syscall.SIGKILL {
		t.Fatalf("exit %+v, want SIGKILL", st)
	}
}

// forkTree starts a child shell that forks a grandchild and records its PID.
const forkTree = `sh -c 'sleep 1000 & echo $! > grandchild.tmp; mv grandchild.tmp grandchild; wait' & `

func (s *suite) killLeavesNoProcess(t *testing.T) {
	spec := s.shell(t, forkTree+"wait")
	c := s.launch(t, spec)
	pid := readPID(t, filepath.Join(spec.Sandbox, "grandchild"), s.opts.Timeout)
	if err := c.Kill(); err != nil {
		t.Fatal(err)
	}
	if st := s.wait(t, c); st.Signal != syscall.SIGKILL {
		t.Fatalf("exit %+v, want SIGKILL", st)
	}
	s.expectGone(t, pid)
}

func (s *suite) exitLeavesNoProcess(t *testing.T) {
	// The main process exits at once, leaving its descendants running: the
	// container ends with it, as when Mesos destroys an executor's container.
	spec := s.shell(t, forkTree+"while [ ! -f grandchild ]; do sleep 0.01; done; exit 0")
	c := s.launch(t, spec)
	pid := readPID(t, filepath.Join(spec.Sandbox, "grandchild"), s.opts.Timeout)
	if st := s.wait(t, c); !st.Success() {
		t.Fatalf("exit %+v, want success", st)
	}
	s.expectGone(t, pid)
}

// expectGone checks that no live process has the given PID. Wait has
// returned, so the container's processes must already be gone.
func (s *suite) expectGone(t *testing.T, pid int) {
	t.Helper()
	if s.opts.Container != nil {
		return // a PID inside the container means nothing on the host
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return
	}
	if i := bytes.LastIndexByte(b, ')'); i >= 0 && i+2 < len(b) && (b[i+2] == 'Z' || b[i+2] == 'X') {
		return // dead, waiting for init to reap it
	}
	t.Errorf("grandchild %d is still alive after the container ended: %s", pid, b)
}

func readPID(t *testing.T, file string, timeout time.Duration) int {
	t.Helper()
	waitFile(t, file, timeout)
	pid, err := strconv.Atoi(strings.TrimSpace(readFile(t, file)))
	if err != nil {
		t.Fatalf("pid file: %v", err)
	}
	return pid
}

// waitFile waits for a real process to create file.
func waitFile(t *testing.T, file string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if _, err := os.Stat(file); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not appear within %v", file, timeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func readFile(t *testing.T, file string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func expectFile(t *testing.T, file, want string) {
	t.Helper()
	if got := readFile(t, file); got != want {
		t.Errorf("%s = %q, want %q", filepath.Base(file), got, want)
	}
}
