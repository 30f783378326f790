// Package master is the composition root of the Agora master: one event loop
// goroutine that owns every piece of mutable cluster state (frameworks,
// agents, tasks, the offer book and the allocator). HTTP handlers in
// master/api and agent connections talk to it only through the methods in
// this package, which hand requests to the loop. Reads that must not block
// it are served from snapshots the loop copies out.
//
// It is not an HTTP server: master/api adapts it to the wire.
package master

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"go.uber.org/zap"

	"github.com/agoraproject/agora/master/allocator"
	"github.com/agoraproject/agora/master/offers"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// Version is the Mesos API version Agora speaks, reported by /version and
// MasterInfo.
const Version = "1.11.0"

// ErrStopped is returned to callers once the master's loop has ended.
var ErrStopped = errors.New("master is not running")

// Master is the state-owning event loop.
type Master struct {
	cfg      Config
	interned resourceIntern // task records' resources (taskkeep.go)
	log      *zap.Logger
	id       string
	info     *mesos.MasterInfo
	start    time.Time
	reqs     chan func()
	stopped  chan struct{}

	frameworks          map[string]*frameworkRecord
	completedFrameworks []*frameworkRecord
	agents              map[string]*agentRecord
	nextFramework       int
	nextAgent           int
	nextStream          uint64

	alloc          *allocator.Allocator
	book           *offers.Book
	dirtyAgents    map[string]struct{}
	pings          pingQueue // agents by next PING
	fullAllocation bool
	nextAllocation time.Time
	nextHeartbeat  time.Time

	metrics counters
	// ops is the operator API's state: subscribers, weights, gone agents.
	ops operatorHub
	// order and sums are used by State off the loop (snapshot_order.go,
	// snapshot_sums.go).
	order taskOrder
	sums  sumCache
	// ha is the durable registry's bookkeeping (registry_master.go).
	ha haState
}

// New builds a master; Run starts it.
func New(cfg Config) (*Master, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	id := newUUID()
	m := &Master{
		cfg:         cfg,
		log:         cfg.Logger.Named("master"),
		id:          id,
		start:       cfg.Clock.Now(),
		reqs:        make(chan func(), 1024),
		stopped:     make(chan struct{}),
		frameworks:  make(map[string]*frameworkRecord),
		agents:      make(map[string]*agentRecord),
		alloc:       allocator.New(allocator.Config{}),
		book:        offers.NewBook(id),
		dirtyAgents: make(map[string]struct{}),
		ops:         newOperatorHub(),
	}
	m.info = masterInfo(id, cfg)
	m.applyConfiguredWeights()
	return m, nil
}

func masterInfo(id string, cfg Config) *mesos.MasterInfo {
	host := cfg.Hostname
	if host == "" {
		host, _ = os.Hostname()
	}
	var ip uint32
	if parsed := net.ParseIP(cfg.IP).To4(); parsed != nil {
		// MasterInfo.ip is the IPv4 address in network byte order.
		ip = binary.LittleEndian.Uint32(parsed)
	}
	port := uint32(cfg.Port)
	return &mesos.MasterInfo{
		Id:       &id,
		Ip:       &ip,
		Port:     &port,
		Pid:      strPtr("master@" + net.JoinHostPort(cfg.IP, strconv.Itoa(cfg.Port))),
		Hostname: &host,
		Version:  strPtr(Version),
		Address: &mesos.Address{
			Hostname: &host,
			Ip:       strPtr(cfg.IP),
			Port:     int32Ptr(int32(cfg.Port)),
		},
	}
}

// ID is this master's unique ID, the prefix of every ID it hands out.
func (m *Master) ID() string { return m.id }

// Info is this master's MasterInfo.
func (m *Master) Info() *mesos.MasterInfo { return m.info }

// StartTime is when this master started.
func (m *Master) StartTime() time.Time { return m.start }

// Run processes requests and timers until ctx ends.
func (m *Master) Run(ctx context.Context) error {
	defer close(m.stopped)
	ticker := time.NewTicker(m.cfg.TickInterval)
	defer ticker.Stop()
	gap := newAllocationGate(m.cfg.MinAllocationGap)
	defer gap.stop()
	now := m.cfg.Clock.Now()
	m.nextAllocation = now.Add(m.cfg.AllocationInterval)
	m.nextHeartbeat = now.Add(m.cfg.HeartbeatInterval)
	m.log.Info("master started", zap.String("master_id", m.id))
	for {
		select {
		case <-ctx.Done():
			m.shutdown()
			return nil
		case fn := <-m.reqs:
			fn()
			// Drain what is queued before allocating once, so a burst of
			// calls costs one allocation pass.
			for drained := 0; drained < 4096; drained++ {
				select {
				case fn := <-m.reqs:
					fn()
					continue
				default:
				}
				break
			}
		case <-ticker.C:
			m.tick(m.cfg.Clock.Now())
		case <-gap.fired():
			gap.armed = false
		}
		if m.allocationPending() && gap.open(time.Now()) {
			if m.allocate(m.cfg.Clock.Now()) {
				gap.passed(time.Now())
			}
		}
	}
}

// allocationPending reports whether allocate has work.
func (m *Master) allocationPending() bool {
	return m.fullAllocation || len(m.dirtyAgents) > 0
}

// allocationGate spaces allocation passes at least gap apart in wall-clock
// time (it paces CPU work, so it does not follow the injected clock). A
// pass that is not allowed yet arms a timer for when it is.
type allocationGate struct {
	gap   time.Duration
	last  time.Time
	timer *time.Timer
	armed bool
}

func newAllocationGate(gap time.Duration) *allocationGate {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &allocationGate{gap: gap, timer: t}
}

// open reports whether a pass may run now; if not, it arms the timer.
func (g *allocationGate) open(now time.Time) bool {
	wait := g.gap - now.Sub(g.last)
	if wait <= 0 {
		return true
	}
	if !g.armed {
		g.armed = true
		g.timer.Reset(wait)
	}
	return false
}

// passed records that a pass ran.
func (g *allocationGate) passed(now time.Time) { g.last = now }

// fired delivers once an armed wait is over.
func (g *allocationGate) fired() <-chan time.Time { return g.timer.C }

func (g *allocationGate) stop() { g.timer.Stop() }

// do runs fn on the loop and waits for it.
func (m *Master) do(ctx context.Context, fn func()) error {
	done := make(chan struct{})
	select {
	case m.reqs <- func() { fn(); close(done) }:
	case <-m.stopped:
		return ErrStopped
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-done:
		return nil
	case <-m.stopped:
		return ErrStopped
	}
}

// post runs fn on the loop without waiting.
func (m *Master) post(fn func()) {
	select {
	case m.reqs <- fn:
	case <-m.stopped:
	}
}

func (m *Master) shutdown() {
	for _, f := range m.frameworks {
		if f.conn != nil {
			f.conn.close()
		}
	}
	for _, a := range m.agents {
		if a.conn != nil {
			a.conn.close()
		}
	}
	m.closeOperatorStreams()
	m.log.Info("master stopped")
}

// tick runs every timer-driven duty.
func (m *Master) tick(now time.Time) {
	if !now.Before(m.nextAllocation) {
		m.fullAllocation = true
	}
	if !now.Before(m.nextHeartbeat) {
		m.nextHeartbeat = now.Add(m.cfg.HeartbeatInterval)
		m.sendHeartbeats()
	}
	m.pingAgents(now)
	m.expireOffers(now)
	m.alloc.ExpireFilters(now)
	m.expireFrameworks(now)
	m.registryTick(now)
}

func (m *Master) newStreamID() string {
	m.nextStream++
	return newUUID()
}

// newUUID returns a random RFC 4122 version 4 UUID string.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func strPtr(s string) *string       { return &s }
func int32Ptr(i int32) *int32       { return &i }
func float64Ptr(f float64) *float64 { return &f }
