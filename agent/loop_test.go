package agent

import (
	"errors"
	"math/rand"
	"slices"
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/agent/containerizer"
	"github.com/agoraproject/agora/agent/containerizer/fake"
	"github.com/agoraproject/agora/agent/internal/clock"
	"github.com/agoraproject/agora/proto/agora/agentpb"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// These tests run the agent on a fake clock with the fake containerizer,
// so every timeout is driven by Advance and nothing waits for real time
// except the goroutines' hand-offs.

func fakeAgent(t *testing.T, m *fakeMaster) (*runningAgent, *clock.Fake, *fake.Containerizer) {
	t.Helper()
	clk := clock.NewFake(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	c := fake.New()
	cfg := testConfig(t, m)
	cfg.Clock, cfg.Containerizer = clk, c
	cfg.KillGracePeriod = 3 * time.Second
	return startAgent(t, cfg), clk, c
}

func nextLaunch(t *testing.T, c *fake.Containerizer) *fake.Container {
	t.Helper()
	select {
	case ct := <-c.Launches():
		return ct
	case <-time.After(10 * time.Second):
		t.Fatal("nothing launched")
		return nil
	}
}

// pong sends a PING and waits for the PONG, which proves the loop has
// handled every event sent before it.
func pong(m *fakeMaster, s *fakeStream) {
	m.t.Helper()
	s.events <- &agentpb.Event{Type: agentpb.Event_PING.Enum(), Ping: &agentpb.Event_Ping{}}
	for c := m.nextCall(); c.GetType() != agentpb.Call_PONG; c = m.nextCall() {
	}
}

// advanceUntil moves the fake clock in steps until cond holds.
func advanceUntil(t *testing.T, clk *clock.Fake, step time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition never held")
		}
		clk.Advance(step)
		time.Sleep(2 * time.Millisecond)
	}
}

func TestPingTimeoutResubscribes(t *testing.T) {
	m := newFakeMaster(t)
	a, clk, _ := fakeAgent(t, m)
	m.subscribe("M-S5", 1) // silent for 5 × 1 s → resubscribe
	waitFor(t, "SUBSCRIBED handled", func() bool { return a.snapshot.Load().ID == "M-S5" })
	clk.Advance(4 * time.Second)
	select {
	case <-m.subscribes:
		t.Fatal("resubscribed before 5 ping intervals")
	case <-time.After(20 * time.Millisecond):
	}
	var s *fakeStream
	advanceUntil(t, clk, 500*time.Millisecond, func() bool {
		select {
		case s = <-m.subscribes:
			return true
		default:
			return false
		}
	})
	if s.call.GetSubscribe().GetAgentInfo().GetId().GetValue() != "M-S5" {
		t.Fatalf("resubscribed as %v", s.call.GetSubscribe().GetAgentInfo().GetId())
	}
}

func TestKillEscalatesAfterGracePeriod(t *testing.T) {
	m := newFakeMaster(t)
	_, clk, c := fakeAgent(t, m)
	c.IgnoreTerm(true)
	s := m.subscribe("M-S6", 30)
	seen := map[string]bool{}
	s.events <- runTask(frameworkInfo("fw"), shellTask("t", "sleep 100"))
	ct := nextLaunch(t, c)
	m.expectUpdate(s, "fw", "t", mesos.TaskState_TASK_STARTING, seen)
	m.expectUpdate(s, "fw", "t", mesos.TaskState_TASK_RUNNING, seen)

	s.events <- killTask("fw", "t", -1) // no policy: the 3 s default
	pong(m, s)
	if got := ct.Signals(); !slices.Equal(got, []syscall.Signal{syscall.SIGTERM}) {
		t.Fatalf("signals %v, want SIGTERM only", got)
	}
	clk.Advance(2900 * time.Millisecond)
	pong(m, s)
	if got := ct.Signals(); len(got) != 1 {
		t.Fatalf("SIGKILL before the grace period: %v", got)
	}
	clk.Advance(100 * time.Millisecond)
	st := m.expectUpdate(s, "fw", "t", mesos.TaskState_TASK_KILLED, seen)
	if st.GetMessage() != "Command terminated with signal Killed" {
		t.Errorf("KILLED message %q", st.GetMessage())
	}
	if got := ct.Signals(); !slices.Equal(got, []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL}) {
		t.Fatalf("signals %v", got)
	}
}

func TestKillDuringLaunch(t *testing.T) {
	m := newFakeMaster(t)
	_, _, c := fakeAgent(t, m)
	release := c.Hold()
	defer release()
	s := m.subscribe("M-S7", 30)
	s.events <- runTask(frameworkInfo("fw"), shellTask("t", "sleep 100"))
	s.events <- killTask("fw", "t", -1)
	pong(m, s)
	release()
	st := m.nextUpdate("t", map[string]bool{})
	if st.GetState() != mesos.TaskState_TASK_KILLED || st.GetReason() != mesos.TaskStatus_REASON_TASK_KILLED_DURING_LAUNCH {
		t.Fatalf("first update %v, want KILLED during launch", st)
	}
	if got := nextLaunch(t, c).Signals(); !slices.Equal(got, []syscall.Signal{syscall.SIGKILL}) {
		t.Fatalf("signals %v", got)
	}
}

func TestShutdownFramework(t *testing.T) {
	m := newFakeMaster(t)
	a, _, c := fakeAgent(t, m)
	s := m.subscribe("M-S8", 30)
	seen := map[string]bool{}
	for _, x := range []struct{ fw, task string }{{"fw", "a"}, {"fw", "b"}, {"other", "c"}} {
		s.events <- runTask(frameworkInfo(x.fw), shellTask(x.task, "sleep 100"))
		nextLaunch(t, c)
		m.expectUpdate(s, x.fw, x.task, mesos.TaskState_TASK_STARTING, seen)
		m.expectUpdate(s, x.fw, x.task, mesos.TaskState_TASK_RUNNING, seen)
	}
	s.events <- &agentpb.Event{Type: agentpb.Event_SHUTDOWN_FRAMEWORK.Enum(), ShutdownFramework: &agentpb.Event_ShutdownFramework{
		FrameworkId: &mesos.FrameworkID{Value: proto.String("fw")},
	}}
	m.expectUpdate(s, "fw", "a", mesos.TaskState_TASK_KILLED, seen)
	m.expectUpdate(s, "fw", "b", mesos.TaskState_TASK_KILLED, seen)
	waitFor(t, "fw forgotten", func() bool {
		fws := a.snapshot.Load().Frameworks
		return len(fws) == 1 && fws[0].ID == "other" && fws[0].Executors[0].Tasks[0].State == "TASK_RUNNING"
	})
}

func TestGroupLaunchIsAllOrNothing(t *testing.T) {
	m := newFakeMaster(t)
	_, _, c := fakeAgent(t, m)
	c.FailWith(func(spec containerizer.LaunchSpec) error {
		if spec.Command.GetValue() == "bad" {
			return errors.New("no such image")
		}
		return nil
	})
	s := m.subscribe("M-S9", 30)
	fw := frameworkInfo("fw")
	s.events <- &agentpb.Event{Type: agentpb.Event_RUN_TASK_GROUP.Enum(), RunTaskGroup: &agentpb.Event_RunTaskGroup{
		Framework: fw,
		Executor:  &mesos.ExecutorInfo{ExecutorId: &mesos.ExecutorID{Value: proto.String("pod")}},
		TaskGroup: &mesos.TaskGroupInfo{Tasks: []*mesos.TaskInfo{shellTask("a", "good"), shellTask("b", "bad")}},
	}}
	good := nextLaunch(t, c)
	seen := map[string]bool{}
	a := m.expectUpdate(s, "fw", "a", mesos.TaskState_TASK_FAILED, seen)
	b := m.expectUpdate(s, "fw", "b", mesos.TaskState_TASK_FAILED, seen)
	for _, st := range []*mesos.TaskStatus{a, b} {
		if st.GetReason() != mesos.TaskStatus_REASON_CONTAINER_LAUNCH_FAILED || st.GetSource() != mesos.TaskStatus_SOURCE_AGENT {
			t.Errorf("update %v", st)
		}
	}
	if got := good.Signals(); !slices.Equal(got, []syscall.Signal{syscall.SIGKILL}) {
		t.Errorf("the launched half got %v, want SIGKILL", got)
	}
}

func TestUpdatesResentAfterResubscribe(t *testing.T) {
	m := newFakeMaster(t)
	_, clk, c := fakeAgent(t, m)
	s := m.subscribe("M-S10", 30)
	s.events <- runTask(frameworkInfo("fw"), shellTask("t", "sleep 100"))
	nextLaunch(t, c)
	first := m.nextUpdate("t", map[string]bool{}) // STARTING, never acknowledged
	s.breakStream()
	var s2 *fakeStream
	advanceUntil(t, clk, 10*time.Millisecond, func() bool {
		select {
		case s2 = <-m.subscribes:
			return true
		default:
			return false
		}
	})
	sub := s2.call.GetSubscribe()
	if len(sub.GetTasks()) != 1 || string(sub.GetTasks()[0].GetStatusUpdateUuid()) != string(first.GetUuid()) ||
		sub.GetTasks()[0].GetStatusUpdateState() != mesos.TaskState_TASK_STARTING ||
		sub.GetTasks()[0].GetState() != mesos.TaskState_TASK_RUNNING {
		t.Fatalf("reported tasks %v", sub.GetTasks())
	}
	s2.events <- &agentpb.Event{Type: agentpb.Event_SUBSCRIBED.Enum(), Subscribed: &agentpb.Event_Subscribed{
		AgentId: &mesos.AgentID{Value: proto.String("M-S10")},
	}}
	// At once, without the clock reaching the update's next retry.
	again := m.nextUpdate("t", map[string]bool{})
	if string(again.GetUuid()) != string(first.GetUuid()) {
		t.Fatalf("resent %v, want the unacknowledged STARTING", again)
	}
}

func TestUpdatesResentWhenFrameworkReturns(t *testing.T) {
	m := newFakeMaster(t)
	_, _, c := fakeAgent(t, m)
	s := m.subscribe("M-S11", 30)
	s.events <- runTask(frameworkInfo("fw"), shellTask("t", "sleep 100"))
	nextLaunch(t, c)
	first := m.nextUpdate("t", map[string]bool{}) // STARTING, never acknowledged
	// The fake clock stands still, so no retry is due: only the event can
	// make the agent send the update again.
	s.events <- &agentpb.Event{Type: agentpb.Event_UPDATE_FRAMEWORK.Enum(), UpdateFramework: &agentpb.Event_UpdateFramework{
		FrameworkId: &mesos.FrameworkID{Value: proto.String("fw")},
	}}
	again := m.nextUpdate("t", map[string]bool{})
	if string(again.GetUuid()) != string(first.GetUuid()) {
		t.Fatalf("resent %v, want the unacknowledged STARTING", again)
	}
}

func TestBackoff(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for n, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 5: 16 * time.Second, 6: 30 * time.Second, 50: 30 * time.Second} {
		for i := 0; i < 20; i++ {
			d := backoff(n, time.Second, 30*time.Second, r)
			if d < want/2 || d > want {
				t.Fatalf("backoff(%d) = %v, want in [%v, %v]", n, d, want/2, want)
			}
		}
	}
}
