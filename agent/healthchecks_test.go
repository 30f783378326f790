package agent

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/proto/agora/agentpb"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// These tests run real tasks with real health checks on the wall clock,
// with short delays and intervals; the checker's timing is tested on a
// fake clock in agent/health.

// quickCheck returns hc checking from the start, every 100 ms.
func quickCheck(hc *mesos.HealthCheck, grace float64, failures uint32) *mesos.HealthCheck {
	hc.DelaySeconds, hc.IntervalSeconds, hc.TimeoutSeconds = proto.Float64(0), proto.Float64(0.1), proto.Float64(5)
	hc.GracePeriodSeconds, hc.ConsecutiveFailures = proto.Float64(grace), proto.Uint32(failures)
	return hc
}

func commandHealthCheck(script string) *mesos.HealthCheck {
	return &mesos.HealthCheck{Type: mesos.HealthCheck_COMMAND.Enum(), Command: &mesos.CommandInfo{Value: proto.String(script)}}
}

func portOf(t *testing.T, addr net.Addr) uint32 {
	t.Helper()
	return uint32(addr.(*net.TCPAddr).Port)
}

// expectHealth waits for task's next update and checks that it is a
// health update of a running task saying healthy.
func expectHealth(t *testing.T, m *fakeMaster, s *fakeStream, task string, healthy bool, seen map[string]bool) *mesos.TaskStatus {
	t.Helper()
	st := m.expectUpdate(s, "fw", task, mesos.TaskState_TASK_RUNNING, seen)
	if st.Healthy == nil || st.GetHealthy() != healthy || st.GetReason() != mesos.TaskStatus_REASON_TASK_HEALTH_CHECK_STATUS_UPDATED ||
		st.GetSource() != mesos.TaskStatus_SOURCE_EXECUTOR || st.GetExecutorId().GetValue() != task {
		t.Fatalf("health update of %s: %v, want healthy=%v", task, st, healthy)
	}
	return st
}

func TestHealthChecksPass(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/health" {
			http.NotFound(w, r)
			return
		}
		hits.Add(1)
	}))
	defer srv.Close()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()

	cases := []struct {
		name string
		hc   *mesos.HealthCheck
	}{
		// The task creates the file the check looks for, in its sandbox
		// and with its environment; earlier failures fall in the grace
		// period.
		{"command", quickCheck(commandHealthCheck(`test -f ready && test "$MESOS_TASK_ID" = command`), 10, 1)},
		{"http", quickCheck(&mesos.HealthCheck{Type: mesos.HealthCheck_HTTP.Enum(), Http: &mesos.HealthCheck_HTTPCheckInfo{
			Port: proto.Uint32(portOf(t, srv.Listener.Addr())), Path: proto.String("/health")}}, 0, 1)},
		{"tcp", quickCheck(&mesos.HealthCheck{Type: mesos.HealthCheck_TCP.Enum(), Tcp: &mesos.HealthCheck_TCPCheckInfo{
			Port: proto.Uint32(portOf(t, l.Addr()))}}, 0, 1)},
	}
	m := newFakeMaster(t)
	a := startAgent(t, testConfig(t, m))
	s := m.subscribe("M-S0", 30)
	fw := frameworkInfo("fw")
	seen := map[string]bool{}
	for _, c := range cases {
		ti := shellTask(c.name, "touch ready; exec sleep 30")
		ti.HealthCheck = c.hc
		s.events <- runTask(fw, ti)
		m.expectUpdate(s, "fw", c.name, mesos.TaskState_TASK_STARTING, seen)
		if st := m.expectUpdate(s, "fw", c.name, mesos.TaskState_TASK_RUNNING, seen); st.Healthy != nil {
			t.Fatalf("%s: the launch's RUNNING says healthy=%v before any check", c.name, st.GetHealthy())
		}
		expectHealth(t, m, s, c.name, true, seen)
	}
	if hits.Load() == 0 {
		t.Error("the HTTP check never reached the server")
	}
	waitFor(t, "healthy in /state", func() bool {
		b, _ := json.Marshal(a.snapshot.Load())
		return strings.Count(string(b), `"healthy":true`) == len(cases)
	})
	// Healthy tasks stay quiet until the end.
	s.events <- killTask("fw", "command", 0)
	st := m.expectUpdate(s, "fw", "command", mesos.TaskState_TASK_KILLED, seen)
	if st.Healthy != nil {
		t.Errorf("TASK_KILLED of a healthy task says healthy=%v", st.GetHealthy())
	}
}

func TestFailingHealthCheckKillsTheTask(t *testing.T) {
	m := newFakeMaster(t)
	startAgent(t, testConfig(t, m))
	s := m.subscribe("M-S0", 30)
	fw := frameworkInfo("fw", mesos.FrameworkInfo_Capability_TASK_KILLING_STATE)
	seen := map[string]bool{}
	ti := shellTask("sick", "exec sleep 30")
	ti.HealthCheck = quickCheck(commandHealthCheck("echo not ready >&2; exit 7"), 0, 2)
	s.events <- runTask(fw, ti)
	m.expectUpdate(s, "fw", "sick", mesos.TaskState_TASK_STARTING, seen)
	m.expectUpdate(s, "fw", "sick", mesos.TaskState_TASK_RUNNING, seen)
	for _, n := range []string{"1 time(s)", "2 time(s)"} {
		st := expectHealth(t, m, s, "sick", false, seen)
		if !strings.Contains(st.GetMessage(), n) || !strings.Contains(st.GetMessage(), "exited with status 7: not ready") {
			t.Errorf("health update message %q should count %s and say why", st.GetMessage(), n)
		}
	}
	m.expectUpdate(s, "fw", "sick", mesos.TaskState_TASK_KILLING, seen)
	st := m.expectUpdate(s, "fw", "sick", mesos.TaskState_TASK_KILLED, seen)
	if st.Healthy == nil || st.GetHealthy() {
		t.Errorf("TASK_KILLED after failed checks: %v, want healthy=false", st)
	}
	// The checks stopped: nothing follows the terminal update.
	pong(m, s)
	later := append([]*mesos.TaskStatus(nil), m.held...)
	for len(m.calls) > 0 {
		later = append(later, (<-m.calls).GetUpdate().GetStatus())
	}
	for _, st := range later {
		if st.GetTaskId().GetValue() == "sick" && !seen[string(st.GetUuid())] {
			t.Errorf("update after TASK_KILLED: %v", st)
		}
	}
}

func TestInvalidHealthCheckIsTaskError(t *testing.T) {
	m := newFakeMaster(t)
	startAgent(t, testConfig(t, m))
	s := m.subscribe("M-S0", 30)
	fw := frameworkInfo("fw")
	seen := map[string]bool{}
	ti := shellTask("bad", "exec sleep 30")
	// port is a required field, so a check without one cannot even be
	// decoded; 0 is the missing port that gets this far.
	ti.HealthCheck = &mesos.HealthCheck{Type: mesos.HealthCheck_HTTP.Enum(), Http: &mesos.HealthCheck_HTTPCheckInfo{Port: proto.Uint32(0)}}
	s.events <- runTask(fw, ti)
	st := m.expectUpdate(s, "fw", "bad", mesos.TaskState_TASK_ERROR, seen)
	if st.GetReason() != mesos.TaskStatus_REASON_TASK_INVALID || st.GetSource() != mesos.TaskStatus_SOURCE_AGENT ||
		!strings.Contains(st.GetMessage(), "'http.port'") {
		t.Errorf("TASK_ERROR %v", st)
	}

	// One bad check refuses the whole group.
	good, bad := shellTask("g-good", "exec sleep 30"), shellTask("g-bad", "exec sleep 30")
	bad.HealthCheck = &mesos.HealthCheck{Type: mesos.HealthCheck_UNKNOWN.Enum()}
	s.events <- runTaskGroup(fw, "group", good, bad)
	for _, id := range []string{"g-good", "g-bad"} {
		st := m.expectUpdate(s, "fw", id, mesos.TaskState_TASK_ERROR, seen)
		if !strings.Contains(st.GetMessage(), "g-bad") || !strings.Contains(st.GetMessage(), "not a valid health check type") {
			t.Errorf("%s: TASK_ERROR message %q", id, st.GetMessage())
		}
	}
}

func runTaskGroup(fw *mesos.FrameworkInfo, executorID string, tasks ...*mesos.TaskInfo) *agentpb.Event {
	ex := &mesos.ExecutorInfo{
		Type:        mesos.ExecutorInfo_DEFAULT.Enum(),
		ExecutorId:  &mesos.ExecutorID{Value: proto.String(executorID)},
		FrameworkId: fw.Id,
	}
	return &agentpb.Event{Type: agentpb.Event_RUN_TASK_GROUP.Enum(), RunTaskGroup: &agentpb.Event_RunTaskGroup{
		Framework: fw, Executor: ex, TaskGroup: &mesos.TaskGroupInfo{Tasks: tasks},
	}}
}
