package api

import (
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
	k := keyOfAgent(a)
	e := g.next[k]
	if e == nil {
		e = g.prev[k]
		if e == nil || !sameResources(e.total, a.Total) || !sameResources(e.used, a.Used) || !sameResources(e.offered, a.Offered) {
			e = &agentEntry{total: a.Total, used: a.Used, offered: a.Offered}
		}
		g.next[k] = e
	}
	if p := e.enc[slot].Load(); p != nil {
		return *p
	}
	b := encode(a)
	e.enc[slot].Store(&b)
	g.encoded++
	return b
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
