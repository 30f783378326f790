package integration

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestEchoExecutorFramework runs the echo example end to end: its
// framework launches three tasks on its custom executor, which the agent
// fetches over HTTP into the sandbox; the tasks run and finish, a message
// goes to the executor and its answer comes back; teardown shuts the
// executor down and frees its resources.
func TestEchoExecutorFramework(t *testing.T) {
	m := startMaster(t)
	a := startAgent(t, m, "agent-echo")
	files := httptest.NewServer(http.FileServer(http.Dir(filepath.Dir(echoExecutorBin))))
	defer files.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, echoFrameworkBin, "--master", m.addr, "--user", "root",
		"--executor", files.URL+"/"+filepath.Base(echoExecutorBin), "--tasks", "3", "--task-command", "sleep 0.5",
		"--message", "hello", "--timeout", "50s", "--verbose")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 2 * time.Second
	err := cmd.Run()
	defer func() {
		if t.Failed() {
			t.Logf("---- echo stdout\n%s---- echo stderr\n%s", stdout.String(), stderr.String())
			logExecutorOutput(t, a)
		}
	}()
	if err != nil {
		t.Fatalf("echo framework: %v (want exit code 0)", err)
	}
	out := stdout.String()
	for _, want := range []string{" TASK_RUNNING\n", " TASK_FINISHED\n"} {
		if n := strings.Count(out, want); n != 3 {
			t.Errorf("%d updates%q, want 3", n, want)
		}
	}
	if !strings.Contains(out, "message from executor echo-executor: echo: hello\n") {
		t.Errorf("no echoed message in the framework's output")
	}
	// The executor was fetched into its sandbox, and it has exited.
	sandboxes, _ := filepath.Glob(filepath.Join(a.workDir, "slaves", a.id, "frameworks", "*", "executors", "echo-executor", "runs", "latest"))
	if len(sandboxes) != 1 {
		t.Fatalf("executor sandboxes %v", sandboxes)
	}
	if fi, err := os.Stat(filepath.Join(sandboxes[0], filepath.Base(echoExecutorBin))); err != nil || fi.Mode()&0o100 == 0 {
		t.Errorf("fetched executor: %v %v", fi, err)
	}
	eventually(t, 10*time.Second, "executor gone and its resources free", func() error {
		if pids := pidsWith(filepath.Base(echoExecutorBin)); len(pids) > 0 {
			return fmt.Errorf("executor processes %v", pids)
		}
		var st struct {
			Slaves []struct {
				Used map[string]float64 `json:"used_resources"`
			} `json:"slaves"`
		}
		if err := getJSON(m.url+"/master/state", &st); err != nil {
			return err
		}
		if len(st.Slaves) != 1 || st.Slaves[0].Used["cpus"] != 0 || st.Slaves[0].Used["mem"] != 0 {
			return fmt.Errorf("agent still uses %v", st.Slaves)
		}
		return nil
	})
}

// TestCustomExecutorKilled speaks the scheduler API directly: two long
// tasks on one echo executor, a message each way, then the executor is
// killed: the framework gets a FAILURE for it and TASK_FAILED for both
// tasks, and the executor's resources are released.
func TestCustomExecutorKilled(t *testing.T) {
	m := startMaster(t)
	a := startAgent(t, m, "agent-victim")
	s := subscribe(t, m, map[string]any{"user": "root", "name": "executor-killer", "checkpoint": true})
	sleep, marker := longSleep(t)
	defer func() {
		if t.Failed() {
			logExecutorOutput(t, a)
		}
	}()

	o := s.awaitOffer(a.id)
	executor := map[string]any{
		"type":        "CUSTOM",
		"executor_id": id{"victim"},
		// The marker argument lets the test find the process.
		"command":   map[string]any{"shell": false, "value": echoExecutorBin, "arguments": []string{echoExecutorBin, marker}},
		"resources": []any{takeScalar(t, o, "cpus", 0.1), takeScalar(t, o, "mem", 32)},
	}
	var tasks []any
	for _, tid := range []string{"v1", "v2"} {
		tasks = append(tasks, map[string]any{
			"name": tid, "task_id": id{tid}, "agent_id": o.AgentID, "executor": executor,
			"resources": []any{takeScalar(t, o, "cpus", 0.2), takeScalar(t, o, "mem", 64)},
			"data":      base64.StdEncoding.EncodeToString([]byte(sleep)),
		})
	}
	s.call(map[string]any{"type": "ACCEPT", "accept": map[string]any{
		"offer_ids":  []id{o.ID},
		"operations": []any{map[string]any{"type": "LAUNCH", "launch": map[string]any{"task_infos": tasks}}},
	}})
	for _, tid := range []string{"v1", "v2"} {
		s.awaitStatus(tid, "TASK_RUNNING")
	}
	if used := agentUsedCPUs(t, m); used != 0.5 {
		t.Errorf("agent uses %v cpus, want 0.5 (two tasks and their executor)", used)
	}

	// Messages both ways.
	s.call(map[string]any{"type": "MESSAGE", "message": map[string]any{
		"agent_id": id{a.id}, "executor_id": id{"victim"}, "data": base64.StdEncoding.EncodeToString([]byte("ping")),
	}})
	ev := s.await(10*time.Second, "MESSAGE", func(e event) bool { return e.Type == "MESSAGE" })
	var msg struct {
		Message struct {
			AgentID    id     `json:"agent_id"`
			ExecutorID id     `json:"executor_id"`
			Data       []byte `json:"data"`
		} `json:"message"`
	}
	if err := json.Unmarshal(ev.raw, &msg); err != nil {
		t.Fatal(err)
	}
	if string(msg.Message.Data) != "echo: ping" || msg.Message.ExecutorID.Value != "victim" || msg.Message.AgentID.Value != a.id {
		t.Errorf("MESSAGE event %s", ev.raw)
	}

	pid := executorPID(t, marker)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	ev = s.await(10*time.Second, "FAILURE", func(e event) bool { return e.Type == "FAILURE" })
	var failure struct {
		Failure struct {
			AgentID    id  `json:"agent_id"`
			ExecutorID id  `json:"executor_id"`
			Status     int `json:"status"`
		} `json:"failure"`
	}
	if err := json.Unmarshal(ev.raw, &failure); err != nil {
		t.Fatal(err)
	}
	if f := failure.Failure; f.ExecutorID.Value != "victim" || f.AgentID.Value != a.id || f.Status != int(syscall.SIGKILL) {
		t.Errorf("FAILURE event %s", ev.raw)
	}
	for _, tid := range []string{"v1", "v2"} {
		st := s.awaitStatus(tid, "TASK_FAILED")
		last := st[len(st)-1]
		if last.Reason != "REASON_EXECUTOR_TERMINATED" || last.Source != "SOURCE_AGENT" {
			t.Errorf("task %s: %+v", tid, last)
		}
	}
	eventually(t, 10*time.Second, "resources released", func() error {
		if used := agentUsedCPUs(t, m); used != 0 {
			return fmt.Errorf("agent uses %v cpus", used)
		}
		return nil
	})
}

// executorPID finds the echo executor started with marker as an argument.
func executorPID(t *testing.T, marker string) int {
	t.Helper()
	var pid int
	eventually(t, 5*time.Second, "the executor process", func() error {
		for _, p := range pidsWith(marker) {
			cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", p))
			argv0, _, _ := bytes.Cut(cmdline, []byte{0})
			if err == nil && string(argv0) == echoExecutorBin {
				pid = p
				return nil
			}
		}
		return fmt.Errorf("no executor process with %q", marker)
	})
	return pid
}

func agentUsedCPUs(t *testing.T, m *masterProc) float64 {
	t.Helper()
	var st struct {
		Slaves []struct {
			Used map[string]float64 `json:"used_resources"`
		} `json:"slaves"`
	}
	if err := getJSON(m.url+"/master/state", &st); err != nil || len(st.Slaves) != 1 {
		t.Fatalf("/master/state: %v (%d agents)", err, len(st.Slaves))
	}
	return st.Slaves[0].Used["cpus"]
}

// logExecutorOutput logs what the agent's executors wrote, for failures.
func logExecutorOutput(t *testing.T, a *agentProc) {
	files, _ := filepath.Glob(filepath.Join(a.workDir, "slaves", "*", "frameworks", "*", "executors", "*", "runs", "latest", "std*"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		t.Logf("---- %s\n%s", f, b)
	}
}
