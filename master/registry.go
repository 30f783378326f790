package master

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/internal/store"
	"github.com/agoraproject/agora/proto/codec"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// Registry is the master's durable record of the cluster's membership:
// admitted agents (ID and AgentInfo), when agents became unreachable,
// agents marked gone, and role weights. Tasks and frameworks are not in it:
// a new leader rebuilds them from what agents report when they reregister
// and from frameworks resubscribing.
//
// Writes are group-committed: changes are applied to an in-memory copy at
// once and a single writer goroutine (Run) persists every key a batch
// touched, then wakes everyone waiting on that batch. Agents are kept in
// registryBuckets keys, so a thousand admissions arriving together cost a
// few dozen writes rather than a thousand.
type Registry struct {
	st  store.Store
	log *zap.Logger

	mu    sync.Mutex
	data  RegistryData
	dirty map[string]bool // keys changed and not yet written
	// inflight are the keys of the batch being written.
	inflight map[string]bool
	waiters  []chan error
	kick     chan struct{}

	batches atomic.Uint64
	writes  atomic.Uint64
}

// RegistryData is the registry's content.
type RegistryData struct {
	Agents  map[string]*RegisteredAgent
	Gone    map[string]time.Time
	Weights map[string]float64
}

// RegisteredAgent is one admitted agent.
type RegisteredAgent struct {
	Info *mesos.AgentInfo
	// UnreachableAt is zero while the agent is reachable.
	UnreachableAt time.Time
}

// registryBuckets spreads agents over this many keys: small enough that
// loading the registry is a handful of reads, large enough that a batch
// rewriting a bucket stays small with 10,000 agents.
const registryBuckets = 32

// loadParallel is how many keys LoadRegistry reads at once.
const loadParallel = 16

const (
	keyAgentsPrefix = "agents/"
	keyGone         = "gone"
	keyWeights      = "weights"
)

func bucketOf(agentID string) int {
	h := fnv.New32a()
	h.Write([]byte(agentID))
	return int(h.Sum32() % registryBuckets)
}

func bucketKey(agentID string) string { return bucketName(bucketOf(agentID)) }

func bucketName(b int) string { return fmt.Sprintf("%s%02d", keyAgentsPrefix, b) }

// LoadRegistry reads the registry from st (empty when nothing was written
// yet). Run must be running for changes to become durable.
func LoadRegistry(ctx context.Context, st store.Store, log *zap.Logger) (*Registry, error) {
	if log == nil {
		log = zap.NewNop()
	}
	r := &Registry{
		st: st, log: log.Named("registry"),
		data:  RegistryData{Agents: map[string]*RegisteredAgent{}, Gone: map[string]time.Time{}, Weights: map[string]float64{}},
		dirty: map[string]bool{}, kick: make(chan struct{}, 1),
	}
	keys, err := st.List(ctx, keyAgentsPrefix)
	if err != nil {
		return nil, fmt.Errorf("registry: list agents: %w", err)
	}
	// A new leader accepts no call before this returns: the buckets are
	// read and decoded concurrently rather than one round trip after the
	// other.
	buckets := make([]map[string]*RegisteredAgent, len(keys))
	errs := make([]error, len(keys))
	var wg sync.WaitGroup
	sem := make(chan struct{}, loadParallel)
	for i, k := range keys {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			b, err := st.Get(ctx, k)
			switch {
			case errors.Is(err, store.ErrNotFound):
				return
			case err != nil:
				errs[i] = fmt.Errorf("registry: read %s: %w", k, err)
				return
			}
			if buckets[i], err = decodeAgentBucket(b); err != nil {
				errs[i] = fmt.Errorf("registry: %s: %w", k, err)
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for _, agents := range buckets {
		for id, a := range agents {
			r.data.Agents[id] = a
		}
	}
	if err := getJSON(ctx, st, keyGone, &r.data.Gone); err != nil {
		return nil, err
	}
	if err := getJSON(ctx, st, keyWeights, &r.data.Weights); err != nil {
		return nil, err
	}
	if err := ValidateWeights(r.data.Weights); err != nil {
		return nil, fmt.Errorf("registry: weights: %w", err)
	}
	return r, nil
}

func getJSON(ctx context.Context, st store.Store, key string, v any) error {
	b, err := st.Get(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("registry: read %s: %w", key, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("registry: %s: %w", key, err)
	}
	return nil
}

// Data returns a copy of the registry's current content.
func (r *Registry) Data() RegistryData {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := RegistryData{Agents: make(map[string]*RegisteredAgent, len(r.data.Agents)), Gone: map[string]time.Time{}, Weights: map[string]float64{}}
	for id, a := range r.data.Agents {
		c := *a
		out.Agents[id] = &c
	}
	for id, t := range r.data.Gone {
		out.Gone[id] = t
	}
	for role, w := range r.data.Weights {
		out.Weights[role] = w
	}
	return out
}

// Admit records an agent as admitted and reachable and returns once that is
// durable. An agent already recorded with the same info costs nothing.
func (r *Registry) Admit(ctx context.Context, info *mesos.AgentInfo) error {
	id := info.GetId().GetValue()
	if id == "" {
		return errors.New("registry: admit: agent_info.id is empty")
	}
	key := bucketKey(id)
	r.mu.Lock()
	if cur := r.data.Agents[id]; cur != nil && cur.UnreachableAt.IsZero() && !r.dirty[key] && !r.inflight[key] && proto.Equal(cur.Info, info) {
		r.mu.Unlock()
		return nil
	}
	if _, gone := r.data.Gone[id]; gone {
		// Gone for good; the master refuses it, nothing to record.
		r.mu.Unlock()
		return nil
	}
	r.data.Agents[id] = &RegisteredAgent{Info: proto.Clone(info).(*mesos.AgentInfo)}
	r.dirty[key] = true
	done := make(chan error, 1)
	r.waiters = append(r.waiters, done)
	r.mu.Unlock()
	r.signal()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Sync returns once every change made before it is durable.
func (r *Registry) Sync(ctx context.Context) error {
	done := make(chan error, 1)
	r.mu.Lock()
	if len(r.dirty) == 0 && len(r.inflight) == 0 {
		r.mu.Unlock()
		return nil
	}
	r.waiters = append(r.waiters, done)
	r.mu.Unlock()
	r.signal()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// MarkUnreachable records when an agent became unreachable. It does not
// wait: the event loop calls it.
func (r *Registry) MarkUnreachable(id string, at time.Time) {
	r.update(func() {
		if a := r.data.Agents[id]; a != nil && a.UnreachableAt.IsZero() {
			a.UnreachableAt = at
			r.dirty[bucketKey(id)] = true
		}
	})
}

// MarkGone records an agent as gone for good; it is no longer admitted.
func (r *Registry) MarkGone(id string, at time.Time) {
	r.update(func() {
		if _, ok := r.data.Gone[id]; ok {
			return
		}
		r.data.Gone[id] = at
		r.dirty[keyGone] = true
		if _, ok := r.data.Agents[id]; ok {
			delete(r.data.Agents, id)
			r.dirty[bucketKey(id)] = true
		}
	})
}

// SetWeights records the roles' weights that differ from 1.
func (r *Registry) SetWeights(w map[string]float64) {
	r.update(func() {
		if mapsEqual(r.data.Weights, w) {
			return
		}
		r.data.Weights = make(map[string]float64, len(w))
		for role, v := range w {
			r.data.Weights[role] = v
		}
		r.dirty[keyWeights] = true
	})
}

func (r *Registry) update(fn func()) {
	r.mu.Lock()
	fn()
	n := len(r.dirty)
	r.mu.Unlock()
	if n > 0 {
		r.signal()
	}
}

func (r *Registry) signal() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// Run persists changes until ctx ends. A failed batch fails its waiters and
// is retried (with what has changed since) after a short pause.
func (r *Registry) Run(ctx context.Context) {
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	defer retry.Stop()
	for {
		select {
		case <-ctx.Done():
			r.failWaiters(ctx.Err())
			return
		case <-r.kick:
		case <-retry.C:
		}
		if err := r.flush(ctx); err != nil {
			if ctx.Err() != nil {
				continue
			}
			r.log.Error("registry write failed; retrying", zap.Error(err))
			retry.Reset(250 * time.Millisecond)
		}
	}
}

func (r *Registry) failWaiters(err error) {
	r.mu.Lock()
	ws := r.waiters
	r.waiters = nil
	r.mu.Unlock()
	for _, w := range ws {
		w <- err
	}
}

// flush writes one batch: every dirty key, concurrently.
func (r *Registry) flush(ctx context.Context) error {
	r.mu.Lock()
	if len(r.dirty) == 0 {
		ws := r.waiters
		r.waiters = nil
		r.mu.Unlock()
		for _, w := range ws {
			w <- nil
		}
		return nil
	}
	values := make(map[string][]byte, len(r.dirty))
	var encErr error
	buckets := r.dirtyBucketsLocked()
	for key := range r.dirty {
		b, err := r.encodeLocked(key, buckets)
		if err != nil {
			encErr = errors.Join(encErr, err)
			continue
		}
		values[key] = b
	}
	r.inflight = r.dirty
	r.dirty = map[string]bool{}
	ws := r.waiters
	r.waiters = nil
	r.mu.Unlock()

	errs := make(chan error, len(values))
	sem := make(chan struct{}, 16)
	for key, b := range values {
		sem <- struct{}{}
		go func() {
			defer func() { <-sem }()
			err := r.st.Put(ctx, key, b)
			if err != nil {
				r.mu.Lock()
				r.dirty[key] = true
				r.mu.Unlock()
				err = fmt.Errorf("registry: write %s: %w", key, err)
			}
			errs <- err
		}()
	}
	var err error
	for range values {
		err = errors.Join(err, <-errs)
	}
	r.mu.Lock()
	r.inflight = nil
	r.mu.Unlock()
	err = errors.Join(err, encErr)
	r.batches.Add(1)
	r.writes.Add(uint64(len(values)))
	for _, w := range ws {
		w <- err
	}
	return err
}

// dirtyBucketsLocked groups the agents of the dirty buckets in one pass.
func (r *Registry) dirtyBucketsLocked() map[string][]*RegisteredAgent {
	out := map[string][]*RegisteredAgent{}
	for key := range r.dirty {
		if strings.HasPrefix(key, keyAgentsPrefix) {
			out[key] = nil
		}
	}
	if len(out) == 0 {
		return out
	}
	for id, a := range r.data.Agents {
		key := bucketKey(id)
		if in, ok := out[key]; ok {
			out[key] = append(in, a)
		}
	}
	return out
}

func (r *Registry) encodeLocked(key string, buckets map[string][]*RegisteredAgent) ([]byte, error) {
	switch {
	case key == keyGone:
		return json.Marshal(r.data.Gone)
	case key == keyWeights:
		return json.Marshal(r.data.Weights)
	case strings.HasPrefix(key, keyAgentsPrefix):
		return encodeAgentBucket(buckets[key])
	}
	return nil, fmt.Errorf("registry: unknown key %q", key)
}

// Stats reports how many batches and key writes the registry has made.
func (r *Registry) Stats() (batches, writes uint64) { return r.batches.Load(), r.writes.Load() }

// agentBucket is one bucket's stored form. Info is Mesos's JSON of
// AgentInfo, so the stored registry is readable with Mesos tools in mind.
type agentBucket struct {
	Agents []storedAgent `json:"agents"`
}

type storedAgent struct {
	Info json.RawMessage `json:"info"`
	// UnreachableTime is seconds since the epoch, as Mesos's TimeInfo.
	UnreachableTime float64 `json:"unreachable_time,omitempty"`
}

func encodeAgentBucket(agents []*RegisteredAgent) ([]byte, error) {
	sort.Slice(agents, func(i, j int) bool { return agents[i].Info.GetId().GetValue() < agents[j].Info.GetId().GetValue() })
	out := agentBucket{Agents: make([]storedAgent, 0, len(agents))}
	for _, a := range agents {
		b, err := codec.JSON.Marshal(a.Info)
		if err != nil {
			return nil, fmt.Errorf("registry: encode agent %s: %w", a.Info.GetId().GetValue(), err)
		}
		s := storedAgent{Info: b}
		if !a.UnreachableAt.IsZero() {
			s.UnreachableTime = float64(a.UnreachableAt.UnixNano()) / 1e9
		}
		out.Agents = append(out.Agents, s)
	}
	return json.Marshal(out)
}

func decodeAgentBucket(b []byte) (map[string]*RegisteredAgent, error) {
	var in agentBucket
	if err := json.Unmarshal(b, &in); err != nil {
		return nil, err
	}
	out := make(map[string]*RegisteredAgent, len(in.Agents))
	for i, s := range in.Agents {
		info := &mesos.AgentInfo{}
		if err := codec.JSON.Unmarshal(s.Info, info); err != nil {
			return nil, fmt.Errorf("agents[%d].info: %w", i, err)
		}
		id := info.GetId().GetValue()
		if id == "" || info.GetHostname() == "" {
			return nil, fmt.Errorf("agents[%d].info: id and hostname are required", i)
		}
		a := &RegisteredAgent{Info: info}
		if s.UnreachableTime < 0 || s.UnreachableTime > 1e11 {
			return nil, fmt.Errorf("agents[%d].unreachable_time: %v out of range", i, s.UnreachableTime)
		}
		if s.UnreachableTime > 0 {
			a.UnreachableAt = time.Unix(0, int64(s.UnreachableTime*1e9))
		}
		out[id] = a
	}
	return out, nil
}

func mapsEqual(a, b map[string]float64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
