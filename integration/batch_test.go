package integration

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestExampleBatchFramework runs examples/batch, a framework built only on
// the SDK, against a master with two agents until its six tasks finish.
func TestExampleBatchFramework(t *testing.T) {
	m := startMaster(t)
	startAgent(t, m, "agent-b1")
	startAgent(t, m, "agent-b2")

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, batchBin, "--master", m.addr,
		"--tasks", "6", "--cmd", "echo ok", "--cpus", "0.1", "--mem", "32", "--verbose")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 2 * time.Second
	err := cmd.Run()
	defer func() {
		if t.Failed() {
			t.Logf("---- batch stdout\n%s---- batch stderr\n%s", stdout.String(), stderr.String())
		}
	}()
	if err != nil {
		t.Fatalf("batch: %v (want exit code 0)", err)
	}
	if n := strings.Count(stdout.String(), " TASK_FINISHED "); n != 6 {
		t.Errorf("batch reported %d finished tasks, want 6", n)
	}

	st, err := masterState(m)
	if err != nil {
		t.Fatal(err)
	}
	finished := map[string]int{} // per agent
	total := 0
	for _, f := range append(st.Frameworks, st.CompletedFrameworks...) {
		if f.Name != "batch" {
			continue
		}
		for _, task := range f.CompletedTasks {
			if task.State == "TASK_FINISHED" {
				finished[task.SlaveID]++
				total++
			}
		}
	}
	if total != 6 {
		t.Errorf("/master/state has %d finished batch tasks, want 6", total)
	}
	t.Logf("finished tasks per agent: %v", finished)

	eventually(t, 5*time.Second, "metrics", func() error {
		mt, err := metrics(m)
		if err != nil {
			return err
		}
		if mt["master/tasks_finished"] < 6 || mt["master/slaves_active"] != 2 {
			return fmt.Errorf("master/tasks_finished = %v (want ≥ 6), master/slaves_active = %v (want 2)",
				mt["master/tasks_finished"], mt["master/slaves_active"])
		}
		return nil
	})
}
