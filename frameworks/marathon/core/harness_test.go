package core

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/frameworks/marathon/app"
	"github.com/agoraproject/agora/frameworks/marathon/state"
	"github.com/agoraproject/agora/internal/store"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	schedpb "github.com/agoraproject/agora/proto/mesos/v1/scheduler"
	"github.com/agoraproject/agora/sdk/scheduler"
	"github.com/agoraproject/agora/sdk/sdktest"
)

// harness runs a Core against the fake master on a fake clock.
type harness struct {
	t      testing.TB
	m      *sdktest.Master
	clock  *sdktest.Clock
	store  *store.Memory
	core   *Core
	cancel context.CancelFunc
	done   chan error

	mu  sync.Mutex
	evs <-chan state.Event
	log []state.Event
}

var epoch = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

// running leaves launched tasks running, as services do.
func running(*mesos.TaskInfo) (mesos.TaskState, string) { return mesos.TaskState_TASK_RUNNING, "" }

func newMaster(t testing.TB, opts sdktest.Options) *sdktest.Master {
	t.Helper()
	opts.AutoOffer = true
	if opts.TaskResult == nil {
		opts.TaskResult = running
	}
	m, err := sdktest.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return m
}

func startCore(t testing.TB, m *sdktest.Master, st *store.Memory, clock *sdktest.Clock) *harness {
	t.Helper()
	h := &harness{t: t, m: m, clock: clock, store: st, done: make(chan error, 1)}
	c, err := New(Config{
		Master: m.URL(),
		Store:  st,
		Clock:  clock,
		Rand:   rand.New(rand.NewPCG(1, uint64(time.Now().UnixNano()))),
		SchedulerConfig: func(sc *scheduler.Config) {
			sc.MinBackoff, sc.MaxBackoff = time.Millisecond, 10*time.Millisecond
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	h.core = c
	h.evs, _ = c.Subscribe(100000)
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { h.done <- c.Run(ctx) }()
	t.Cleanup(h.stop)
	h.waitFor("subscribed", func() bool { return m.Subscribed() && c.IsLeader() })
	return h
}

func newHarness(t testing.TB, opts sdktest.Options) *harness {
	return startCore(t, newMaster(t, opts), store.NewMemory(), sdktest.NewClock(epoch))
}

func (h *harness) stop() {
	if h.cancel == nil {
		return
	}
	h.cancel()
	h.cancel = nil
	select {
	case err := <-h.done:
		if err != nil {
			h.t.Errorf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		h.t.Error("Run did not return")
	}
}

// waitFor waits until cond holds, re-checking on every change of the core
// or the fake master (never on a timer).
func (h *harness) waitFor(what string, cond func() bool) {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	for {
		coreCh := h.core.Changed()
		masterCh := make(chan struct{})
		mctx, mcancel := context.WithCancel(ctx)
		go func() {
			first := true
			_ = h.m.Wait(mctx, func() bool {
				if first {
					first = false
					return false
				}
				return true
			})
			close(masterCh)
		}()
		if cond() {
			mcancel()
			return
		}
		select {
		case <-coreCh:
		case <-masterCh:
		case <-ctx.Done():
			mcancel()
			h.t.Fatalf("timed out waiting for %s", what)
		}
		mcancel()
	}
}

func (h *harness) deploy(ch state.Change, force bool) (state.Deployment, error) {
	return h.core.Deploy(context.Background(), ch, force)
}

func (h *harness) mustDeploy(apps ...*app.App) state.Deployment {
	h.t.Helper()
	d, err := h.deploy(state.Change{Upsert: apps}, false)
	if err != nil {
		h.t.Fatalf("deploy: %v", err)
	}
	return d
}

// idle waits until no deployment runs.
func (h *harness) idle() {
	h.t.Helper()
	h.waitFor("deployments to finish", func() bool { return len(h.core.Deployments()) == 0 })
}

func (h *harness) app(id string) state.AppStatus {
	h.t.Helper()
	a, err := h.core.App(id)
	if err != nil {
		h.t.Fatal(err)
	}
	return a
}

// masterRunning is the IDs of tasks the fake master runs.
func (h *harness) masterRunning() []string {
	var out []string
	for id, s := range h.m.Tasks() {
		if s == mesos.TaskState_TASK_RUNNING {
			out = append(out, id)
		}
	}
	return out
}

func (h *harness) launched() []*mesos.TaskInfo {
	var out []*mesos.TaskInfo
	for _, c := range h.m.Calls(schedpb.Call_ACCEPT) {
		for _, op := range c.GetAccept().GetOperations() {
			out = append(out, op.GetLaunch().GetTaskInfos()...)
		}
	}
	return out
}

func (h *harness) kills() []string {
	var out []string
	for _, c := range h.m.Calls(schedpb.Call_KILL) {
		out = append(out, c.GetKill().GetTaskId().GetValue())
	}
	return out
}

// sendStatus delivers a status as the agent would, without a uuid.
func (h *harness) sendStatus(taskID string, s mesos.TaskState, healthy *bool) {
	h.t.Helper()
	st := &mesos.TaskStatus{TaskId: &mesos.TaskID{Value: proto.String(taskID)}, State: s.Enum(), Healthy: healthy,
		Timestamp: proto.Float64(float64(time.Now().UnixNano()) / 1e9)}
	if err := h.m.Send(&schedpb.Event{Type: schedpb.Event_UPDATE.Enum(), Update: &schedpb.Event_Update{Status: st}}); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) events(kind string) []map[string]any {
	h.mu.Lock()
	defer h.mu.Unlock()
drain:
	for {
		select {
		case e := <-h.evs:
			h.log = append(h.log, e)
		default:
			break drain
		}
	}
	var out []map[string]any
	for _, e := range h.log {
		if e.Type == kind {
			var m map[string]any
			_ = json.Unmarshal(e.Body, &m)
			out = append(out, m)
		}
	}
	return out
}

func newApp(id string, instances int) *app.App {
	a := app.New(id)
	a.Cmd = proto.String("sleep 1000")
	a.Instances = instances
	a.CPUs, a.Mem = 0.1, 16
	return a
}

func envOf(ti *mesos.TaskInfo) map[string]string {
	out := map[string]string{}
	for _, v := range ti.GetCommand().GetEnvironment().GetVariables() {
		out[v.GetName()] = v.GetValue()
	}
	return out
}

func hasPrefixAll(ids []string, p string) bool {
	for _, id := range ids {
		if !strings.HasPrefix(id, p) {
			return false
		}
	}
	return true
}

func ptr[T any](v T) *T { return &v }

// ticked waits until the core has run the tick an Advance fired.
func (h *harness) ticked() {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := h.clock.WaitTimers(ctx, 1); err != nil {
		h.t.Fatal("tick not processed")
	}
}
