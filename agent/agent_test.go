package agent

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/agent/statusupdate"
	"github.com/agoraproject/agora/proto/agora/agentpb"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

type runningAgent struct {
	*Agent
	cancel context.CancelFunc
	result chan error
}

// stop cancels Run and returns its result.
func (r *runningAgent) stop(t *testing.T) error {
	t.Helper()
	r.cancel()
	return r.wait(t)
}

func (r *runningAgent) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-r.result:
		r.result <- err // later calls (cleanup) see it too
		return err
	case <-time.After(15 * time.Second):
		t.Fatal("Run did not return")
		return nil
	}
}

func testLogger() *zap.Logger {
	if os.Getenv("AGORA_TEST_LOG") != "" {
		l, _ := zap.NewDevelopment()
		return l
	}
	return zap.NewNop()
}

func testConfig(t *testing.T, m *fakeMaster) Config {
	return Config{
		Master:          m.addr(),
		WorkDir:         t.TempDir(),
		Hostname:        "agent.test",
		IP:              "127.0.0.1",
		Port:            5151,
		Attributes:      "rack:r1;level:3;span:[1-10]",
		Backoff:         10 * time.Millisecond,
		BackoffMax:      50 * time.Millisecond,
		StatusUpdates:   statusupdate.Config{InitialBackoff: 300 * time.Millisecond, MaxBackoff: time.Second},
		KillGracePeriod: time.Second,
		Seed:            1,
		Logger:          testLogger(),
	}
}

func startAgent(t *testing.T, cfg Config) *runningAgent {
	t.Helper()
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &runningAgent{Agent: a, cancel: cancel, result: make(chan error, 1)}
	go func() { r.result <- a.Run(ctx) }()
	t.Cleanup(func() { r.stop(t) })
	return r
}

// TestAgentProtocol walks one agent through the protocol with real
// processes: subscribe, run, acknowledge, ping, resubscribe after a broken
// stream, kill, failures and state.
func TestAgentProtocol(t *testing.T) {
	m := newFakeMaster(t)
	cfg := testConfig(t, m)
	m.refuse = 1 // the first attempt meets a master without a leader
	a := startAgent(t, cfg)

	s := m.subscribe("M-S0", 30)
	sub := s.call.GetSubscribe()
	if sub.GetAgentInfo().GetId() != nil || sub.GetAgentInfo().GetHostname() != "agent.test" ||
		sub.GetAgentInfo().GetPort() != 5151 || len(sub.GetTasks()) != 0 || sub.GetVersion() != Version {
		t.Fatalf("first SUBSCRIBE: %v", sub)
	}
	if len(sub.GetAgentInfo().GetResources()) < 4 || len(sub.GetAgentInfo().GetAttributes()) != 3 {
		t.Fatalf("resources/attributes missing: %v", sub.GetAgentInfo())
	}

	fw := frameworkInfo("fw", mesos.FrameworkInfo_Capability_TASK_KILLING_STATE)
	seen := map[string]bool{}
	ti := shellTask("t1", `echo "hello $MESOS_TASK_ID"; exec sleep 30`)
	ti.Command.Environment = &mesos.Environment{Variables: []*mesos.Environment_Variable{
		{Name: proto.String("GREETING"), Value: proto.String("hi")},
	}}
	s.events <- runTask(fw, ti)
	st := m.expectUpdate(s, "fw", "t1", mesos.TaskState_TASK_STARTING, seen)
	if a.ID() != "M-S0" {
		t.Errorf("ID() = %q", a.ID())
	}
	st = m.nextUpdate("t1", seen)
	if st.GetState() != mesos.TaskState_TASK_RUNNING || st.GetSource() != mesos.TaskStatus_SOURCE_EXECUTOR ||
		st.GetExecutorId().GetValue() != "t1" || st.GetAgentId().GetValue() != "M-S0" || st.GetTimestamp() == 0 ||
		st.GetContainerStatus().GetContainerId().GetValue() == "" || st.GetContainerStatus().GetExecutorPid() == 0 {
		t.Fatalf("RUNNING update: %v", st)
	}
	// Unacknowledged, the update comes again with the same uuid.
	notYet := maps.Clone(seen)
	delete(notYet, string(st.GetUuid()))
	again := m.nextUpdate("t1", notYet)
	if string(again.GetUuid()) != string(st.GetUuid()) {
		t.Fatalf("resend has uuid %x, want %x", again.GetUuid(), st.GetUuid())
	}
	ack(s, "fw", st)

	sandbox := filepath.Join(cfg.WorkDir, "slaves", "M-S0", "frameworks", "fw", "executors", "t1", "runs", "latest")
	waitFor(t, "task output", func() bool {
		b, _ := os.ReadFile(filepath.Join(sandbox, "stdout"))
		return string(b) == "hello t1\n"
	})

	// PING is answered with PONG on the session.
	s.events <- &agentpb.Event{Type: agentpb.Event_PING.Enum(), Ping: &agentpb.Event_Ping{}}
	for c := m.nextCall(); c.GetType() != agentpb.Call_PONG; c = m.nextCall() {
	}

	checkState(t, a.Agent, "t1", "TASK_RUNNING")

	// A broken stream: the agent comes back with its ID and its task.
	s.breakStream()
	s2 := m.subscribe("M-S0", 30)
	sub = s2.call.GetSubscribe()
	if sub.GetAgentInfo().GetId().GetValue() != "M-S0" || s2.call.GetAgentId().GetValue() != "M-S0" {
		t.Fatalf("resubscribed without its ID: %v", s2.call)
	}
	if len(sub.GetTasks()) != 1 || sub.GetTasks()[0].GetTaskId().GetValue() != "t1" ||
		sub.GetTasks()[0].GetState() != mesos.TaskState_TASK_RUNNING || len(sub.GetTasks()[0].GetStatuses()) != 1 ||
		sub.GetTasks()[0].GetFrameworkId().GetValue() != "fw" {
		t.Fatalf("resubscribed with tasks %v", sub.GetTasks())
	}
	if len(sub.GetFrameworks()) != 1 || sub.GetFrameworks()[0].GetId().GetValue() != "fw" {
		t.Fatalf("resubscribed with frameworks %v", sub.GetFrameworks())
	}
	s = s2

	// KILL_TASK: TASK_KILLING (the framework has the capability), then
	// TASK_KILLED from SIGTERM.
	s.events <- killTask("fw", "t1", -1)
	m.expectUpdate(s, "fw", "t1", mesos.TaskState_TASK_KILLING, seen)
	st = m.expectUpdate(s, "fw", "t1", mesos.TaskState_TASK_KILLED, seen)
	if st.GetMessage() != "Command terminated with signal Terminated" {
		t.Errorf("KILLED message %q", st.GetMessage())
	}

	// A task the agent does not know.
	s.events <- killTask("fw", "nope", -1)
	st = m.expectUpdate(s, "fw", "nope", mesos.TaskState_TASK_LOST, seen)
	if st.GetMessage() != "task unknown to the agent" || st.GetSource() != mesos.TaskStatus_SOURCE_AGENT {
		t.Errorf("LOST update %v", st)
	}

	// Exit codes.
	s.events <- runTask(fw, shellTask("t2", "exit 3"))
	m.expectUpdate(s, "fw", "t2", mesos.TaskState_TASK_STARTING, seen)
	m.expectUpdate(s, "fw", "t2", mesos.TaskState_TASK_RUNNING, seen)
	st = m.expectUpdate(s, "fw", "t2", mesos.TaskState_TASK_FAILED, seen)
	if st.GetMessage() != "Command exited with status 3" || st.GetReason() != mesos.TaskStatus_REASON_COMMAND_EXECUTOR_FAILED {
		t.Errorf("FAILED update %v", st)
	}

	// Launch errors fail the task from the agent.
	bad := shellTask("t3", "")
	bad.Command = &mesos.CommandInfo{Shell: proto.Bool(false), Value: proto.String("/nonexistent/program")}
	s.events <- runTask(fw, bad)
	st = m.expectUpdate(s, "fw", "t3", mesos.TaskState_TASK_FAILED, seen)
	if st.GetSource() != mesos.TaskStatus_SOURCE_AGENT || st.GetReason() != mesos.TaskStatus_REASON_CONTAINER_LAUNCH_FAILED ||
		!strings.Contains(st.GetMessage(), "/nonexistent/program") {
		t.Errorf("launch failure %v", st)
	}
	none := shellTask("t4", "")
	none.Command = nil
	s.events <- runTask(fw, none)
	st = m.expectUpdate(s, "fw", "t4", mesos.TaskState_TASK_FAILED, seen)
	if st.GetReason() != mesos.TaskStatus_REASON_CONTAINER_LAUNCH_FAILED || !strings.Contains(st.GetMessage(), "command") {
		t.Errorf("no-command failure %v", st)
	}

	// Environment: MESOS_* variables, the command's own, PATH, nothing else.
	env := shellTask("t5", `env | sort > env.txt`)
	env.Command.Environment = &mesos.Environment{Variables: []*mesos.Environment_Variable{
		{Name: proto.String("GREETING"), Value: proto.String("hi there")},
	}}
	s.events <- runTask(fw, env)
	m.expectUpdate(s, "fw", "t5", mesos.TaskState_TASK_STARTING, seen)
	m.expectUpdate(s, "fw", "t5", mesos.TaskState_TASK_RUNNING, seen)
	m.expectUpdate(s, "fw", "t5", mesos.TaskState_TASK_FINISHED, seen)
	dir := filepath.Join(cfg.WorkDir, "slaves", "M-S0", "frameworks", "fw", "executors", "t5", "runs", "latest")
	b, err := os.ReadFile(filepath.Join(dir, "env.txt"))
	if err != nil {
		t.Fatal(err)
	}
	real, _ := filepath.EvalSymlinks(dir)
	for _, want := range []string{
		"GREETING=hi there", "MESOS_TASK_ID=t5", "MESOS_EXECUTOR_ID=t5", "MESOS_FRAMEWORK_ID=fw",
		"MESOS_AGENT_ID=M-S0", "MESOS_AGENT_ENDPOINT=127.0.0.1:5151", "MESOS_SANDBOX=" + real,
		"MESOS_DIRECTORY=" + real, "PATH=" + defaultPath,
	} {
		if !strings.Contains(string(b), want+"\n") {
			t.Errorf("environment lacks %q:\n%s", want, b)
		}
	}

	// Every terminal update was acknowledged: nothing is left to report.
	waitFor(t, "tasks forgotten", func() bool {
		st := a.snapshot.Load()
		return len(st.Frameworks) == 0 && len(st.CompletedFrameworks) == 1
	}, func() string { b, _ := json.Marshal(a.snapshot.Load()); return string(b) })
	if err := a.stop(t); err != nil {
		t.Fatalf("Run after cancel: %v", err)
	}
}

func TestTaskGroupDiesTogether(t *testing.T) {
	m := newFakeMaster(t)
	cfg := testConfig(t, m)
	startAgent(t, cfg)
	s := m.subscribe("M-S1", 30)
	fw := frameworkInfo("fw")
	ex := &mesos.ExecutorInfo{
		Type:        mesos.ExecutorInfo_DEFAULT.Enum(),
		ExecutorId:  &mesos.ExecutorID{Value: proto.String("pod")},
		FrameworkId: fw.Id,
	}
	s.events <- &agentpb.Event{Type: agentpb.Event_RUN_TASK_GROUP.Enum(), RunTaskGroup: &agentpb.Event_RunTaskGroup{
		Framework: fw, Executor: ex,
		TaskGroup: &mesos.TaskGroupInfo{Tasks: []*mesos.TaskInfo{
			shellTask("long", "echo up > up.tmp && mv up.tmp up; exec sleep 30"),
			shellTask("short", "while [ ! -f ../long/up ]; do sleep 0.01; done; exit 1"),
		}},
	}}
	seen := map[string]bool{}
	for _, id := range []string{"long", "short"} {
		st := m.expectUpdate(s, "fw", id, mesos.TaskState_TASK_STARTING, seen)
		if st.GetExecutorId().GetValue() != "pod" || st.GetContainerStatus().GetContainerId().GetParent() == nil {
			t.Errorf("group task status %v", st)
		}
		m.expectUpdate(s, "fw", id, mesos.TaskState_TASK_RUNNING, seen)
	}
	m.expectUpdate(s, "fw", "short", mesos.TaskState_TASK_FAILED, seen)
	st := m.expectUpdate(s, "fw", "long", mesos.TaskState_TASK_KILLED, seen)
	if st.GetExecutorId().GetValue() != "pod" {
		t.Errorf("KILLED %v", st)
	}
	runs := filepath.Join(cfg.WorkDir, "slaves", "M-S1", "frameworks", "fw", "executors", "pod", "runs", "latest")
	if b, err := os.ReadFile(filepath.Join(runs, "tasks", "long", "up")); err != nil || string(b) != "up\n" {
		t.Errorf("task sandbox: %q %v", b, err)
	}
}

func TestShutdownKillsTasksAndStops(t *testing.T) {
	m := newFakeMaster(t)
	a := startAgent(t, testConfig(t, m))
	s := m.subscribe("M-S2", 30)
	seen := map[string]bool{}
	s.events <- runTask(frameworkInfo("fw"), shellTask("t", "echo $$ > pid; exec sleep 30"))
	m.expectUpdate(s, "fw", "t", mesos.TaskState_TASK_STARTING, seen)
	m.expectUpdate(s, "fw", "t", mesos.TaskState_TASK_RUNNING, seen)
	s.events <- &agentpb.Event{Type: agentpb.Event_SHUTDOWN.Enum(), Shutdown: &agentpb.Event_Shutdown{Message: proto.String("decommissioned")}}
	err := a.wait(t)
	if !errors.Is(err, ErrRemoved) || !strings.Contains(err.Error(), "decommissioned") {
		t.Fatalf("Run returned %v", err)
	}
	if a.liveContainers() != 0 {
		t.Error("a task outlived the agent")
	}
}

func TestCancelEscalatesToSIGKILL(t *testing.T) {
	m := newFakeMaster(t)
	cfg := testConfig(t, m)
	a := startAgent(t, cfg)
	s := m.subscribe("M-S3", 30)
	seen := map[string]bool{}
	stubborn := shellTask("t", `trap '' TERM; touch ready; while :; do sleep 0.05; done`)
	stubborn.KillPolicy = &mesos.KillPolicy{GracePeriod: &mesos.DurationInfo{Nanoseconds: proto.Int64(int64(100 * time.Millisecond))}}
	s.events <- runTask(frameworkInfo("fw"), stubborn)
	m.expectUpdate(s, "fw", "t", mesos.TaskState_TASK_STARTING, seen)
	m.expectUpdate(s, "fw", "t", mesos.TaskState_TASK_RUNNING, seen)
	ready := filepath.Join(cfg.WorkDir, "slaves", "M-S3", "frameworks", "fw", "executors", "t", "runs", "latest", "ready")
	waitFor(t, "task ready", func() bool { _, err := os.Stat(ready); return err == nil })
	if err := a.stop(t); err != nil {
		t.Fatalf("Run: %v", err)
	}
	task := a.snapshot.Load().Frameworks[0].Executors[0].CompletedTasks[0]
	if task.State != "TASK_KILLED" {
		t.Errorf("task state %s", task.State)
	}
}

func TestRedirectToLeader(t *testing.T) {
	leader := newFakeMaster(t)
	follower := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", "//"+leader.addr()+r.URL.Path)
		w.WriteHeader(http.StatusTemporaryRedirect)
	}))
	defer follower.Close()
	cfg := testConfig(t, leader)
	cfg.Master = follower.URL
	startAgent(t, cfg)
	s := leader.subscribe("M-S4", 30)
	s.events <- &agentpb.Event{Type: agentpb.Event_PING.Enum(), Ping: &agentpb.Event_Ping{}}
	if c := leader.nextCall(); c.GetType() != agentpb.Call_PONG || c.GetAgentId().GetValue() != "M-S4" {
		t.Fatalf("call after redirect: %v", c)
	}
}

func checkState(t *testing.T, a *Agent, task, state string) {
	t.Helper()
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/state.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct {
		ID         string         `json:"id"`
		PID        string         `json:"pid"`
		Hostname   string         `json:"hostname"`
		Resources  map[string]any `json:"resources"`
		Attributes map[string]any `json:"attributes"`
		Frameworks []struct {
			ID        string `json:"id"`
			Executors []struct {
				ID        string `json:"id"`
				Directory string `json:"directory"`
				Tasks     []struct {
					ID, State string
				} `json:"tasks"`
			} `json:"executors"`
		} `json:"frameworks"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if doc.ID != "M-S0" || doc.PID != "slave(1)@127.0.0.1:5151" || doc.Hostname != "agent.test" {
		t.Errorf("state header: %+v", doc)
	}
	if doc.Resources["ports"] != "[31000-32000]" || doc.Resources["cpus"] == nil {
		t.Errorf("resources %v", doc.Resources)
	}
	if doc.Attributes["rack"] != "r1" || doc.Attributes["level"] != 3.0 || doc.Attributes["span"] != "[1-10]" {
		t.Errorf("attributes %v", doc.Attributes)
	}
	if len(doc.Frameworks) != 1 || len(doc.Frameworks[0].Executors) != 1 ||
		len(doc.Frameworks[0].Executors[0].Tasks) != 1 || doc.Frameworks[0].Executors[0].Tasks[0].ID != task ||
		doc.Frameworks[0].Executors[0].Tasks[0].State != state {
		t.Errorf("frameworks %+v", doc.Frameworks)
	}
	for _, path := range []string{"/health", "/version", "/state", "/slave(1)/state"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %v %v", path, resp.Status, err)
		}
		resp.Body.Close()
	}
}

// waitFor polls a condition that depends on real processes.
func waitFor(t *testing.T, what string, cond func() bool, explain ...func() string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			for _, e := range explain {
				t.Log(e())
			}
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
