// Package offers is the master's offer book: the outstanding offers, indexed
// by ID, framework and agent, with Mesos-style IDs. It is plain data owned by
// the master's event loop; it does not talk to frameworks or the allocator.
package offers

import (
	"sort"
	"strconv"
	"time"

	"github.com/agoraproject/agora/master/allocator"
)

// Offer is one outstanding offer: the allocator's grant (resources on one
// agent, for one framework, allocated to one of its roles, and the
// allocator's own form of them to hand back) with its ID.
type Offer struct {
	ID string
	allocator.Offer
	Created time.Time
	// Positions in the book's per-framework and per-agent lists, so that
	// removing an offer is a swap rather than a map or a scan.
	fwAt, agentAt int
}

// Book tracks outstanding offers.
type Book struct {
	prefix      string
	next        uint64
	byID        map[string]*Offer
	byFramework map[string][]*Offer
	byAgent     map[string][]*Offer
}

// NewBook returns an empty book whose offer IDs are "<prefix>-O<n>".
func NewBook(prefix string) *Book {
	return &Book{
		prefix:      prefix + "-O",
		byID:        make(map[string]*Offer),
		byFramework: make(map[string][]*Offer),
		byAgent:     make(map[string][]*Offer),
	}
}

// Add records a new offer of the grant and returns it with a fresh ID.
func (b *Book) Add(grant allocator.Offer, now time.Time) *Offer {
	o := &Offer{
		ID:      b.prefix + strconv.FormatUint(b.next, 10),
		Offer:   grant,
		Created: now,
	}
	b.next++
	b.byID[o.ID] = o
	o.fwAt = index(b.byFramework, o.FrameworkID, o)
	o.agentAt = index(b.byAgent, o.AgentID, o)
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
	if moved := unindex(b.byFramework, o.FrameworkID, o.fwAt); moved != nil {
		moved.fwAt = o.fwAt
	}
	if moved := unindex(b.byAgent, o.AgentID, o.agentAt); moved != nil {
		moved.agentAt = o.agentAt
	}
	return o, true
}

// ForAgent returns the outstanding offers of an agent, ordered by ID.
func (b *Book) ForAgent(agentID string) []*Offer { return sortedCopy(b.byAgent[agentID]) }

// ForFramework returns the outstanding offers of a framework, ordered by ID.
func (b *Book) ForFramework(frameworkID string) []*Offer {
	return sortedCopy(b.byFramework[frameworkID])
}

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

// Each calls fn for every outstanding offer, in no particular order:
// cheaper than All for sums.
func (b *Book) Each(fn func(*Offer)) {
	for _, o := range b.byID {
		fn(o)
	}
}

// All returns every outstanding offer, ordered by ID.
func (b *Book) All() []*Offer { return sorted(b.byID) }

// index appends o to key's list and returns its position.
func index(m map[string][]*Offer, key string, o *Offer) int {
	list := m[key]
	m[key] = append(list, o)
	return len(list)
}

// unindex removes position at of key's list by moving the last offer
// there, and returns the moved offer (nil if none moved).
func unindex(m map[string][]*Offer, key string, at int) *Offer {
	list := m[key]
	last := len(list) - 1
	var moved *Offer
	if at != last {
		moved = list[last]
		list[at] = moved
	}
	list[last] = nil
	if last == 0 {
		delete(m, key)
	} else {
		m[key] = list[:last]
	}
	return moved
}

func sortedCopy(list []*Offer) []*Offer {
	out := append([]*Offer(nil), list...)
	sortOffers(out)
	return out
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
