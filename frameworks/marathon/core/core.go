package core

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/agoraproject/agora/frameworks/marathon/api"
	"github.com/agoraproject/agora/frameworks/marathon/state"
	"github.com/agoraproject/agora/internal/store"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	"github.com/agoraproject/agora/sdk/scheduler"
)

var _ api.Backend = (*Core)(nil)

// ErrStopped is returned by calls made after Run has returned.
var ErrStopped = errors.New("marathon: core stopped")

// Core is the Marathon scheduler. Create it with New and drive it with Run;
// its api.Backend methods are safe for concurrent use.
type Core struct {
	cfg   Config
	log   *zap.Logger
	clock Clock
	rand  *rand.Rand // loop only
	// store is what the loop writes through: cfg.Store, fenced in each
	// term by the election znode when the elector has one (fence).
	store store.Store
	fence string // set before a term leads; read in becomeLeader
	bus   *bus
	start time.Time

	reqs    chan func()
	stopped chan struct{}
	snap    atomic.Pointer[snapshot]
	// changed is closed and replaced on every publish, for waiters.
	changedMu sync.Mutex
	changed   chan struct{}

	// elector and abdicate belong to the leadership goroutine; the mutex
	// lets Info and Abdicate read them.
	elMu     sync.Mutex
	elector  Elector
	abdicate context.CancelFunc

	// Everything below is owned by the loop.
	leader       bool
	client       *scheduler.Client
	connected    bool // SUBSCRIBED received on the current term
	out          *outbox
	ack          *acker
	acks         []*mesos.TaskStatus // applied this batch; acknowledged after persisting
	unsettled    []*appState         // apps to converge at the end of the batch
	unprogressed bool                // deployments to advance at the end of the batch
	frameworkID  string
	apps         map[string]*appState
	tasks        map[string]*task // every instance by task ID
	deployments  map[string]*deployment
	lockedBy     map[string]*deployment // app ID → deployment holding it
	groups       map[string]state.Group
	suppressed   bool
	demand       bool // something became launchable since the last revive
	lastStamp    time.Time
	lastPublish  time.Time
	lastOffers   time.Time // last offers received or revive sent
	nextRecon    time.Time
	calls        []call // decided this batch; sent after persisting
	waiters      []chan struct{}
	dirty        bool // publish a new snapshot
	groupsDirty  bool
}

// New checks cfg and returns a Core that has not started.
func New(cfg Config) (*Core, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	c := &Core{
		store:   cfg.Store,
		cfg:     cfg,
		log:     cfg.Logger.Named("marathon"),
		clock:   cfg.Clock,
		rand:    cfg.Rand,
		bus:     newBus(),
		start:   cfg.Clock.Now(),
		reqs:    make(chan func(), reqsBuffer),
		stopped: make(chan struct{}),
		changed: make(chan struct{}),
	}
	c.reset()
	c.snap.Store(&snapshot{})
	return c, nil
}

// reset forgets the in-memory state (while standing by).
func (c *Core) reset() {
	c.apps = map[string]*appState{}
	c.tasks = map[string]*task{}
	c.deployments = map[string]*deployment{}
	c.lockedBy = map[string]*deployment{}
	c.groups = map[string]state.Group{}
	c.frameworkID = ""
	c.suppressed = false
	c.demand = false
	c.dirty = true
}

// Run drives the core until ctx ends: the state loop, and — while leading,
// which is always without an elector — the subscription to the master.
func (c *Core) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	loopDone := make(chan struct{})
	go func() {
		defer close(loopDone)
		c.loop(ctx)
	}()
	var err error
	if c.cfg.NewElector == nil {
		err = c.lead(ctx)
	} else {
		err = c.contend(ctx)
	}
	cancel()
	<-loopDone
	if ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, ErrStopped)) {
		return nil
	}
	return err
}

// reqsBuffer is how many requests wait for the loop, and how many more it
// runs in the batch after the first. Status updates do not wait for their
// batch, so during a burst they fill the buffer and share one batch's
// persisting and publishing.
const reqsBuffer = 1024

// loop owns the state: it runs requests, ticks, and after each batch
// persists, sends the decided calls and publishes a snapshot.
func (c *Core) loop(ctx context.Context) {
	defer close(c.stopped)
	tick := c.clock.NewTimer(c.cfg.TickInterval)
	defer tick.Stop()
	c.publish()
	for {
		select {
		case <-ctx.Done():
			c.stopLeading()
			return
		case fn := <-c.reqs:
			fn()
		drain:
			for i := 0; i < reqsBuffer; i++ {
				select {
				case fn := <-c.reqs:
					fn()
				default:
					break drain
				}
			}
		case <-tick.C():
			c.tick()
			c.endBatch()
			if c.dirty {
				c.refreshWaiting()
				c.publish()
			}
			// Re-armed only now, so a test that sees the timer armed
			// again knows the tick's effects are published.
			tick.Reset(c.cfg.TickInterval)
			continue
		}
		c.endBatch()
	}
}

// endBatch makes a batch's effects durable and visible, in that order:
// instances are persisted before the launches that create them are sent.
func (c *Core) endBatch() {
	defer func() {
		for _, w := range c.waiters {
			close(w)
		}
		c.waiters = c.waiters[:0]
	}()
	if !c.leader {
		c.calls, c.acks, c.unsettled, c.unprogressed = nil, nil, nil, false
		if c.dirty {
			c.publish()
		}
		return
	}
	c.settle()
	c.updateOfferInterest()
	c.persistInstances()
	if c.groupsDirty {
		c.persistGroups()
	}
	if len(c.acks) > 0 {
		if c.ack != nil {
			c.ack.push(c.acks)
		}
		c.acks = nil
	}
	if len(c.calls) > 0 {
		if c.out != nil {
			c.out.push(c.calls)
		}
		c.calls = nil
	}
	if c.dirty && (len(c.waiters) > 0 || len(c.reqs) == 0 || !c.now().Before(c.lastPublish.Add(publishEvery))) {
		c.refreshWaiting()
		c.publish()
	}
}

// publishEvery bounds how long a snapshot lags while requests keep
// coming: a batch that has more requests queued behind it and nobody
// waiting for it does not publish (which walks every task of each app
// that changed), unless the last publish is this old.
const publishEvery = 100 * time.Millisecond

// do runs fn on the loop and waits until its batch has been published.
func (c *Core) do(ctx context.Context, fn func()) error {
	done := make(chan struct{})
	wrapped := func() {
		c.settle()
		fn()
		c.waiters = append(c.waiters, done)
	}
	select {
	case c.reqs <- wrapped:
	case <-c.stopped:
		return ErrStopped
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-done:
		return nil
	case <-c.stopped:
		return ErrStopped
	}
}

// post runs fn on the loop without waiting.
func (c *Core) post(fn func()) {
	select {
	case c.reqs <- func() { c.settle(); fn() }:
	case <-c.stopped:
	}
}

// postUpdate applies a status update on the loop without waiting for its
// batch: the acknowledgement goes out once the batch is persisted. It
// waits only while the loop's queue is full, which holds the event stream
// back while the loop is behind.
func (c *Core) postUpdate(ctx context.Context, st *mesos.TaskStatus) error {
	fn := func() {
		c.handleUpdate(st)
		if len(st.GetUuid()) > 0 {
			c.acks = append(c.acks, st)
		}
	}
	select {
	case c.reqs <- fn:
		return nil
	case <-c.stopped:
		return ErrStopped
	case <-ctx.Done():
		return ctx.Err()
	}
}

// unsettle defers converging an app, and advancing deployments, to the
// end of the batch: both walk every instance of the app, which a burst of
// status updates would otherwise do once per update.
func (c *Core) unsettle(as *appState) {
	if as != nil && !as.unsettled {
		as.unsettled = true
		c.unsettled = append(c.unsettled, as)
	}
	c.unprogressed = true
}

// settle does what unsettle deferred. Every request but a status update
// settles first, so it sees converged apps, as does the batch's end.
func (c *Core) settle() {
	pending := c.unsettled
	c.unsettled = nil
	for _, as := range pending {
		as.unsettled = false
		c.converge(as)
	}
	if c.unprogressed {
		c.unprogressed = false
		c.progress()
	}
}

// now is the loop's clock reading.
func (c *Core) now() time.Time { return c.clock.Now() }

// newVersion returns a version stamp strictly after the previous one, so two
// changes in the same millisecond still get distinct versions.
func (c *Core) newVersion() (time.Time, string) {
	t := c.now().UTC().Truncate(time.Millisecond)
	if !t.After(c.lastStamp) {
		t = c.lastStamp.Add(time.Millisecond)
	}
	c.lastStamp = t
	return t, stamp(t)
}

// uuid returns a random RFC 4122 version 4 UUID from the core's seeded
// source, so a test run can be replayed.
func (c *Core) uuid() string {
	var b [16]byte
	for i := 0; i < 16; i += 8 {
		v := c.rand.Uint64()
		for j := 0; j < 8; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	const hex = "0123456789abcdef"
	out := make([]byte, 0, 36)
	for i, x := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out = append(out, '-')
		}
		out = append(out, hex[x>>4], hex[x&0xf])
	}
	return string(out)
}

// Changed returns a channel closed at the next published change; tests and
// long-polling readers wait on it.
func (c *Core) Changed() <-chan struct{} {
	c.changedMu.Lock()
	defer c.changedMu.Unlock()
	return c.changed
}

func (c *Core) notifyChanged() {
	c.changedMu.Lock()
	close(c.changed)
	c.changed = make(chan struct{})
	c.changedMu.Unlock()
}
