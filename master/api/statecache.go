package api

import (
	"sync"
	"time"
)

// Encoded state objects kept between reads. A task's JSON and protobuf
// change only when the task does, so a read of 100,000 tasks encodes the
// few that changed since the previous read and copies the bytes of the
// others (master.TaskKey says when a task changed).
//
// Each read builds the next generation from the previous one: what it
// looks up is carried over, objects that are gone drop out, and a
// generation once published is never written again, so concurrent reads
// share it without locks. A cache that nobody reads for its ttl is
// dropped, so the memory is held only while someone polls the state.

// DefaultStateCacheTTL is how long encoded state objects are kept after
// the last read that used them.
const DefaultStateCacheTTL = 2 * time.Minute

type fragmentCache[K comparable, V any] struct {
	ttl   time.Duration
	mu    sync.Mutex
	cur   map[K]V
	last  time.Time
	timer *time.Timer
}

func newFragmentCache[K comparable, V any](ttl time.Duration) *fragmentCache[K, V] {
	return &fragmentCache[K, V]{ttl: ttl}
}

// generation is one read's view of a cache.
type generation[K comparable, V any] struct {
	prev, next map[K]V
	misses     int
}

// begin starts a read expecting about n objects.
func (c *fragmentCache[K, V]) begin(n int) *generation[K, V] {
	c.mu.Lock()
	prev := c.cur
	c.mu.Unlock()
	return &generation[K, V]{prev: prev, next: make(map[K]V, n)}
}

// get returns the value kept under k, or computes, keeps and returns it.
// ok, when given, says whether a kept value is still good.
func (g *generation[K, V]) get(k K, ok func(V) bool, compute func() V) V {
	if v, found := g.next[k]; found {
		return v
	}
	v, found := g.prev[k]
	if !found || (ok != nil && !ok(v)) {
		v = compute()
		g.misses++
	}
	g.next[k] = v
	return v
}

// end publishes a read's generation for the next read.
func (c *fragmentCache[K, V]) end(g *generation[K, V]) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cur, c.last = g.next, time.Now()
	if c.ttl <= 0 {
		c.cur = nil
		return
	}
	if c.timer == nil {
		c.timer = time.AfterFunc(c.ttl, c.expire)
	}
}

// expire drops the cache once nobody has read it for ttl.
func (c *fragmentCache[K, V]) expire() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if idle := time.Since(c.last); idle < c.ttl {
		c.timer = time.AfterFunc(c.ttl-idle, c.expire)
		return
	}
	c.cur, c.timer = nil, nil
}

// size is how many objects the cache holds.
func (c *fragmentCache[K, V]) size() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.cur)
}
