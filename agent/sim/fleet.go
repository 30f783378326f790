package sim

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/agoraproject/agora/agent/statusupdate"
	"github.com/agoraproject/agora/proto/agora/agentpb"
)

// Fleet is a set of simulated agents sharing a transport, a timer
// goroutine and a pool of senders.
type Fleet struct {
	cfg    Config
	log    *zap.Logger
	client *client
	timers *timers
	calls  chan outCall
	pongs  chan outCall // a lane of their own: see enqueue
	subSem chan struct{}
	agents []*agent
	stats  counters
	// runCtx is Run's context; senders and enqueue stop with it.
	runCtx context.Context
}

// outCall is a call bound to the session it belongs to.
type outCall struct {
	endpoint *url.URL
	streamID string
	call     *agentpb.Call
}

// counters are the fleet's statistics; see Stats.
type counters struct {
	subscribed     atomic.Int64
	subscriptions  atomic.Uint64
	streamFailures atomic.Uint64
	launched       atomic.Uint64
	live           atomic.Int64
	queued         atomic.Uint64
	sent           atomic.Uint64
	resent         atomic.Uint64
	acks           atomic.Uint64
	acksDropped    atomic.Uint64
	callErrors     atomic.Uint64
	pongs          atomic.Uint64
}

// Stats are cumulative counts over the fleet, and a few gauges.
type Stats struct {
	Agents int
	// Subscribed agents now (gauge).
	Subscribed int
	// Subscriptions counts SUBSCRIBED events, resubscriptions included.
	Subscriptions uint64
	// StreamFailures counts subscriptions that failed or ended.
	StreamFailures uint64
	TasksLaunched  uint64
	// TasksLive are tasks with a container now (gauge).
	TasksLive int64
	// UpdatesQueued counts status updates generated; UpdatesSent counts
	// UPDATE calls, UpdatesResent those that repeated an update already
	// sent; Acks counts acknowledgements accepted, AcksDropped those
	// ignored on purpose (AckLossRate).
	UpdatesQueued, UpdatesSent, UpdatesResent uint64
	Acks, AcksDropped                         uint64
	Pongs                                     uint64
	// CallErrors counts calls to the master that failed.
	CallErrors uint64
}

// UpdatesPending is how many updates still wait for an acknowledgement.
func (s Stats) UpdatesPending() uint64 { return s.UpdatesQueued - s.Acks }

// New prepares a fleet; Run starts it.
func New(cfg Config) (*Fleet, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c, err := newClient(cfg.Master, cfg.Senders)
	if err != nil {
		return nil, err
	}
	f := &Fleet{
		cfg:    cfg,
		log:    cfg.Logger.Named("sim"),
		client: c,
		timers: newTimers(),
		calls:  make(chan outCall, 4*cfg.Senders),
		pongs:  make(chan outCall, 4*pongSenders),
		subSem: make(chan struct{}, cfg.SubscribeConcurrency),
	}
	for gi := range cfg.Groups {
		g := &cfg.Groups[gi]
		for i := range g.Count {
			n := len(f.agents)
			f.agents = append(f.agents, &agent{
				f:        f,
				group:    g,
				hostname: fmt.Sprintf("%s-%d", g.Name, i),
				rng:      rand.New(rand.NewPCG(cfg.Seed, uint64(n))),
				tasks:    map[taskKey]*simTask{},
				updates:  statusupdate.New(cfg.Updates),
				silence:  cfg.PingTimeout * time.Duration(cfg.MaxPingTimeouts),
			})
		}
	}
	for _, a := range f.agents {
		a.box = NewContainerizer(cfg.Containerizer, a.rng)
	}
	return f, nil
}

// Run runs every agent until ctx ends, then returns nil. Agents the master
// shuts down stop on their own.
func (f *Fleet) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	f.runCtx = ctx
	var wg sync.WaitGroup
	wg.Go(func() { f.timers.run(ctx, func(a *agent, now time.Time) { a.tick(now) }) })
	for range f.cfg.Senders {
		wg.Go(func() { f.sender(ctx, f.calls) })
	}
	for range pongSenders {
		wg.Go(func() { f.sender(ctx, f.pongs) })
	}
	f.log.Info("starting simulated agents", zap.Int("agents", len(f.agents)), zap.String("master", f.client.endpoint.String()),
		zap.Uint64("seed", f.cfg.Seed))
	for _, a := range f.agents {
		wg.Go(func() { a.run(ctx) })
	}
	<-ctx.Done()
	wg.Wait()
	f.client.http.CloseIdleConnections()
	return nil
}

// Stats returns the fleet's counters; safe to call at any time.
func (f *Fleet) Stats() Stats {
	s := &f.stats
	return Stats{
		Agents:         len(f.agents),
		Subscribed:     int(s.subscribed.Load()),
		Subscriptions:  s.subscriptions.Load(),
		StreamFailures: s.streamFailures.Load(),
		TasksLaunched:  s.launched.Load(),
		TasksLive:      s.live.Load(),
		UpdatesQueued:  s.queued.Load(),
		UpdatesSent:    s.sent.Load(),
		UpdatesResent:  s.resent.Load(),
		Acks:           s.acks.Load(),
		AcksDropped:    s.acksDropped.Load(),
		Pongs:          s.pongs.Load(),
		CallErrors:     s.callErrors.Load(),
	}
}

// pongSenders send PONGs only.
const pongSenders = 4

// enqueue hands calls to the senders; it blocks while they are all busy,
// which slows the agents down rather than piling up calls. PONGs have
// senders of their own: a real agent's PONG never waits behind other
// agents' updates, and one that did would make a loaded master find the
// agent unreachable and its tasks lost.
func (f *Fleet) enqueue(calls []outCall) {
	ctx := f.runCtx
	for _, c := range calls {
		lane := f.calls
		if c.call.GetType() == agentpb.Call_PONG {
			lane = f.pongs
		}
		select {
		case lane <- c:
		case <-ctx.Done():
			return
		}
	}
}

func (f *Fleet) sender(ctx context.Context, lane <-chan outCall) {
	for {
		select {
		case <-ctx.Done():
			return
		case c := <-lane:
			// A lost call is harmless: updates are resent until
			// acknowledged and a missed PONG is covered by the next PING.
			if err := f.client.send(ctx, c.endpoint, c.streamID, c.call); err != nil && ctx.Err() == nil {
				f.stats.callErrors.Add(1)
				f.log.Debug("call to the master failed", zap.Stringer("type", c.call.GetType()), zap.Error(err))
			}
		}
	}
}

// backoff returns the delay after the n-th consecutive failure: base
// doubling up to limit, scaled by a random factor in [0.5, 1) so agents
// cut off together do not all come back at once.
func backoff(n int, base, limit time.Duration, r *rand.Rand) time.Duration {
	d := base
	for i := 1; i < n && d < limit; i++ {
		d *= 2
	}
	d = min(d, limit)
	return d/2 + time.Duration(r.Int64N(int64(d/2)+1))
}
