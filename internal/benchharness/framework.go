package benchharness

import (
	"context"
	"fmt"
	"sync"
	"time"

	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	schedpb "github.com/agoraproject/agora/proto/mesos/v1/scheduler"
	"github.com/agoraproject/agora/sdk/offers"
	"github.com/agoraproject/agora/sdk/scheduler"
)

// framework launches its share of the tasks on whatever it is offered and
// records when each was asked for and when it was seen RUNNING. The SDK
// calls its handlers on one goroutine; mu is for the harness reading it.
type framework struct {
	name   string
	cfg    *Config
	need   []*mesos.Resource
	log    *zap.Logger
	client *scheduler.Client
	done   chan struct{} // closed when every task settled
	calls  chan struct{} // launches in flight, at most cap

	mu         sync.Mutex
	total      int
	next       int // tasks launched so far; the next task's index
	tasks      map[string]*taskRecord
	settled    int // RUNNING (or ended before it); ended when WaitFinished
	latencies  []time.Duration
	first      time.Time // first launch request
	last       time.Time // last RUNNING seen
	suppressed bool
	tokens     float64
	refilled   time.Time
	counts     map[mesos.TaskState]int
	errors     int // calls the master refused
	// Offers that come before every framework has subscribed wait in
	// pending, so launches start together rather than while the master
	// still admits frameworks (release).
	pending  []*mesos.Offer
	released bool
	admitted chan struct{} // closed at the first SUBSCRIBED
	subOnce  sync.Once
	held     []heldOffer   // with Config.HoldOffers: offers kept for later launches
	holdOnce sync.Once     // starts the hold loop
	stopped  chan struct{} // closed at teardown: ends the hold loop
	stopOnce sync.Once
	wake     chan struct{} // new offers for the hold loop
}

// Calls one framework has awaiting an answer at once: ACCEPTs, and the
// SDK's automatic acknowledgements.
const (
	launchesInFlight = 4
	ackInFlight      = 4
)

type taskRecord struct {
	launched time.Time
	running  bool
	ended    bool
}

func newFramework(cfg *Config, index, tasks int) *framework {
	return &framework{
		name:   fmt.Sprintf("bench-%d", index),
		cfg:    cfg,
		need:   offers.Scalars(cfg.TaskCpus, cfg.TaskMem, 0),
		log:    cfg.Logger.Named("framework"),
		done:   make(chan struct{}),
		calls:  make(chan struct{}, launchesInFlight),
		total:  tasks,
		tasks:  map[string]*taskRecord{},
		counts: map[mesos.TaskState]int{},

		admitted: make(chan struct{}),
		stopped:  make(chan struct{}),
	}
}

func (b *framework) callbacks() scheduler.Callbacks {
	return scheduler.Callbacks{Subscribed: b.subscribed, Offers: b.offers, Rescind: b.rescind, Update: b.update}
}

func (b *framework) subscribed(ctx context.Context, c *scheduler.Client, _ *schedpb.Event_Subscribed) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.suppressed = false
	b.subOnce.Do(func() { close(b.admitted) })
	return nil
}

// release lets the framework launch, on the offers it got so far first.
func (b *framework) release(ctx context.Context) {
	b.mu.Lock()
	b.released = true
	os := b.pending
	b.pending = nil
	b.mu.Unlock()
	if len(os) > 0 {
		_ = b.offers(ctx, b.client, os)
	}
}

// budget returns how many tasks may be launched now under LaunchRate; the
// bucket holds at most one second's worth.
func (b *framework) budget(now time.Time) int {
	if b.cfg.LaunchRate <= 0 {
		return b.total
	}
	rate := b.cfg.LaunchRate / float64(b.cfg.Frameworks)
	if b.refilled.IsZero() {
		b.tokens = rate * 0.1 // a tenth of a second's worth to start with
	} else {
		b.tokens = min(b.tokens+rate*now.Sub(b.refilled).Seconds(), max(rate, 1))
	}
	b.refilled = now
	return int(b.tokens)
}

func (b *framework) offers(ctx context.Context, c *scheduler.Client, os []*mesos.Offer) error {
	b.mu.Lock()
	if !b.released {
		b.pending = append(b.pending, os...)
		b.mu.Unlock()
		return nil
	}
	b.mu.Unlock()
	if b.cfg.HoldOffers > 0 && b.cfg.LaunchRate > 0 {
		return b.hold(ctx, c, os)
	}
	b.mu.Lock()
	now := time.Now()
	budget := min(b.budget(now), b.total-b.next)
	var launches []launchOn
	var declined []*mesos.OfferID
	for _, o := range os {
		tasks := b.pack(o, min(budget, b.cfg.MaxTasksPerOffer), now)
		budget -= len(tasks)
		b.tokens -= float64(len(tasks))
		if len(tasks) == 0 {
			declined = append(declined, o.GetId())
			continue
		}
		launches = append(launches, launchOn{o.GetId(), tasks})
	}
	waiting := b.total - b.next
	b.mu.Unlock()

	b.send(ctx, c, launches, declined, waiting)
	return nil
}

// pack takes up to n tasks' resources from o.
func (b *framework) pack(o *mesos.Offer, n int, now time.Time) []*mesos.TaskInfo {
	pool := offers.NewPool(o)
	var tasks []*mesos.TaskInfo
	for len(tasks) < n {
		rs, ok := pool.Take(b.need)
		if !ok {
			break
		}
		id := fmt.Sprintf("%s-%d", b.name, b.next)
		b.next++
		if b.first.IsZero() {
			b.first = now
		}
		b.tasks[id] = &taskRecord{launched: now}
		tasks = append(tasks, &mesos.TaskInfo{
			Name:      proto.String(id),
			TaskId:    &mesos.TaskID{Value: proto.String(id)},
			AgentId:   o.GetAgentId(),
			Resources: rs,
			Command:   &mesos.CommandInfo{Value: proto.String("true"), Shell: proto.Bool(true)},
		})
	}
	return tasks
}

// failLaunch counts tasks the master did not take as ended: the benchmark
// does not retry.
func (b *framework) failLaunch(tasks []*mesos.TaskInfo, err error) {
	b.log.Warn("launch refused", zap.String("framework", b.name), zap.Error(err))
	b.mu.Lock()
	defer b.mu.Unlock()
	b.errors++
	for _, t := range tasks {
		if r := b.tasks[t.GetTaskId().GetValue()]; r != nil && !r.ended {
			r.ended = true
			b.settle()
		}
	}
}

func (b *framework) update(ctx context.Context, c *scheduler.Client, st *mesos.TaskStatus) error {
	now := time.Now()
	b.mu.Lock()
	defer b.mu.Unlock()
	r := b.tasks[st.GetTaskId().GetValue()]
	if r == nil || r.ended {
		return nil // a duplicate after the end, or not ours
	}
	state := st.GetState()
	switch {
	case state == mesos.TaskState_TASK_RUNNING:
		if r.running {
			return nil // a resent update
		}
		b.counts[state]++
		r.running = true
		b.latencies = append(b.latencies, now.Sub(r.launched))
		b.last = now
		if !b.cfg.WaitFinished {
			b.settle()
		}
	case terminal(state):
		b.counts[state]++
		r.ended = true
		if b.cfg.WaitFinished || !r.running {
			b.settle()
		}
	}
	return nil
}

func (b *framework) settle() {
	b.settled++
	if b.settled == b.total {
		close(b.done)
	}
}

func terminal(s mesos.TaskState) bool {
	switch s {
	case mesos.TaskState_TASK_FINISHED, mesos.TaskState_TASK_FAILED, mesos.TaskState_TASK_KILLED,
		mesos.TaskState_TASK_ERROR, mesos.TaskState_TASK_LOST, mesos.TaskState_TASK_DROPPED,
		mesos.TaskState_TASK_GONE, mesos.TaskState_TASK_GONE_BY_OPERATOR, mesos.TaskState_TASK_UNKNOWN:
		return true
	}
	return false
}

// send launches in the background, as a framework that does not wait for
// 202 before handling its next event would, declines what it will not use
// (for an hour once nothing waits) and suppresses once nothing waits.
func (b *framework) send(ctx context.Context, c *scheduler.Client, launches []launchOn, declined []*mesos.OfferID, waiting int) {
	leftover := &mesos.Filters{RefuseSeconds: proto.Float64(b.cfg.RefuseSeconds)}
	for _, l := range launches {
		b.calls <- struct{}{}
		go func() {
			defer func() { <-b.calls }()
			if err := c.Launch(ctx, []*mesos.OfferID{l.offer}, l.tasks, leftover); err != nil {
				b.failLaunch(l.tasks, err)
			}
		}()
	}
	refuse := leftover
	if waiting == 0 {
		refuse = &mesos.Filters{RefuseSeconds: proto.Float64(3600)}
	}
	if len(declined) > 0 {
		if err := c.Decline(ctx, declined, refuse); err != nil && ctx.Err() == nil {
			b.log.Warn("decline failed", zap.String("framework", b.name), zap.Error(err))
		}
	}
	b.mu.Lock()
	suppress := waiting == 0 && !b.suppressed
	b.suppressed = b.suppressed || suppress
	b.mu.Unlock()
	if suppress {
		if err := c.Suppress(ctx); err != nil && ctx.Err() == nil {
			b.log.Warn("suppress failed", zap.String("framework", b.name), zap.Error(err))
		}
	}
}
