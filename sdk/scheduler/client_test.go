package scheduler_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/agoraproject/agora/proto/codec"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	schedpb "github.com/agoraproject/agora/proto/mesos/v1/scheduler"
	"github.com/agoraproject/agora/sdk/offers"
	"github.com/agoraproject/agora/sdk/scheduler"
	"github.com/agoraproject/agora/sdk/sdktest"
)

var codecs = []struct {
	name  string
	codec codec.Codec
}{{"protobuf", codec.Protobuf}, {"json", codec.JSON}}

func TestSubscribe(t *testing.T) {
	for _, tc := range codecs {
		t.Run(tc.name, func(t *testing.T) {
			m := startMaster(t, sdktest.Options{})
			cfg := testConfig(t, m)
			cfg.Codec = tc.codec
			r := start(t, cfg, nil)

			e := r.next(t, schedpb.Event_SUBSCRIBED)
			id := e.GetSubscribed().GetFrameworkId().GetValue()
			if id == "" || id != m.FrameworkID() || id != r.FrameworkID() {
				t.Fatalf("framework IDs: event %q, master %q, client %q", id, m.FrameworkID(), r.FrameworkID())
			}
			if got := e.GetSubscribed().GetHeartbeatIntervalSeconds(); got != 15 {
				t.Fatalf("heartbeat_interval_seconds = %v, want 15", got)
			}
			sub := m.Subscribes()[0]
			if sub.GetSubscribe().GetFrameworkInfo().GetName() != "sdk-test" || sub.FrameworkId != nil {
				t.Fatalf("first SUBSCRIBE = %v", sub)
			}
			// The stream carries later events too, in the same encoding.
			if err := m.Heartbeat(); err != nil {
				t.Fatal(err)
			}
			r.next(t, schedpb.Event_HEARTBEAT)
		})
	}
}

// launchOnOffers launches one 0.1-cpu task per offer, named after the offer.
func launchOnOffers(ctx context.Context, c *scheduler.Client, os []*mesos.Offer) error {
	for _, o := range os {
		p := offers.NewPool(o)
		rs, ok := p.Take(offers.Scalars(0.1, 32, 0))
		if !ok {
			if err := c.Decline(ctx, []*mesos.OfferID{o.GetId()}, nil); err != nil {
				return err
			}
			continue
		}
		task := &mesos.TaskInfo{
			Name:      o.Id.Value,
			TaskId:    &mesos.TaskID{Value: o.Id.Value},
			AgentId:   o.GetAgentId(),
			Resources: rs,
			Command:   &mesos.CommandInfo{Value: new("true")},
		}
		if err := c.Launch(ctx, []*mesos.OfferID{o.GetId()}, []*mesos.TaskInfo{task}, nil); err != nil {
			return err
		}
	}
	return nil
}

func TestLaunchUpdatesAreAcknowledged(t *testing.T) {
	for _, tc := range codecs {
		t.Run(tc.name, func(t *testing.T) {
			m := startMaster(t, sdktest.Options{})
			cfg := testConfig(t, m)
			cfg.Codec = tc.codec
			r := start(t, cfg, scheduler.Callbacks{Offers: launchOnOffers})
			r.next(t, schedpb.Event_SUBSCRIBED)
			offered := m.OfferAll()
			if len(offered) != 1 {
				t.Fatalf("offered %d", len(offered))
			}

			running := r.next(t, schedpb.Event_UPDATE).GetUpdate().GetStatus()
			finished := r.next(t, schedpb.Event_UPDATE).GetUpdate().GetStatus()
			if running.GetState() != mesos.TaskState_TASK_RUNNING || finished.GetState() != mesos.TaskState_TASK_FINISHED {
				t.Fatalf("updates %s, %s", running.GetState(), finished.GetState())
			}
			if running.GetTaskId().GetValue() != offered[0].GetId().GetValue() {
				t.Fatalf("task %q, want %q", running.GetTaskId().GetValue(), offered[0].GetId().GetValue())
			}
			waitFor(t, m, "two acknowledgements", func() bool { return len(m.Acknowledged()) == 2 })
			if n := m.Unacknowledged(); n != 0 {
				t.Fatalf("%d updates unacknowledged", n)
			}
			for i, want := range []*mesos.TaskStatus{running, finished} {
				got := m.Acknowledged()[i]
				if string(got.GetUuid()) != string(want.GetUuid()) || got.GetAgentId().GetValue() != want.GetAgentId().GetValue() {
					t.Fatalf("ack %d = %v, want uuid of %s", i, got, want.GetState())
				}
			}
		})
	}
}

func TestManualAcknowledge(t *testing.T) {
	m := startMaster(t, sdktest.Options{})
	cfg := testConfig(t, m)
	cfg.ManualAcknowledge = true
	r := start(t, cfg, scheduler.Callbacks{Offers: launchOnOffers})
	r.next(t, schedpb.Event_SUBSCRIBED)
	m.OfferAll()
	st := r.next(t, schedpb.Event_UPDATE).GetUpdate().GetStatus()
	r.next(t, schedpb.Event_UPDATE)
	if got := len(m.Acknowledged()); got != 0 {
		t.Fatalf("%d acknowledgements with ManualAcknowledge", got)
	}
	if err := r.Acknowledge(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	if m.Unacknowledged() != 1 {
		t.Fatalf("unacknowledged = %d, want 1", m.Unacknowledged())
	}
}

func TestFailedTaskStatusIsDelivered(t *testing.T) {
	m := startMaster(t, sdktest.Options{
		TaskResult: func(*mesos.TaskInfo) (mesos.TaskState, string) { return mesos.TaskState_TASK_FAILED, "exit status 3" },
	})
	r := start(t, testConfig(t, m), scheduler.Callbacks{Offers: launchOnOffers})
	r.next(t, schedpb.Event_SUBSCRIBED)
	m.OfferAll()
	r.next(t, schedpb.Event_UPDATE)
	st := r.next(t, schedpb.Event_UPDATE).GetUpdate().GetStatus()
	if st.GetState() != mesos.TaskState_TASK_FAILED || st.GetMessage() != "exit status 3" {
		t.Fatalf("got %s %q", st.GetState(), st.GetMessage())
	}
}

func TestCallErrorCarriesStatusAndBody(t *testing.T) {
	m := startMaster(t, sdktest.Options{})
	r := start(t, testConfig(t, m), nil)
	r.next(t, schedpb.Event_SUBSCRIBED)

	m.FailNext(schedpb.Call_REVIVE, http.StatusConflict, "revive refused for a reason")
	err := r.Revive(context.Background())
	var se *scheduler.StatusError
	if !errors.As(err, &se) || se.Code != http.StatusConflict || se.Body != "revive refused for a reason" || se.Call != "REVIVE" {
		t.Fatalf("Revive error = %#v", err)
	}
	if err := r.Revive(context.Background()); err != nil {
		t.Fatalf("second Revive: %v", err)
	}
	if got := len(m.Calls(schedpb.Call_REVIVE)); got != 1 {
		t.Fatalf("master applied %d REVIVEs, want 1", got)
	}
}

func TestCallsBeforeSubscribing(t *testing.T) {
	m := startMaster(t, sdktest.Options{})
	c, err := scheduler.New(testConfig(t, m), scheduler.Callbacks{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Suppress(context.Background()); !errors.Is(err, scheduler.ErrNotSubscribed) {
		t.Fatalf("Suppress before Run = %v", err)
	}
}

func TestSubscribeRejectedEndsRun(t *testing.T) {
	m := startMaster(t, sdktest.Options{})
	m.FailNext(schedpb.Call_SUBSCRIBE, http.StatusForbidden, "not authorized to use role")
	r := start(t, testConfig(t, m), nil)
	var se *scheduler.StatusError
	if err := r.result(t); !errors.As(err, &se) || se.Code != http.StatusForbidden || se.Body != "not authorized to use role" {
		t.Fatalf("Run = %v", err)
	}
}

func TestErrorEventEndsRun(t *testing.T) {
	m := startMaster(t, sdktest.Options{})
	var told string
	r := start(t, testConfig(t, m), scheduler.Callbacks{
		Error: func(_ context.Context, _ *scheduler.Client, msg string) error { told = msg; return nil },
	})
	r.next(t, schedpb.Event_SUBSCRIBED)
	if err := m.SendError("Framework has been removed"); err != nil {
		t.Fatal(err)
	}
	var ee *scheduler.ErrorEvent
	if err := r.result(t); !errors.As(err, &ee) || ee.Message != "Framework has been removed" {
		t.Fatalf("Run = %v", err)
	}
	if told != "Framework has been removed" {
		t.Fatalf("Error callback got %q", told)
	}
}

func TestTeardownStopsRun(t *testing.T) {
	m := startMaster(t, sdktest.Options{})
	r := start(t, testConfig(t, m), nil)
	r.next(t, schedpb.Event_SUBSCRIBED)
	if err := r.Teardown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := r.result(t); err != nil {
		t.Fatalf("Run = %v, want nil", err)
	}
	if !m.Removed(r.FrameworkID()) {
		t.Fatal("master did not remove the framework")
	}
}

func TestRunEndsWithContext(t *testing.T) {
	m := startMaster(t, sdktest.Options{})
	c, err := scheduler.New(testConfig(t, m), scheduler.Callbacks{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	waitFor(t, m, "subscription", m.Subscribed)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
	if err := c.Run(context.Background()); err == nil {
		t.Fatal("second Run succeeded")
	}
}
