package scheduler_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	schedpb "github.com/agoraproject/agora/proto/mesos/v1/scheduler"
	"github.com/agoraproject/agora/sdk/scheduler"
	"github.com/agoraproject/agora/sdk/sdktest"
)

func TestReconnectKeepsFrameworkID(t *testing.T) {
	m := startMaster(t, sdktest.Options{})
	r := start(t, testConfig(t, m), nil)
	first := r.next(t, schedpb.Event_SUBSCRIBED).GetSubscribed().GetFrameworkId().GetValue()

	m.DropStream()
	second := r.next(t, schedpb.Event_SUBSCRIBED).GetSubscribed().GetFrameworkId().GetValue()
	if second != first {
		t.Fatalf("resubscribed as %q, was %q", second, first)
	}
	subs := m.Subscribes()
	if len(subs) != 2 {
		t.Fatalf("%d SUBSCRIBE calls, want 2", len(subs))
	}
	re := subs[1]
	if re.GetFrameworkId().GetValue() != first || re.GetSubscribe().GetFrameworkInfo().GetId().GetValue() != first {
		t.Fatalf("resubscription did not carry the framework ID: %v", re)
	}
	// Calls work on the new stream (they carry its Mesos-Stream-Id).
	if err := r.Suppress(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestFailedHandlerLeavesUpdateForRedelivery(t *testing.T) {
	m := startMaster(t, sdktest.Options{})
	var failing atomic.Bool
	failing.Store(true)
	r := start(t, testConfig(t, m), scheduler.Callbacks{
		Offers: launchOnOffers,
		Update: func(context.Context, *scheduler.Client, *mesos.TaskStatus) error {
			if failing.Load() {
				return errors.New("could not record the update")
			}
			return nil
		},
	})
	r.next(t, schedpb.Event_SUBSCRIBED)
	m.OfferAll()
	r.next(t, schedpb.Event_UPDATE)
	r.next(t, schedpb.Event_UPDATE)
	// The handler runs on Run's goroutine: once a HEARTBEAT is delivered,
	// both updates have been handled (and not acknowledged).
	if err := m.Heartbeat(); err != nil {
		t.Fatal(err)
	}
	r.next(t, schedpb.Event_HEARTBEAT)
	if n := len(m.Acknowledged()); n != 0 {
		t.Fatalf("%d acknowledgements after failed handling", n)
	}

	failing.Store(false)
	m.DropStream()
	r.next(t, schedpb.Event_SUBSCRIBED)
	waitFor(t, m, "redelivered updates acknowledged", func() bool { return m.Unacknowledged() == 0 })
}

func TestRedirectToLeaderIsRemembered(t *testing.T) {
	leader := startMaster(t, sdktest.Options{})
	follower := startMaster(t, sdktest.Options{})
	follower.RedirectTo(leader.Addr())

	cfg := testConfig(t, follower)
	cfg.Master = follower.URL() // a URL works as well as host:port
	r := start(t, cfg, nil)
	r.next(t, schedpb.Event_SUBSCRIBED)
	if leader.FrameworkID() != r.FrameworkID() {
		t.Fatalf("leader knows %q, client %q", leader.FrameworkID(), r.FrameworkID())
	}
	if err := r.Revive(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := follower.Redirected(); got != 1 {
		t.Fatalf("follower answered %d requests, want only the first SUBSCRIBE", got)
	}
	if got := len(leader.Calls(schedpb.Call_REVIVE)); got != 1 {
		t.Fatalf("leader got %d REVIVEs", got)
	}
}

func TestNoLeaderIsRetried(t *testing.T) {
	m := startMaster(t, sdktest.Options{})
	m.SetUnavailable(true)
	r := start(t, testConfig(t, m), nil)
	waitFor(t, m, "three attempts", func() bool { return m.Requests() >= 3 })
	m.SetUnavailable(false)
	r.next(t, schedpb.Event_SUBSCRIBED)
}

func TestSecondMasterInListIsTried(t *testing.T) {
	m := startMaster(t, sdktest.Options{})
	down := startMaster(t, sdktest.Options{})
	down.SetUnavailable(true)
	cfg := testConfig(t, m)
	cfg.Master = down.Addr() + "," + m.Addr()
	r := start(t, cfg, nil)
	r.next(t, schedpb.Event_SUBSCRIBED)
}

func TestHeartbeatLossReconnects(t *testing.T) {
	m := startMaster(t, sdktest.Options{HeartbeatInterval: 10 * time.Second})
	clock := sdktest.NewClock(time.Unix(0, 0))
	cfg := testConfig(t, m)
	cfg.Clock = clock
	r := start(t, cfg, nil)
	r.next(t, schedpb.Event_SUBSCRIBED)
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()

	// Heartbeats keep the subscription: four silent intervals, a
	// heartbeat, four more.
	for range 2 {
		if err := clock.WaitTimers(ctx, 1); err != nil {
			t.Fatal(err)
		}
		clock.Advance(40 * time.Second)
		if err := m.Heartbeat(); err != nil {
			t.Fatalf("stream gone before 5 missed heartbeats: %v", err)
		}
		r.next(t, schedpb.Event_HEARTBEAT)
	}
	if n := len(m.Subscribes()); n != 1 {
		t.Fatalf("%d subscriptions while heartbeats flowed", n)
	}

	// Five silent intervals: the client gives up on the stream, backs off
	// and resubscribes.
	if err := clock.WaitTimers(ctx, 1); err != nil {
		t.Fatal(err)
	}
	clock.Advance(50 * time.Second)
	if err := clock.WaitTimers(ctx, 1); err != nil { // the backoff timer
		t.Fatal(err)
	}
	clock.Advance(cfg.MaxBackoff)
	e := r.next(t, schedpb.Event_SUBSCRIBED)
	if e.GetSubscribed().GetFrameworkId().GetValue() != m.FrameworkID() {
		t.Fatal("resubscribed with another framework ID")
	}
	if n := len(m.Subscribes()); n != 2 {
		t.Fatalf("%d subscriptions, want 2", n)
	}
}
