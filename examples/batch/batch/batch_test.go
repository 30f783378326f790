package batch_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/agoraproject/agora/examples/batch/batch"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	schedpb "github.com/agoraproject/agora/proto/mesos/v1/scheduler"
	"github.com/agoraproject/agora/sdk/sdktest"
)

const patience = 10 * time.Second

func startMaster(t *testing.T, opts sdktest.Options) *sdktest.Master {
	t.Helper()
	opts.AutoOffer = true
	m, err := sdktest.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return m
}

func config(t *testing.T, m *sdktest.Master, out *bytes.Buffer) batch.Config {
	return batch.Config{
		Master: m.Addr(),
		Tasks:  10,
		Cmd:    "echo hello",
		Cpus:   0.1,
		Mem:    32,
		User:   "tester",
		Out:    out,
		Logger: zaptest.NewLogger(t),
	}
}

func run(t *testing.T, cfg batch.Config) (batch.Result, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	res, err := batch.Run(ctx, cfg)
	if errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("batch did not finish: %+v", res)
	}
	return res, err
}

func lines(out *bytes.Buffer) []string {
	return strings.Split(strings.TrimSpace(out.String()), "\n")
}

func TestAllTasksFinish(t *testing.T) {
	for _, json := range []bool{false, true} {
		t.Run(map[bool]string{false: "protobuf", true: "json"}[json], func(t *testing.T) {
			// Each agent fits 4 tasks (0.4 cpus), so 10 tasks need several
			// offers and several tasks go in each.
			m := startMaster(t, sdktest.Options{Agents: []sdktest.Agent{
				{Resources: "cpus:0.4;mem:1024"}, {Resources: "cpus:0.4;mem:1024"},
			}})
			var out bytes.Buffer
			cfg := config(t, m, &out)
			cfg.JSON = json
			res, err := run(t, cfg)
			if err != nil || res != (batch.Result{Finished: 10}) {
				t.Fatalf("Run = %+v, %v", res, err)
			}
			if got := lines(&out); len(got) != 10 || !strings.Contains(got[0], "TASK_FINISHED attempt=1 host=agent") {
				t.Fatalf("output:\n%s", out.String())
			}
			accepts := m.Calls(schedpb.Call_ACCEPT)
			if len(accepts) >= 10 {
				t.Fatalf("%d ACCEPTs for 10 tasks: tasks were not packed", len(accepts))
			}
			for _, a := range accepts {
				if n := len(a.GetAccept().GetOperations()[0].GetLaunch().GetTaskInfos()); n > 4 {
					t.Fatalf("%d tasks in one 0.4-cpu offer", n)
				}
			}
			if len(m.Calls(schedpb.Call_SUPPRESS)) == 0 {
				t.Fatal("never suppressed offers")
			}
			if len(m.Calls(schedpb.Call_TEARDOWN)) != 1 || m.FrameworkID() != "" {
				t.Fatal("framework not torn down")
			}
			if n := m.Unacknowledged(); n != 0 {
				t.Fatalf("%d updates unacknowledged", n)
			}
		})
	}
}

// flaky fails the first attempt of the tasks named in fail.
func flaky(fail ...string) func(*mesos.TaskInfo) (mesos.TaskState, string) {
	var mu sync.Mutex
	seen := map[string]bool{}
	return func(ti *mesos.TaskInfo) (mesos.TaskState, string) {
		mu.Lock()
		defer mu.Unlock()
		name := ti.GetName()
		for _, f := range fail {
			if name == f && !seen[name] {
				seen[name] = true
				return mesos.TaskState_TASK_FAILED, "exit status 1"
			}
		}
		return mesos.TaskState_TASK_FINISHED, ""
	}
}

func TestFailedTasksAreRetried(t *testing.T) {
	m := startMaster(t, sdktest.Options{TaskResult: flaky("batch-3", "batch-7")})
	var out bytes.Buffer
	cfg := config(t, m, &out)
	cfg.Retries = 1
	res, err := run(t, cfg)
	if err != nil || res != (batch.Result{Finished: 10}) {
		t.Fatalf("Run = %+v, %v\n%s", res, err, out.String())
	}
	if got := lines(&out); len(got) != 12 {
		t.Fatalf("want 12 lines (10 finished, 2 failed attempts):\n%s", out.String())
	}
	if !strings.Contains(out.String(), `batch-3 TASK_FAILED attempt=1 host=agent0.test message="exit status 1" retrying`) ||
		!strings.Contains(out.String(), "batch-3 TASK_FINISHED attempt=2") {
		t.Fatalf("output:\n%s", out.String())
	}
	if len(m.Calls(schedpb.Call_REVIVE)) == 0 {
		t.Fatal("retry did not revive offers")
	}
	if _, ok := m.Tasks()["batch-3-2"]; !ok {
		t.Fatalf("no second attempt in %v", m.Tasks())
	}
}

func TestTasksThatKeepFailingFailTheBatch(t *testing.T) {
	m := startMaster(t, sdktest.Options{
		TaskResult: func(ti *mesos.TaskInfo) (mesos.TaskState, string) {
			if ti.GetName() == "batch-0" {
				return mesos.TaskState_TASK_FAILED, "exit status 2"
			}
			return mesos.TaskState_TASK_FINISHED, ""
		},
	})
	var out bytes.Buffer
	cfg := config(t, m, &out)
	cfg.Tasks = 3
	cfg.Retries = 2
	res, err := run(t, cfg)
	if !errors.Is(err, batch.ErrTasksFailed) || res != (batch.Result{Finished: 2, Failed: 1}) {
		t.Fatalf("Run = %+v, %v", res, err)
	}
	if n := strings.Count(out.String(), "batch-0 TASK_FAILED"); n != 3 {
		t.Fatalf("%d failed attempts of batch-0, want 3:\n%s", n, out.String())
	}
}

func TestInterruptTearsDown(t *testing.T) {
	m := startMaster(t, sdktest.Options{
		TaskResult: func(*mesos.TaskInfo) (mesos.TaskState, string) { return mesos.TaskState_TASK_RUNNING, "" },
	})
	var out bytes.Buffer
	cfg := config(t, m, &out)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := batch.Run(ctx, cfg)
		done <- err
	}()
	wctx, wcancel := context.WithTimeout(context.Background(), patience)
	defer wcancel()
	if err := m.Wait(wctx, func() bool { return len(m.Tasks()) == 10 }); err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Run = %v", err)
		}
	case <-time.After(patience):
		t.Fatal("Run did not return after cancel")
	}
	if len(m.Calls(schedpb.Call_TEARDOWN)) != 1 {
		t.Fatal("interrupted batch did not tear down")
	}
}

func TestConfigValidate(t *testing.T) {
	if err := (batch.Config{}).Validate(); err == nil ||
		!strings.Contains(err.Error(), "--master") || !strings.Contains(err.Error(), "--cmd") {
		t.Fatalf("empty config: %v", err)
	}
	if err := (batch.Config{Master: "m:5050", Cmd: "true", User: "u", Retries: -1}).Validate(); err == nil {
		t.Fatal("negative retries accepted")
	}
	if err := (batch.Config{Master: "m:5050", Cmd: "true", User: "u"}).Validate(); err != nil {
		t.Fatal(err)
	}
}
