// Package offers is the master's offer book: the outstanding offers, indexed
// by ID, framework and agent, with Mesos-style IDs. It is plain data owned by
// the master's event loop; it does not talk to frameworks or the allocator.
package offers

import (
	"sort"
	"strconv"
	"time"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// Offer is one outstanding offer: resources on one agent, for one framework,
// allocated to one of its roles.
type Offer struct {
	ID          string
	FrameworkID string
	AgentID     string
	Role        string
	Resources   []*mesos.Resource
	Created     time.Time
}

// Book tracks outstanding offers.
type Book struct {
	prefix      string
	next        uint64
	byID        map[string]*Offer
	byFramework map[string]map[string]*Offer
	byAgent     map[string]map[string]*Offer
}

// NewBook returns an empty book whose offer IDs are "<prefix>-O<n>".
func NewBook(prefix string) *Book {
	return &Book{
		prefix:      prefix + "-O",
		byID:        make(map[string]*Offer),
		byFramework: make(map[string]map[string]*Offer),
		byAgent:     make(map[string]map[string]*Offer),
	}
}

// Add records a new offer and returns it with a fresh ID.
func (b *Book) Add(frameworkID, agentID, role string, res []*mesos.Resource, now time.Time) *Offer {
	o := &Offer{
		ID:          b.prefix + strconv.FormatUint(b.next, 10),
		FrameworkID: frameworkID,
		AgentID:     agentID,
		Role:        role,
		Resources:   res,
		Created:     now,
	}
	b.next++
	b.byID[o.ID] = o
	index(b.byFramework, frameworkID, o)
	index(b.byAgent, agentID, o)
	return o
}

// Get returns the outstanding offer with the given ID.
func (b *Book) Get(id string) (*Offer, bool) {
	o, ok := b.byID[id]
	return o, ok
}

// Remove deletes an offer (accepted, declined or rescinded) and returns it.
func (b *Book) Remove(id string) (*Offer, bool) {
	o, ok := b.byID[id]
	if !ok {
		return nil, false
	}
	delete(b.byID, id)
	unindex(b.byFramework, o.FrameworkID, id)
	unindex(b.byAgent, o.AgentID, id)
	return o, true
}

// ForAgent returns the outstanding offers of an agent, ordered by ID.
func (b *Book) ForAgent(agentID string) []*Offer { return sorted(b.byAgent[agentID]) }

// ForFramework returns the outstanding offers of a framework, ordered by ID.
func (b *Book) ForFramework(frameworkID string) []*Offer { return sorted(b.byFramework[frameworkID]) }

// Expired returns the offers created at or before now-timeout.
func (b *Book) Expired(now time.Time, timeout time.Duration) []*Offer {
	if timeout <= 0 {
		return nil
	}
	var out []*Offer
	for _, o := range b.byID {
		if now.Sub(o.Created) >= timeout {
			out = append(out, o)
		}
	}
	sortOffers(out)
	return out
}

// Len is the number of outstanding offers.
func (b *Book) Len() int { return len(b.byID) }

// All returns every outstanding offer, ordered by ID.
func (b *Book) All() []*Offer { return sorted(b.byID) }

func index(m map[string]map[string]*Offer, key string, o *Offer) {
	inner := m[key]
	if inner == nil {
		inner = make(map[string]*Offer)
		m[key] = inner
	}
	inner[o.ID] = o
}

func unindex(m map[string]map[string]*Offer, key, id string) {
	inner := m[key]
	delete(inner, id)
	if len(inner) == 0 {
		delete(m, key)
	}
}

func sorted(m map[string]*Offer) []*Offer {
	out := make([]*Offer, 0, len(m))
	for _, o := range m {
		out = append(out, o)
	}
	sortOffers(out)
	return out
}

// sortOffers orders by creation sequence: IDs share a prefix, so compare the
// numeric suffix length first, then lexically.
func sortOffers(os []*Offer) {
	sort.Slice(os, func(i, j int) bool {
		a, b := os[i].ID, os[j].ID
		if len(a) != len(b) {
			return len(a) < len(b)
		}
		return a < b
	})
}
