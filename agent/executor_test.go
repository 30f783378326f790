package agent

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/proto/agora/agentpb"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	execsdk "github.com/agoraproject/agora/sdk/executor"
)

// The test binary doubles as a custom executor: started by the agent with
// AGORA_TEST_EXECUTOR in its environment, it runs testExecutor instead of
// the tests. "run" subscribes and obeys; "silent" never subscribes.
func init() {
	if mode := os.Getenv("AGORA_TEST_EXECUTOR"); mode != "" {
		os.Exit(testExecutor(mode))
	}
}

// testExecutor reports every launched task RUNNING (and FINISHED when its
// data says "finish"), kills on KILL and SHUTDOWN, and answers messages.
func testExecutor(mode string) int {
	if mode == "silent" {
		time.Sleep(time.Minute)
		return 0
	}
	_ = os.WriteFile("env.txt", []byte(strings.Join(os.Environ(), "\n")+"\n"), 0o644)
	cfg, err := execsdk.FromEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	var mu sync.Mutex
	running := map[string]*mesos.TaskID{}
	update := func(ctx context.Context, c *execsdk.Client, id *mesos.TaskID, s mesos.TaskState) error {
		return c.Update(ctx, &mesos.TaskStatus{TaskId: id, State: s.Enum()})
	}
	c, err := execsdk.New(cfg, execsdk.Callbacks{
		Launch: func(ctx context.Context, c *execsdk.Client, t *mesos.TaskInfo) error {
			if err := update(ctx, c, t.TaskId, mesos.TaskState_TASK_RUNNING); err != nil {
				return err
			}
			if string(t.GetData()) == "finish" {
				return update(ctx, c, t.TaskId, mesos.TaskState_TASK_FINISHED)
			}
			mu.Lock()
			running[t.GetTaskId().GetValue()] = t.TaskId
			mu.Unlock()
			return nil
		},
		LaunchGroup: func(ctx context.Context, c *execsdk.Client, g *mesos.TaskGroupInfo) error {
			for _, t := range g.GetTasks() {
				if err := update(ctx, c, t.TaskId, mesos.TaskState_TASK_RUNNING); err != nil {
					return err
				}
				mu.Lock()
				running[t.GetTaskId().GetValue()] = t.TaskId
				mu.Unlock()
			}
			return nil
		},
		Kill: func(ctx context.Context, c *execsdk.Client, id *mesos.TaskID, _ *mesos.KillPolicy) error {
			mu.Lock()
			delete(running, id.GetValue())
			mu.Unlock()
			return update(ctx, c, id, mesos.TaskState_TASK_KILLED)
		},
		Message: func(ctx context.Context, c *execsdk.Client, data []byte) error {
			return c.Message(ctx, append([]byte("re: "), data...))
		},
		Shutdown: func(ctx context.Context, c *execsdk.Client) error {
			mu.Lock()
			defer mu.Unlock()
			for id, tid := range running {
				_ = update(ctx, c, tid, mesos.TaskState_TASK_KILLED)
				delete(running, id)
			}
			go func() {
				wctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				defer cancel()
				_ = c.WaitAcknowledged(wctx)
				c.Stop()
			}()
			return nil
		},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	if err := c.Run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// servedAgent starts an agent whose HTTP endpoints really listen, so that
// executors can reach MESOS_AGENT_ENDPOINT.
func servedAgent(t *testing.T, m *fakeMaster, tweak func(*Config)) (*runningAgent, Config) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t, m)
	cfg.Port = ln.Addr().(*net.TCPAddr).Port
	if tweak != nil {
		tweak(&cfg)
	}
	a := startAgent(t, cfg)
	srv := &http.Server{Handler: a.Handler()}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return a, cfg
}

func testExecutorInfo(t *testing.T, id, mode string) *mesos.ExecutorInfo {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return &mesos.ExecutorInfo{
		Type:       mesos.ExecutorInfo_CUSTOM.Enum(),
		ExecutorId: &mesos.ExecutorID{Value: proto.String(id)},
		Command: &mesos.CommandInfo{
			Shell: proto.Bool(false), Value: proto.String(self), Arguments: []string{self},
			Environment: &mesos.Environment{Variables: []*mesos.Environment_Variable{
				{Name: proto.String("AGORA_TEST_EXECUTOR"), Value: proto.String(mode)},
			}},
		},
	}
}

func executorTask(id, data string, ex *mesos.ExecutorInfo) *mesos.TaskInfo {
	t := shellTask(id, "")
	t.Command, t.Executor, t.Data = nil, ex, []byte(data)
	return t
}

// nextCallOf waits for the agent's next call of the given type; updates
// met on the way are kept for nextUpdate, other calls are dropped.
func (m *fakeMaster) nextCallOf(typ agentpb.Call_Type) *agentpb.Call {
	m.t.Helper()
	for {
		c := m.nextCall()
		switch c.GetType() {
		case typ:
			return c
		case agentpb.Call_UPDATE:
			m.held = append(m.held, c.GetUpdate().GetStatus())
		}
	}
}

// TestCustomExecutor runs the test binary as a custom executor with
// several tasks: environment, launches, kill, messages both ways, the
// executor reported on resubscription, and the executor killed.
func TestCustomExecutor(t *testing.T) {
	m := newFakeMaster(t)
	a, cfg := servedAgent(t, m, nil)
	s := m.subscribe("M-S9", 30)
	fw := frameworkInfo("fw")
	fw.Checkpoint = proto.Bool(true)
	ex := testExecutorInfo(t, "exec1", "run")
	seen := map[string]bool{}

	s.events <- runTask(fw, executorTask("t1", "", ex))
	s.events <- runTask(fw, executorTask("t2", "", ex))
	var pid uint32
	for _, id := range []string{"t1", "t2"} {
		st := m.expectUpdate(s, "fw", id, mesos.TaskState_TASK_RUNNING, seen)
		if st.GetSource() != mesos.TaskStatus_SOURCE_EXECUTOR || st.GetExecutorId().GetValue() != "exec1" ||
			st.GetAgentId().GetValue() != "M-S9" || st.GetContainerStatus().GetContainerId().GetValue() == "" ||
			st.GetContainerStatus().GetExecutorPid() == 0 {
			t.Fatalf("RUNNING from the executor: %v", st)
		}
		pid = st.GetContainerStatus().GetExecutorPid()
	}

	sandbox := filepath.Join(cfg.WorkDir, "slaves", "M-S9", "frameworks", "fw", "executors", "exec1", "runs", "latest")
	env, err := os.ReadFile(filepath.Join(sandbox, "env.txt"))
	if err != nil {
		t.Fatal(err)
	}
	real, _ := filepath.EvalSymlinks(sandbox)
	for _, want := range []string{
		"MESOS_FRAMEWORK_ID=fw", "MESOS_EXECUTOR_ID=exec1", "MESOS_DIRECTORY=" + real, "MESOS_SANDBOX=" + real,
		fmt.Sprintf("MESOS_AGENT_ENDPOINT=127.0.0.1:%d", cfg.Port), "MESOS_CHECKPOINT=1",
		"MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD=5secs", "MESOS_RECOVERY_TIMEOUT=15mins",
		"MESOS_SUBSCRIPTION_BACKOFF_MAX=2secs", "MESOS_HTTP_COMMAND_EXECUTOR=0", "AGORA_TEST_EXECUTOR=run",
	} {
		if !strings.Contains(string(env), want+"\n") {
			t.Errorf("executor environment lacks %q:\n%s", want, env)
		}
	}

	// Messages both ways.
	s.events <- &agentpb.Event{Type: agentpb.Event_FRAMEWORK_MESSAGE.Enum(), FrameworkMessage: &agentpb.Event_FrameworkMessage{
		FrameworkId: fw.Id, ExecutorId: ex.ExecutorId, Data: []byte("ping"),
	}}
	msg := m.nextCallOf(agentpb.Call_EXECUTOR_MESSAGE).GetExecutorMessage()
	if string(msg.GetData()) != "re: ping" || msg.GetExecutorId().GetValue() != "exec1" || msg.GetFrameworkId().GetValue() != "fw" {
		t.Fatalf("EXECUTOR_MESSAGE: %v", msg)
	}

	// KILL_TASK goes to the executor, which reports TASK_KILLED.
	s.events <- killTask("fw", "t1", -1)
	m.expectUpdate(s, "fw", "t1", mesos.TaskState_TASK_KILLED, seen)
	// A third task on the same (running) executor.
	s.events <- runTask(fw, executorTask("t3", "finish", ex))
	m.expectUpdate(s, "fw", "t3", mesos.TaskState_TASK_RUNNING, seen)
	m.expectUpdate(s, "fw", "t3", mesos.TaskState_TASK_FINISHED, seen)

	// A new master session is told about the running executor.
	s.breakStream()
	s = m.subscribe("M-S9", 30)
	sub := s.call.GetSubscribe()
	if len(sub.GetExecutors()) != 1 || sub.GetExecutors()[0].GetExecutorId().GetValue() != "exec1" ||
		sub.GetExecutors()[0].GetFrameworkId().GetValue() != "fw" || len(sub.GetFrameworks()) != 1 {
		t.Fatalf("SUBSCRIBE executors %v, frameworks %v", sub.GetExecutors(), sub.GetFrameworks())
	}

	// The executor dies: its running task fails, the master hears of it.
	if err := syscall.Kill(int(pid), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	exited := m.nextCallOf(agentpb.Call_EXECUTOR_EXITED).GetExecutorExited()
	if exited.GetExecutorId().GetValue() != "exec1" || exited.GetStatus() != int32(syscall.SIGKILL) {
		t.Fatalf("EXECUTOR_EXITED: %v", exited)
	}
	st := m.expectUpdate(s, "fw", "t2", mesos.TaskState_TASK_FAILED, seen)
	if st.GetReason() != mesos.TaskStatus_REASON_EXECUTOR_TERMINATED || st.GetSource() != mesos.TaskStatus_SOURCE_AGENT ||
		!strings.Contains(st.GetMessage(), "Killed") {
		t.Fatalf("task of the dead executor: %v", st)
	}
	waitFor(t, "executor retired", func() bool {
		st := a.snapshot.Load()
		return len(st.Frameworks) == 0 && len(st.CompletedFrameworks) == 1 &&
			st.CompletedFrameworks[0].CompletedExecutors[0].Type == "CUSTOM"
	})
}

// TestCustomExecutorShutdown runs a task group on a custom executor and
// shuts the executor down: SHUTDOWN reaches it, it reports its tasks
// killed and exits by itself.
func TestCustomExecutorShutdown(t *testing.T) {
	m := newFakeMaster(t)
	servedAgent(t, m, nil)
	s := m.subscribe("M-S10", 30)
	fw := frameworkInfo("fw")
	ex := testExecutorInfo(t, "exec2", "run")
	seen := map[string]bool{}
	s.events <- &agentpb.Event{Type: agentpb.Event_RUN_TASK_GROUP.Enum(), RunTaskGroup: &agentpb.Event_RunTaskGroup{
		Framework: fw, Executor: ex,
		TaskGroup: &mesos.TaskGroupInfo{Tasks: []*mesos.TaskInfo{executorTask("t1", "", nil), executorTask("t2", "", nil)}},
	}}
	m.expectUpdate(s, "fw", "t1", mesos.TaskState_TASK_RUNNING, seen)
	m.expectUpdate(s, "fw", "t2", mesos.TaskState_TASK_RUNNING, seen)
	s.events <- &agentpb.Event{Type: agentpb.Event_SHUTDOWN_EXECUTOR.Enum(), ShutdownExecutor: &agentpb.Event_ShutdownExecutor{
		FrameworkId: fw.Id, ExecutorId: ex.ExecutorId,
	}}
	// (EXECUTOR_EXITED first: waiting for it keeps the updates met.)
	if exited := m.nextCallOf(agentpb.Call_EXECUTOR_EXITED).GetExecutorExited(); exited.GetStatus() != 0 {
		t.Fatalf("EXECUTOR_EXITED: %v", exited)
	}
	for _, id := range []string{"t1", "t2"} {
		if st := m.expectUpdate(s, "fw", id, mesos.TaskState_TASK_KILLED, seen); st.GetSource() != mesos.TaskStatus_SOURCE_EXECUTOR {
			t.Fatalf("KILLED: %v", st)
		}
	}
}

// TestCustomExecutorRegistrationTimeout kills an executor that never
// subscribes and fails its task, and refuses its calls meanwhile.
func TestCustomExecutorRegistrationTimeout(t *testing.T) {
	m := newFakeMaster(t)
	_, cfg := servedAgent(t, m, func(c *Config) { c.ExecutorRegistrationTimeout = time.Second })
	s := m.subscribe("M-S11", 30)
	fw := frameworkInfo("fw")
	s.events <- runTask(fw, executorTask("t1", "", testExecutorInfo(t, "mute", "silent")))

	// Before SUBSCRIBE, its calls are forbidden; unknown executors are 400.
	base := fmt.Sprintf("http://127.0.0.1:%d/api/v1/executor", cfg.Port)
	call := func(eid string) int {
		body := fmt.Sprintf(`{"type":"MESSAGE","framework_id":{"value":"fw"},"executor_id":{"value":%q},"message":{"data":""}}`, eid)
		resp, err := http.Post(base, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	waitFor(t, "executor known", func() bool { return call("mute") == http.StatusForbidden })
	if code := call("nobody"); code != http.StatusBadRequest {
		t.Errorf("unknown executor: %d, want 400", code)
	}

	if exited := m.nextCallOf(agentpb.Call_EXECUTOR_EXITED).GetExecutorExited(); exited.GetExecutorId().GetValue() != "mute" {
		t.Fatalf("EXECUTOR_EXITED: %v", exited)
	}
	st := m.expectUpdate(s, "fw", "t1", mesos.TaskState_TASK_FAILED, map[string]bool{})
	if st.GetReason() != mesos.TaskStatus_REASON_EXECUTOR_REGISTRATION_TIMEOUT || st.GetSource() != mesos.TaskStatus_SOURCE_AGENT {
		t.Fatalf("FAILED: %v", st)
	}
}
