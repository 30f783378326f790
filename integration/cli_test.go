package integration

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// agoraCLI runs an operator CLI command of the agora binary and returns its
// stdout, stderr and error (an *exec.ExitError on a non-zero exit).
func agoraCLI(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, agoraBin, args...)
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	return out.String(), errOut.String(), err
}

// TestCLIAgainstRealCluster runs a batch task, then reads the cluster and
// the task's output with `agora status`, `agents`, `tasks --all` and
// `task log`, as an operator would.
func TestCLIAgainstRealCluster(t *testing.T) {
	m := startMaster(t)
	startAgent(t, m, "cli-agent")

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	batch := exec.CommandContext(ctx, batchBin, "--master", m.addr, "--tasks", "1",
		"--cmd", "echo cli-output-$MESOS_TASK_ID; echo cli-error >&2", "--cpus", "0.1", "--mem", "32")
	if out, err := batch.CombinedOutput(); err != nil {
		t.Fatalf("batch: %v\n%s", err, out)
	}

	out, stderr, err := agoraCLI(t, "status", "--master", m.url)
	if err != nil {
		t.Fatalf("agora status: %v\n%s", err, stderr)
	}
	for _, want := range []string{"Agents      1 active, 0 inactive", "1 FINISHED", "cpus"} {
		if !strings.Contains(out, want) {
			t.Errorf("agora status lacks %q:\n%s", want, out)
		}
	}

	out, _, err = agoraCLI(t, "agents", "--master", m.url)
	if err != nil || !strings.Contains(out, "cli-agent") || !strings.Contains(out, "0/2") {
		t.Errorf("agora agents: %v\n%s", err, out)
	}

	out, _, err = agoraCLI(t, "tasks", "--all", "--master", m.url)
	if err != nil {
		t.Fatalf("agora tasks --all: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.Contains(lines[1], "TASK_FINISHED") || !strings.Contains(lines[1], "cli-agent") {
		t.Fatalf("agora tasks --all: want a header and one finished task on cli-agent, got:\n%s", out)
	}
	taskID := strings.Fields(lines[1])[0]

	out, stderr, err = agoraCLI(t, "task", "log", taskID, "--master", m.url)
	if err != nil || out != "cli-output-"+taskID+"\n" {
		t.Errorf("agora task log: %q, %v %s", out, err, stderr)
	}
	out, _, err = agoraCLI(t, "task", "log", "--stderr", taskID, "--master", m.url)
	if err != nil || !strings.Contains(out, "cli-error") {
		t.Errorf("agora task log --stderr: %q, %v", out, err)
	}
	// --follow on a finished task prints its output and returns.
	out, _, err = agoraCLI(t, "task", "log", "--follow", taskID, "--master", m.url)
	if err != nil || out != "cli-output-"+taskID+"\n" {
		t.Errorf("agora task log --follow: %q, %v", out, err)
	}

	// JSON for scripts.
	out, _, err = agoraCLI(t, "tasks", "--all", "--json", "--master", m.url)
	if err != nil || !strings.Contains(out, `"id": "`+taskID+`"`) {
		t.Errorf("agora tasks --json: %v\n%s", err, out)
	}

	// Failures exit non-zero with a message naming what failed.
	_, stderr, err = agoraCLI(t, "task", "log", "no-such-task", "--master", m.url)
	if _, ok := err.(*exec.ExitError); !ok || !strings.Contains(stderr, `no task "no-such-task"`) {
		t.Errorf("agora task log no-such-task: err %v, stderr %q", err, stderr)
	}
	_, stderr, err = agoraCLI(t, "status", "--master", "http://127.0.0.1:1")
	if _, ok := err.(*exec.ExitError); !ok || !strings.Contains(stderr, "not reachable") {
		t.Errorf("agora status against nothing: err %v, stderr %q", err, stderr)
	}
}
