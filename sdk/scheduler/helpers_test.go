package scheduler_test

import (
	"context"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"
	"google.golang.org/protobuf/proto"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	schedpb "github.com/agoraproject/agora/proto/mesos/v1/scheduler"
	"github.com/agoraproject/agora/sdk/scheduler"
	"github.com/agoraproject/agora/sdk/sdktest"
)

// patience bounds every wait; tests never sleep, they wait for a condition.
const patience = 10 * time.Second

func startMaster(t *testing.T, opts sdktest.Options) *sdktest.Master {
	t.Helper()
	m, err := sdktest.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return m
}

func frameworkInfo() *mesos.FrameworkInfo {
	return &mesos.FrameworkInfo{
		User:            proto.String("tester"),
		Name:            proto.String("sdk-test"),
		FailoverTimeout: proto.Float64(60),
	}
}

// testConfig is a Config against m with quick, real-clock backoff.
func testConfig(t *testing.T, m *sdktest.Master) scheduler.Config {
	return scheduler.Config{
		Master:     m.Addr(),
		Framework:  frameworkInfo(),
		Logger:     zaptest.NewLogger(t),
		MinBackoff: time.Millisecond,
		MaxBackoff: 5 * time.Millisecond,
	}
}

// running is a Client whose Run is in progress on its own goroutine.
type running struct {
	*scheduler.Client
	done   chan error
	events chan *schedpb.Event
}

// start runs a client whose handler forwards every event to r.events and
// then calls h (if any).
func start(t *testing.T, cfg scheduler.Config, h scheduler.Handler) *running {
	t.Helper()
	r := &running{done: make(chan error, 1), events: make(chan *schedpb.Event, 1024)}
	c, err := scheduler.New(cfg, scheduler.HandlerFunc(func(ctx context.Context, c *scheduler.Client, e *schedpb.Event) error {
		r.events <- e
		if h != nil {
			return h.HandleEvent(ctx, c, e)
		}
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	r.Client = c
	go func() { r.done <- c.Run(context.Background()) }()
	t.Cleanup(func() {
		c.Stop()
		select {
		case <-r.done:
		case <-time.After(patience):
			t.Error("Run did not return after Stop")
		}
	})
	return r
}

// result waits for Run to return.
func (r *running) result(t *testing.T) error {
	t.Helper()
	select {
	case err := <-r.done:
		r.done <- err // for the cleanup
		return err
	case <-time.After(patience):
		t.Fatal("Run did not return")
		return nil
	}
}

// next returns the next event of type typ, skipping others.
func (r *running) next(t *testing.T, typ schedpb.Event_Type) *schedpb.Event {
	t.Helper()
	deadline := time.After(patience)
	for {
		select {
		case e := <-r.events:
			if e.GetType() == typ {
				return e
			}
		case <-deadline:
			t.Fatalf("no %s event", typ)
			return nil
		}
	}
}

func waitFor(t *testing.T, m *sdktest.Master, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	if err := m.Wait(ctx, cond); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}
