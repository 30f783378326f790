package allocator

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"time"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// Config configures an Allocator. The zero value is valid and means Mesos's
// defaults.
type Config struct {
	// MinAllocatable: resources are offered only if they hold at least one
	// of these quantity sets (by resource name; ranges and sets count their
	// elements). nil means the Mesos default, cpus:0.01 | mem:32. A list
	// holding an empty set offers any non-empty resources.
	MinAllocatable []map[string]float64
	// Rand, if set, shuffles the agent order of every allocation (as Mesos
	// does, so no agent is always served first). nil keeps sorted agent-ID
	// order. Seed it and log the seed to make a run replayable.
	Rand *rand.Rand
}

// DefaultMinAllocatable is Mesos's --min_allocatable_resources default.
func DefaultMinAllocatable() []map[string]float64 {
	return []map[string]float64{{"cpus": 0.01}, {"mem": 32}}
}

// Validate reports a configuration New would reject.
func (c Config) Validate() error {
	for i, set := range c.MinAllocatable {
		for name, q := range set {
			if name == "" || math.IsNaN(q) || math.IsInf(q, 0) || q < 0 {
				return fmt.Errorf("allocator: MinAllocatable[%d]: invalid quantity %q:%v", i, name, q)
			}
		}
	}
	return nil
}

// Offer is one grant: all the resources offered to one framework, in one
// role, on one agent. Every resource carries allocation_info.role = Role.
// The resources of one offer share one AllocationInfo message, and
// reservation and disk sub-messages are shared with the allocator's
// templates: treat those as read-only (replacing a field of a Resource, such
// as setting AllocationInfo to nil, is fine).
type Offer struct {
	FrameworkID, AgentID, Role string
	Resources                  []*mesos.Resource
	// Held is the same resources in the allocator's form, for RecoverOffer.
	Held Held
}

// Allocator is the weighted DRF allocator. Its methods must be called from
// one goroutine.
type Allocator struct {
	rng      *rand.Rand
	minAlloc [][]minQ

	kinds kindTable
	total []int64 // cluster total per share dimension, over all agents

	slab slab

	agents     map[string]*agent
	order      []*agent // sorted by ID
	frameworks map[string]*framework
	roles      map[string]*role
	weights    map[string]float64
	roleHeap   minHeap[*role] // roles with at least one eligible client

	// sharesDirty is set when cluster totals change: every share is then
	// stale, and they are recomputed (and the heaps rebuilt) once, before
	// the next allocation, rather than on each AddAgent.
	sharesDirty bool

	// filterSweepAt is when ExpireFilters next has work: the earliest
	// expiry among filters, at least a second after the last sweep. Zero
	// when there are no filters.
	filterSweepAt time.Time

	// Scratch buffers reused across calls so a cycle does not allocate.
	roleScratch   []*role
	clientScratch []*client
	agentScratch  []*agent
	offerScratch  []Offer
	delta         []int64
}

// minQ is one compiled MinAllocatable requirement.
type minQ struct {
	name string
	dim  int
	q    int64 // milli-units for scalars, element count otherwise
}

// New returns an empty allocator. It panics if cfg.Validate fails: the
// master validates its configuration at startup.
func New(cfg Config) *Allocator {
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	a := &Allocator{
		rng:        cfg.Rand,
		kinds:      newKindTable(),
		agents:     map[string]*agent{},
		frameworks: map[string]*framework{},
		roles:      map[string]*role{},
		weights:    map[string]float64{},
	}
	sets := cfg.MinAllocatable
	if sets == nil {
		sets = DefaultMinAllocatable()
	}
	for _, set := range sets {
		names := make([]string, 0, len(set))
		for n := range set {
			names = append(names, n)
		}
		sort.Strings(names)
		qs := []minQ{}
		for _, n := range names {
			d := a.kinds.intern(n, mesos.Value_SCALAR, nil, "")
			qs = append(qs, minQ{name: n, dim: a.kinds.kinds[d].dim, q: toMilli(set[n])})
		}
		a.minAlloc = append(a.minAlloc, qs)
	}
	return a
}

// toMilli converts a quantity to milli-units, rounding as Mesos does.
func toMilli(v float64) int64 {
	if !(v > 0) || math.IsInf(v, 0) {
		return 0
	}
	return int64(math.Round(v * milli))
}

// SetWeight sets a role's weight: a role of weight 2 gets about twice the
// dominant share of a role of weight 1 under contention. A weight that is
// not a positive finite number resets the role to the default weight, 1.
func (a *Allocator) SetWeight(role string, weight float64) {
	if !(weight > 0) || math.IsInf(weight, 0) {
		delete(a.weights, role)
		weight = 1
	} else {
		a.weights[role] = weight
	}
	if r := a.roles[role]; r != nil {
		r.weight = weight
		a.reshareRole(r)
	}
}
