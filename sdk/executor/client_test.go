package executor

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/agent/executorapi"
	"github.com/agoraproject/agora/internal/queue"
	"github.com/agoraproject/agora/proto/codec"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	execpb "github.com/agoraproject/agora/proto/mesos/v1/executor"
)

// fakeAgent serves the executor API through the agent's own HTTP adapter
// (validation, media types, RecordIO), with the test deciding every event.
type fakeAgent struct {
	t     *testing.T
	srv   *httptest.Server
	subs  chan *fakeSub
	calls chan *execpb.Call

	mu     sync.Mutex
	refuse error // answer SUBSCRIBE with this
}

type fakeSub struct {
	call   *execpb.Call
	events *queue.Queue[*execpb.Event]
	done   chan struct{}
	once   sync.Once
}

func (s *fakeSub) send(e *execpb.Event) { s.events.Push(e) }
func (s *fakeSub) breakStream()         { s.once.Do(func() { close(s.done) }) }

func newFakeAgent(t *testing.T) *fakeAgent {
	a := &fakeAgent{t: t, subs: make(chan *fakeSub, 10), calls: make(chan *execpb.Call, 100)}
	a.srv = httptest.NewServer(executorapi.New(a, nil))
	t.Cleanup(a.srv.Close)
	return a
}

func (a *fakeAgent) Subscribe(_ context.Context, call *execpb.Call) (*executorapi.Stream, error) {
	a.mu.Lock()
	refuse := a.refuse
	a.mu.Unlock()
	if refuse != nil {
		return nil, refuse
	}
	s := &fakeSub{call: call, events: queue.New[*execpb.Event](100), done: make(chan struct{})}
	s.send(&execpb.Event{Type: execpb.Event_SUBSCRIBED.Enum(), Subscribed: &execpb.Event_Subscribed{
		ExecutorInfo:  &mesos.ExecutorInfo{ExecutorId: call.ExecutorId, FrameworkId: call.FrameworkId},
		FrameworkInfo: &mesos.FrameworkInfo{User: proto.String("u"), Name: proto.String("f"), Id: call.FrameworkId},
		AgentInfo:     &mesos.AgentInfo{Id: &mesos.AgentID{Value: proto.String("A1")}, Hostname: proto.String("h")},
	}})
	a.subs <- s
	return &executorapi.Stream{Events: s.events, Done: s.done}, nil
}

func (a *fakeAgent) Call(_ context.Context, call *execpb.Call) error {
	a.calls <- call
	return nil
}

func (a *fakeAgent) nextSub() *fakeSub {
	a.t.Helper()
	select {
	case s := <-a.subs:
		return s
	case <-time.After(10 * time.Second):
		a.t.Fatal("no SUBSCRIBE")
		return nil
	}
}

func (a *fakeAgent) nextCall() *execpb.Call {
	a.t.Helper()
	select {
	case c := <-a.calls:
		return c
	case <-time.After(10 * time.Second):
		a.t.Fatal("no call")
		return nil
	}
}

func testConfig(a *fakeAgent, checkpoint bool) Config {
	return Config{
		FrameworkID: "fw", ExecutorID: "ex", AgentEndpoint: a.srv.Listener.Addr().String(),
		Checkpoint: checkpoint, RecoveryTimeout: 2 * time.Second, SubscriptionBackoffMax: 50 * time.Millisecond,
	}
}

func launchEvent(id string) *execpb.Event {
	return &execpb.Event{Type: execpb.Event_LAUNCH.Enum(), Launch: &execpb.Event_Launch{Task: &mesos.TaskInfo{
		Name: proto.String(id), TaskId: &mesos.TaskID{Value: proto.String(id)}, AgentId: &mesos.AgentID{Value: proto.String("A1")},
	}}}
}

func run(t *testing.T, c *Client) chan error {
	done := make(chan error, 1)
	go func() { done <- c.Run(context.Background()) }()
	t.Cleanup(func() {
		c.Stop()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("Run did not return after Stop")
		}
	})
	return done
}

// TestClientReliability walks a client through launch, update, messages
// both ways, a broken stream and the resubscription that carries its
// unacknowledged update and task, then acknowledgement.
func TestClientReliability(t *testing.T) {
	for _, cd := range []codec.Codec{codec.Protobuf, codec.JSON} {
		t.Run(cd.MediaType(), func(t *testing.T) {
			a := newFakeAgent(t)
			cfg := testConfig(a, true)
			cfg.Codec = cd
			messages := make(chan string, 10)
			c, err := New(cfg, Callbacks{
				Launch: func(ctx context.Context, c *Client, task *mesos.TaskInfo) error {
					return c.Update(ctx, &mesos.TaskStatus{TaskId: task.TaskId, State: mesos.TaskState_TASK_RUNNING.Enum()})
				},
				Message: func(ctx context.Context, c *Client, data []byte) error {
					messages <- string(data)
					return c.Message(ctx, append([]byte("re: "), data...))
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			run(t, c)
			s := a.nextSub()
			if s.call.GetFrameworkId().GetValue() != "fw" || s.call.GetExecutorId().GetValue() != "ex" ||
				len(s.call.GetSubscribe().GetUnacknowledgedUpdates()) != 0 {
				t.Fatalf("first SUBSCRIBE: %v", s.call)
			}

			s.send(launchEvent("t1"))
			up := a.nextCall()
			st := up.GetUpdate().GetStatus()
			if up.GetType() != execpb.Call_UPDATE || st.GetState() != mesos.TaskState_TASK_RUNNING || len(st.GetUuid()) != 16 ||
				st.GetSource() != mesos.TaskStatus_SOURCE_EXECUTOR || st.GetExecutorId().GetValue() != "ex" ||
				st.GetAgentId().GetValue() != "A1" || st.GetTimestamp() == 0 {
				t.Fatalf("UPDATE: %v", up)
			}

			s.send(&execpb.Event{Type: execpb.Event_MESSAGE.Enum(), Message: &execpb.Event_Message{Data: []byte("hello")}})
			if got := <-messages; got != "hello" {
				t.Fatalf("message %q", got)
			}
			if m := a.nextCall(); m.GetType() != execpb.Call_MESSAGE || string(m.GetMessage().GetData()) != "re: hello" {
				t.Fatalf("MESSAGE call: %v", m)
			}

			// The stream breaks before the agent acknowledged: the update and
			// the task come back with the next SUBSCRIBE.
			s.breakStream()
			s = a.nextSub()
			sub := s.call.GetSubscribe()
			if len(sub.GetUnacknowledgedUpdates()) != 1 || string(sub.GetUnacknowledgedUpdates()[0].GetStatus().GetUuid()) != string(st.GetUuid()) ||
				len(sub.GetUnacknowledgedTasks()) != 1 || sub.GetUnacknowledgedTasks()[0].GetTaskId().GetValue() != "t1" {
				t.Fatalf("resubscription: %v", sub)
			}

			s.send(&execpb.Event{Type: execpb.Event_ACKNOWLEDGED.Enum(), Acknowledged: &execpb.Event_Acknowledged{TaskId: st.TaskId, Uuid: st.Uuid}})
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := c.WaitAcknowledged(ctx); err != nil {
				t.Fatal(err)
			}
			if updates, tasks := c.Unacknowledged(); len(updates) != 0 || len(tasks) != 0 {
				t.Fatalf("still unacknowledged: %v %v", updates, tasks)
			}
		})
	}
}

// TestClientWithoutCheckpoint gives up at the first broken stream, as a
// Mesos executor of a framework that does not checkpoint must.
func TestClientWithoutCheckpoint(t *testing.T) {
	a := newFakeAgent(t)
	c, err := New(testConfig(a, false), Callbacks{})
	if err != nil {
		t.Fatal(err)
	}
	done := run(t, c)
	a.nextSub().breakStream()
	select {
	case err := <-done:
		if !errors.Is(err, ErrDisconnected) {
			t.Fatalf("Run = %v, want ErrDisconnected", err)
		}
		done <- err
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return")
	}
}

// TestClientRecoveryTimeout gives up when the agent stays away.
func TestClientRecoveryTimeout(t *testing.T) {
	a := newFakeAgent(t)
	cfg := testConfig(a, true)
	cfg.RecoveryTimeout = 300 * time.Millisecond
	c, err := New(cfg, Callbacks{})
	if err != nil {
		t.Fatal(err)
	}
	done := run(t, c)
	s := a.nextSub()
	a.mu.Lock()
	a.refuse = executorapi.Unavailable("agent recovering")
	a.mu.Unlock()
	start := time.Now()
	s.breakStream()
	select {
	case err := <-done:
		if !errors.Is(err, ErrRecoveryTimeout) || time.Since(start) < cfg.RecoveryTimeout {
			t.Fatalf("Run = %v after %v, want ErrRecoveryTimeout after %v", err, time.Since(start), cfg.RecoveryTimeout)
		}
		done <- err
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return")
	}
}

// TestClientRefused stops at once when the agent refuses the executor.
func TestClientRefused(t *testing.T) {
	a := newFakeAgent(t)
	a.refuse = executorapi.BadRequest("Executor ex of framework fw cannot be found")
	c, err := New(testConfig(a, true), Callbacks{})
	if err != nil {
		t.Fatal(err)
	}
	done := run(t, c)
	select {
	case err := <-done:
		var se *StatusError
		if !errors.As(err, &se) || se.Code != http.StatusBadRequest || !strings.Contains(se.Body, "cannot be found") {
			t.Fatalf("Run = %v, want the 400", err)
		}
		done <- err
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return")
	}
	if err := c.Message(context.Background(), []byte("x")); !errors.Is(err, ErrNotSubscribed) {
		t.Fatalf("Message while not subscribed = %v", err)
	}
}

func TestFromLookup(t *testing.T) {
	env := map[string]string{
		"MESOS_FRAMEWORK_ID": "fw", "MESOS_EXECUTOR_ID": "ex", "MESOS_AGENT_ENDPOINT": "127.0.0.1:5051",
		"MESOS_DIRECTORY": "/sb", "MESOS_CHECKPOINT": "1", "MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD": "5secs",
		"MESOS_RECOVERY_TIMEOUT": "15mins", "MESOS_SUBSCRIPTION_BACKOFF_MAX": "2secs",
	}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	c, err := FromLookup(lookup)
	if err != nil {
		t.Fatal(err)
	}
	if c.FrameworkID != "fw" || c.ExecutorID != "ex" || c.Sandbox != "/sb" || !c.Checkpoint ||
		c.ShutdownGracePeriod != 5*time.Second || c.RecoveryTimeout != 15*time.Minute || c.SubscriptionBackoffMax != 2*time.Second {
		t.Fatalf("config %+v", c)
	}
	if u, _ := endpointURL(c.AgentEndpoint); u != "http://127.0.0.1:5051/api/v1/executor" {
		t.Fatalf("URL %q", u)
	}
	env["MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD"] = "soon"
	delete(env, "MESOS_AGENT_ENDPOINT")
	if _, err := FromLookup(lookup); err == nil || !strings.Contains(err.Error(), "SHUTDOWN_GRACE_PERIOD") {
		t.Fatalf("bad duration: %v", err)
	}
	delete(env, "MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD")
	if _, err := FromLookup(lookup); err == nil || !strings.Contains(err.Error(), "MESOS_AGENT_ENDPOINT") {
		t.Fatalf("missing endpoint: %v", err)
	}
}
