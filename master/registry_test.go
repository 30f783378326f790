package master

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agoraproject/agora/internal/store"
	"github.com/agoraproject/agora/proto/agora/agentpb"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// countingStore counts Puts and can be made to fail or block them.
type countingStore struct {
	*store.Memory
	mu    sync.Mutex
	puts  int
	fail  error
	block chan struct{}
}

func (s *countingStore) Put(ctx context.Context, key string, value []byte) error {
	s.mu.Lock()
	s.puts++
	fail, block := s.fail, s.block
	s.mu.Unlock()
	if block != nil {
		<-block
	}
	if fail != nil {
		return fail
	}
	return s.Memory.Put(ctx, key, value)
}

func (s *countingStore) putCount() int { s.mu.Lock(); defer s.mu.Unlock(); return s.puts }

func runRegistry(t *testing.T, st store.Store) *Registry {
	t.Helper()
	r, err := LoadRegistry(t.Context(), st, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return r
}

func agentInfo(id, host string) *mesos.AgentInfo {
	return &mesos.AgentInfo{Id: &mesos.AgentID{Value: strPtr(id)}, Hostname: strPtr(host), Port: int32Ptr(5051)}
}

func TestRegistryRoundTrip(t *testing.T) {
	st := store.NewMemory()
	r := runRegistry(t, st)
	ctx := t.Context()
	for i := range 50 {
		if err := r.Admit(ctx, agentInfo(fmt.Sprintf("a%d", i), "h")); err != nil {
			t.Fatal(err)
		}
	}
	at := time.Unix(1_700_000_123, 500_000_000)
	r.MarkUnreachable("a1", at)
	r.MarkGone("a2", at)
	r.SetWeights(map[string]float64{"web": 2.5})
	if err := r.Sync(ctx); err != nil {
		t.Fatal(err)
	}

	again, err := LoadRegistry(ctx, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	d := again.Data()
	if len(d.Agents) != 49 || d.Agents["a0"].Info.GetHostname() != "h" || d.Agents["a2"] != nil {
		t.Fatalf("agents after reload: %d, a0=%v a2=%v", len(d.Agents), d.Agents["a0"], d.Agents["a2"])
	}
	if got := d.Agents["a1"].UnreachableAt; !got.Equal(at) {
		t.Errorf("a1 unreachable at %v, want %v", got, at)
	}
	if !d.Gone["a2"].Equal(at) {
		t.Errorf("gone = %v, want a2 at %v", d.Gone, at)
	}
	if d.Weights["web"] != 2.5 || len(d.Weights) != 1 {
		t.Errorf("weights = %v", d.Weights)
	}
}

func TestRegistryGroupCommit(t *testing.T) {
	st := &countingStore{Memory: store.NewMemory(), block: make(chan struct{})}
	r := runRegistry(t, st)
	// The first admission's batch is held in Put, so the next 999 queue
	// up behind it and go out together.
	const n = 1000
	errs := make(chan error, n)
	go func() { errs <- r.Admit(t.Context(), agentInfo("first", "h")) }()
	for st.putCount() == 0 {
		time.Sleep(time.Millisecond)
	}
	for i := 1; i < n; i++ {
		go func() { errs <- r.Admit(t.Context(), agentInfo(fmt.Sprintf("a%d", i), "h")) }()
	}
	for {
		r.mu.Lock()
		queued := len(r.waiters)
		r.mu.Unlock()
		if queued == n-1 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	close(st.block)
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	batches, writes := r.Stats()
	if batches != 2 || writes > 1+registryBuckets {
		t.Fatalf("%d admissions took %d batches and %d writes; want 2 batches of at most %d writes", n, batches, writes, 1+registryBuckets)
	}
	// An agent admitted again with the same info costs nothing.
	before := st.putCount()
	if err := r.Admit(t.Context(), agentInfo("a7", "h")); err != nil {
		t.Fatal(err)
	}
	if st.putCount() != before {
		t.Fatal("readmitting an unchanged agent wrote to the store")
	}
}

func TestRegistryWriteFailureIsReported(t *testing.T) {
	st := &countingStore{Memory: store.NewMemory(), fail: errors.New("disk full")}
	r := runRegistry(t, st)
	err := r.Admit(t.Context(), agentInfo("a1", "h"))
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("Admit = %v, want the store's error", err)
	}
	st.mu.Lock()
	st.fail = nil
	st.mu.Unlock()
	// The retry (or this admission) makes it durable.
	if err := r.Admit(t.Context(), agentInfo("a1", "h")); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Memory.Get(t.Context(), bucketKey("a1")); err != nil {
		t.Fatalf("a1's bucket: %v", err)
	}
}

func TestLoadRegistryRejectsCorruptRecords(t *testing.T) {
	for key, value := range map[string]string{
		"agents/03": `{"agents":[{"info":{"hostname":"h"}}]}`,
		"agents/04": `not json`,
		"gone":      `["a"]`,
		"weights":   `{"web":-1}`,
	} {
		st := store.NewMemory()
		if err := st.Put(t.Context(), key, []byte(value)); err != nil {
			t.Fatal(err)
		}
		_, err := LoadRegistry(t.Context(), st, nil)
		if err == nil || !strings.Contains(err.Error(), strings.TrimSuffix(strings.TrimSuffix(key, "03"), "04")) {
			t.Errorf("%s=%s: error %v, want one naming the key", key, value, err)
		}
	}
}

// newRecoveredHarness is newHarness with a master that recovered reg
// before its loop started, as a new leader does.
func newRecoveredHarness(t *testing.T, reg *Registry, tweak func(*Config)) *harness {
	t.Helper()
	clock := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	cfg := DefaultConfig()
	cfg.Clock = clock
	cfg.TickInterval = 5 * time.Millisecond
	cfg.AgentPingTimeout = time.Hour
	if tweak != nil {
		tweak(&cfg)
	}
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m.Recover(reg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = m.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return &harness{t: t, m: m, clock: clock, ctx: ctx}
}

func TestNewAgentIsDurableBeforeSubscribed(t *testing.T) {
	st := &countingStore{Memory: store.NewMemory()}
	reg := runRegistry(t, st)
	h := newRecoveredHarness(t, reg, nil)
	s := h.addAgent("cpus:1;mem:128")
	d := reg.Data()
	if a := d.Agents[s.AgentID]; a == nil || a.Info.GetHostname() != "host1" {
		t.Fatalf("registry after SUBSCRIBED: %v", d.Agents)
	}
	if _, err := st.Memory.Get(t.Context(), bucketKey(s.AgentID)); err != nil {
		t.Fatalf("the admission is not in the store: %v", err)
	}
	// The registry refusing the write refuses the agent (503), with no ID.
	st.mu.Lock()
	st.fail = errors.New("zookeeper unavailable")
	st.mu.Unlock()
	rs := agentInfo("", "host2")
	rs.Id = nil
	_, err := h.m.SubscribeAgent(h.ctx, &agentpb.Call{Type: agentpb.Call_SUBSCRIBE.Enum(), Subscribe: &agentpb.Call_Subscribe{AgentInfo: rs}}, "127.0.0.1")
	if kindOf(err) != KindUnavailable || !strings.Contains(err.Error(), "zookeeper unavailable") {
		t.Fatalf("SubscribeAgent with a failing registry: %v, want unavailable", err)
	}
}

func TestFailoverKeepsGoneAgentsAndMarksLateAgentsUnreachable(t *testing.T) {
	st := store.NewMemory()
	first := runRegistry(t, st)
	ctx := t.Context()
	for _, id := range []string{"back", "late", "gone"} {
		if err := first.Admit(ctx, agentInfo(id, "h-"+id)); err != nil {
			t.Fatal(err)
		}
	}
	first.MarkGone("gone", time.Unix(1_700_000_000, 0))
	first.SetWeights(map[string]float64{"analytics": 3})
	if err := first.Sync(ctx); err != nil {
		t.Fatal(err)
	}

	reg := runRegistry(t, st) // the new leader's
	h := newRecoveredHarness(t, reg, func(c *Config) { c.AgentReregisterTimeout = time.Minute })
	if w, err := h.m.Weights(ctx); err != nil || w["analytics"] != 3 {
		t.Fatalf("weights after failover: %v, %v", w, err)
	}
	s := h.reregisterAgent("back", "cpus:1;mem:128")
	if s.AgentID != "back" {
		t.Fatalf("reregistered as %s", s.AgentID)
	}
	// A gone agent is refused: SUBSCRIBED then SHUTDOWN.
	g, err := h.m.SubscribeAgent(h.ctx, &agentpb.Call{Type: agentpb.Call_SUBSCRIBE.Enum(),
		Subscribe: &agentpb.Call_Subscribe{AgentInfo: agentInfo("gone", "h-gone")}}, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	h.nextAgent(g.Events, agentpb.Event_SUBSCRIBED)
	h.nextAgent(g.Events, agentpb.Event_SHUTDOWN)

	h.advance(59 * time.Second)
	if !reg.Data().Agents["late"].UnreachableAt.IsZero() {
		t.Fatal("late marked unreachable before agent_reregister_timeout")
	}
	h.advance(time.Second)
	if err := reg.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	again, err := LoadRegistry(ctx, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	d := again.Data()
	if d.Agents["late"].UnreachableAt.IsZero() {
		t.Error("late did not become unreachable after agent_reregister_timeout")
	}
	if !d.Agents["back"].UnreachableAt.IsZero() {
		t.Error("back, which reregistered, was marked unreachable")
	}
	if _, ok := d.Gone["gone"]; !ok || d.Agents["gone"] != nil {
		t.Errorf("gone agent: gone=%v agents=%v", d.Gone, d.Agents["gone"])
	}
}

func TestOperatorChangesReachTheRegistry(t *testing.T) {
	st := store.NewMemory()
	reg := runRegistry(t, st)
	h := newRecoveredHarness(t, reg, nil)
	s := h.addAgent("cpus:1;mem:128")
	if err := h.m.UpdateWeights(h.ctx, map[string]float64{"web": 4}); err != nil {
		t.Fatal(err)
	}
	if err := h.m.MarkAgentGone(h.ctx, s.AgentID); err != nil {
		t.Fatal(err)
	}
	if err := h.m.SyncRegistry(h.ctx); err != nil {
		t.Fatal(err)
	}
	d, err := LoadRegistry(t.Context(), st, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := d.Data().Gone[s.AgentID]; !ok || d.Data().Weights["web"] != 4 {
		t.Fatalf("registry: gone=%v weights=%v", d.Data().Gone, d.Data().Weights)
	}
}

func FuzzDecodeAgentBucket(f *testing.F) {
	b, _ := encodeAgentBucket([]*RegisteredAgent{{Info: agentInfo("a1", "h")}, {Info: agentInfo("a2", "h"), UnreachableAt: time.Unix(1_700_000_000, 0)}})
	f.Add(b)
	f.Add([]byte(`{"agents":[{"info":{"id":{"value":"x"},"hostname":"h"},"unreachable_time":-5}]}`))
	f.Add([]byte(`{"agents":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		agents, err := decodeAgentBucket(data)
		if err != nil {
			return
		}
		var in []*RegisteredAgent
		for id, a := range agents {
			if id == "" || a.Info.GetHostname() == "" {
				t.Fatalf("decoded an agent without id or hostname: %v", a.Info)
			}
			in = append(in, a)
		}
		if _, err := encodeAgentBucket(in); err != nil {
			t.Fatalf("re-encoding: %v", err)
		}
	})
}
