package api

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/master"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// agentKey is what an agent's object renders besides its resources
// (total, used and offered), which are compared by value.
type agentKey struct {
	id, pid, version     string
	info                 *mesos.AgentInfo
	connected            bool
	registered, reregist time.Time
}

func keyOfAgent(a *master.AgentView) agentKey {
	return agentKey{id: a.ID, pid: a.PID, version: a.Version, info: a.Info,
		connected: a.Connected, registered: a.RegisteredAt, reregist: a.ReregisteredAt}
}

func sameResources(a, b []*mesos.Resource) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] && !proto.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// agentObjects keeps agents' encodings from one read to the next, by what
// they render: each read builds the next generation from the previous
// one, so agents that are gone drop out, and a generation once published
// is never written again (its entries' slots are filled at most once).
type agentObjects struct {
	mu  sync.Mutex
	cur map[agentKey]*agentEntry
}

// Slots of agentEntry.
const (
	agentSlotState = iota // /master/state
	agentSlotProto        // GetAgents.Agent, protobuf
	agentSlotJSON         // GetAgents.Agent, Mesos JSON
	agentSlots
)

type agentEntry struct {
	total, used, offered []*mesos.Resource
	enc                  [agentSlots]atomic.Pointer[[]byte]
}

type agentObjectsGen struct {
	prev, next map[agentKey]*agentEntry
	encoded    int
}

func (c *agentObjects) begin(n int) *agentObjectsGen {
	c.mu.Lock()
	defer c.mu.Unlock()
	return &agentObjectsGen{prev: c.cur, next: make(map[agentKey]*agentEntry, n)}
}

// bytes returns the agent's encoding in slot, encoding and keeping it when
// the agent changed or it is missing.
func (g *agentObjectsGen) bytes(a *master.AgentView, slot int, encode func(*master.AgentView) []byte) []byte {
	e := g.entry(a)
	if p := e.enc[slot].Load(); p != nil {
		return *p
	}
	b := encode(a)
	e.enc[slot].Store(&b)
	g.encoded++
	return b
}

// entry is the agent's entry in this generation: the previous one's when
// the agent did not change.
func (g *agentObjectsGen) entry(a *master.AgentView) *agentEntry {
	k := keyOfAgent(a)
	e := g.next[k]
	if e == nil {
		e = g.prev[k]
		if e == nil || !sameResources(e.total, a.Total) || !sameResources(e.used, a.Used) || !sameResources(e.offered, a.Offered) {
			e = &agentEntry{total: a.Total, used: a.Used, offered: a.Offered}
		}
		g.next[k] = e
	}
	return e
}

// fill encodes the slot of the reachable agents that miss it, in parallel
// over GOMAXPROCS chunks when at least from do; bytes then finds them.
func (g *agentObjectsGen) fill(agents []master.AgentView, slot, from int, encode func([]byte, *master.AgentView) []byte) {
	type item struct {
		e *agentEntry
		a *master.AgentView
	}
	var missing []item
	for i := range agents {
		a := &agents[i]
		if a.Unreachable {
			continue
		}
		if e := g.entry(a); e.enc[slot].Load() == nil {
			missing = append(missing, item{e, a})
		}
	}
	if len(missing) < max(1, from) {
		return
	}
	workers := max(1, min(runtime.GOMAXPROCS(0), len(missing)/128))
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		chunk := missing[w*len(missing)/workers : (w+1)*len(missing)/workers]
		wg.Add(1)
		go func() {
			defer wg.Done()
			scratch := make([]byte, 0, 4096)
			for i, it := range chunk {
				yield(i)
				scratch = encode(scratch[:0], it.a)
				enc := clone(scratch)
				it.e.enc[slot].Store(&enc)
			}
		}()
	}
	wg.Wait()
	g.encoded += len(missing)
}

func (c *agentObjects) end(g *agentObjectsGen) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cur = g.next
}

func (c *agentObjects) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cur = nil
}
