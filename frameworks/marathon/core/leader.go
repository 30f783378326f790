package core

import (
	"context"
	"errors"
	"net/http"
	"time"

	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/frameworks/marathon/state"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	schedpb "github.com/agoraproject/agora/proto/mesos/v1/scheduler"
	"github.com/agoraproject/agora/sdk/scheduler"
)

// FrameworkName is the name the framework registers with.
const FrameworkName = "marathon"

// contend runs elections until ctx ends, leading while elected.
func (c *Core) contend(ctx context.Context) error {
	for ctx.Err() == nil {
		el, err := c.cfg.NewElector()
		if err != nil {
			return err
		}
		term, cancel := context.WithCancel(ctx)
		c.elMu.Lock()
		c.elector, c.abdicate = el, cancel
		c.elMu.Unlock()
		elDone := make(chan error, 1)
		go func() { elDone <- el.Run(term) }()

		err = c.term(term, el, elDone)
		cancel()
		if e := <-elDone; e != nil && !errors.Is(e, context.Canceled) && ctx.Err() == nil {
			c.log.Warn("election ended", zap.Error(e))
		}
		c.elMu.Lock()
		c.elector, c.abdicate = nil, nil
		c.elMu.Unlock()
		var ee *scheduler.ErrorEvent
		if errors.As(err, &ee) {
			return err
		}
		if ctx.Err() == nil {
			c.sleep(ctx, time.Second) // do not spin if the ensemble is away
		}
	}
	return nil
}

// term waits for leadership and leads until it is lost or the term ends.
func (c *Core) term(term context.Context, el Elector, elDone <-chan error) error {
	for !el.IsLeader() {
		select {
		case <-term.Done():
			return nil
		case <-el.Changes():
		case err := <-elDone:
			return err
		}
	}
	c.log.Info("elected leader")
	c.fence = ""
	if f, ok := el.(interface{ Own() (string, bool) }); ok {
		if own, ok := f.Own(); ok {
			c.fence = own
		}
	}
	leadCtx, stop := context.WithCancel(term)
	defer stop()
	go func() {
		for {
			select {
			case <-leadCtx.Done():
				return
			case <-el.Changes():
				if !el.IsLeader() {
					c.log.Warn("lost leadership")
					stop()
					return
				}
			}
		}
	}()
	return c.lead(leadCtx)
}

func (c *Core) sleep(ctx context.Context, d time.Duration) {
	t := c.clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C():
	}
}

// lead loads the state and drives the master until ctx ends or the
// subscription fails for good.
func (c *Core) lead(ctx context.Context) error {
	for {
		var err error
		if e := c.do(ctx, func() { err = c.becomeLeader() }); e != nil {
			return e
		}
		if err == nil {
			break
		}
		c.log.Error("cannot load state from the store; retrying", zap.Error(err))
		c.sleep(ctx, time.Second)
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	var fwID string
	_ = c.do(ctx, func() { fwID = c.frameworkID })
	fi := &mesos.FrameworkInfo{
		User:            proto.String(c.cfg.User),
		Name:            proto.String(FrameworkName),
		FailoverTimeout: proto.Float64(c.cfg.FailoverTimeout.Seconds()),
		Checkpoint:      proto.Bool(true),
		Role:            proto.String(c.cfg.Role),
		Capabilities: []*mesos.FrameworkInfo_Capability{
			{Type: mesos.FrameworkInfo_Capability_PARTITION_AWARE.Enum()},
		},
	}
	if c.cfg.Hostname != "" {
		fi.Hostname = proto.String(c.cfg.Hostname)
	}
	if c.cfg.WebUIURL != "" {
		fi.WebuiUrl = proto.String(c.cfg.WebUIURL)
	}
	if fwID != "" {
		fi.Id = &mesos.FrameworkID{Value: proto.String(fwID)}
	}
	sc := scheduler.Config{Master: c.cfg.Master, Framework: fi, Logger: c.cfg.Logger, HTTPClient: callClient()}
	if c.cfg.SchedulerConfig != nil {
		c.cfg.SchedulerConfig(&sc)
	}
	// The loop acknowledges updates itself, once they are persisted (acks.go).
	sc.ManualAcknowledge = true
	cl, err := scheduler.New(sc, c.handler())
	if err != nil {
		return err
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	ob := newOutbox(cl, c.log, c.post)
	go ob.run(runCtx)
	ak := newAcker(cl, c.log)
	go ak.run(runCtx)
	if err := c.do(ctx, func() { c.client, c.out, c.ack = cl, ob, ak }); err != nil {
		return err
	}
	err = cl.Run(runCtx)
	cancel()
	_ = c.do(context.Background(), c.stopLeading)
	if err != nil && ctx.Err() == nil {
		c.log.Error("subscription ended", zap.Error(err))
		return err
	}
	return nil
}

// stopLeading forgets the state: a standby serves nothing but proxies.
func (c *Core) stopLeading() {
	if !c.leader {
		return
	}
	c.leader, c.connected = false, false
	c.client, c.out, c.ack = nil, nil, nil
	c.reset()
	c.calls, c.acks, c.unsettled, c.unprogressed = nil, nil, nil, false
}

// handler turns SDK events into loop requests. Each waits for its batch,
// so an update is acknowledged only once it has been applied.
func (c *Core) handler() scheduler.Handler {
	return scheduler.Callbacks{
		Subscribed: func(ctx context.Context, _ *scheduler.Client, s *schedpb.Event_Subscribed) error {
			return c.do(ctx, func() { c.subscribed(s.GetFrameworkId().GetValue()) })
		},
		Offers: func(ctx context.Context, _ *scheduler.Client, offers []*mesos.Offer) error {
			return c.do(ctx, func() { c.handleOffers(offers) })
		},
		Update: func(ctx context.Context, _ *scheduler.Client, st *mesos.TaskStatus) error {
			return c.postUpdate(ctx, st)
		},
		Failure: func(ctx context.Context, _ *scheduler.Client, f *schedpb.Event_Failure) error {
			c.log.Info("agent or executor failure", zap.String("agent_id", f.GetAgentId().GetValue()),
				zap.String("executor_id", f.GetExecutorId().GetValue()))
			return nil
		},
		Error: func(ctx context.Context, _ *scheduler.Client, message string) error {
			c.log.Error("master sent ERROR", zap.String("message", message))
			return nil
		},
	}
}

// subscribed records the framework ID and reconciles: explicitly for the
// tasks known, implicitly to learn of tasks not known (killed as orphans).
func (c *Core) subscribed(id string) {
	c.log.Info("subscribed", zap.String("framework_id", id))
	if id != c.frameworkID {
		c.frameworkID = id
		c.putKey(keyFrameworkID, []byte(id))
	}
	c.suppressed = false
	c.demand = true
	c.connected = true
	c.reconcile()
	c.enqueue(call{name: "RECONCILE (implicit)", fn: func(ctx context.Context, cl *scheduler.Client) error {
		return cl.Reconcile(ctx)
	}})
	c.dirty = true
}

// reconcile asks for the latest status of every known task.
func (c *Core) reconcile() {
	c.nextRecon = c.now().Add(c.cfg.ReconcileInterval)
	if len(c.tasks) == 0 {
		return
	}
	ts := make([]*schedpb.Call_Reconcile_Task, 0, len(c.tasks))
	for _, t := range c.tasks {
		rt := &schedpb.Call_Reconcile_Task{TaskId: &mesos.TaskID{Value: proto.String(t.ID)}}
		if t.AgentID != "" {
			rt.AgentId = &mesos.AgentID{Value: proto.String(t.AgentID)}
		}
		ts = append(ts, rt)
	}
	c.enqueue(call{name: "RECONCILE", fn: func(ctx context.Context, cl *scheduler.Client) error {
		return cl.Reconcile(ctx, ts...)
	}})
}

func (c *Core) enqueue(cl call) { c.calls = append(c.calls, cl) }

// Info describes this replica.
func (c *Core) Info() state.Info {
	s := c.snap.Load()
	info := state.Info{
		Name:        FrameworkName,
		Version:     c.cfg.Version,
		FrameworkID: s.frameworkID,
		HTTPPort:    c.cfg.HTTPPort,
		ZK:          c.cfg.ZK,
		Master:      c.cfg.Master,
		StartedAt:   c.start,
	}
	c.elMu.Lock()
	el := c.elector
	c.elMu.Unlock()
	switch {
	case c.cfg.NewElector == nil:
		info.Elected, info.Leader = s.leader, c.cfg.Advertise
		if !s.leader {
			info.Leader = ""
		}
	case el != nil:
		info.Elected = el.IsLeader()
		if data, ok := el.Leader(); ok {
			info.Leader = string(data)
		}
	}
	return info
}

// LeaderURL is the leader's API base URL ("https://host:port" with
// Config.Scheme https), for proxying from a standby.
func (c *Core) LeaderURL() (string, bool) {
	l := c.Info().Leader
	if l == "" {
		return "", false
	}
	return c.cfg.Scheme + "://" + l, true
}

// IsLeader reports whether this replica leads (and has loaded its state).
func (c *Core) IsLeader() bool { return c.snap.Load().leader }

// Abdicate gives up leadership; another replica (or this one again) is
// elected.
func (c *Core) Abdicate() error {
	c.elMu.Lock()
	defer c.elMu.Unlock()
	if c.cfg.NewElector == nil {
		return &state.ConflictError{Message: "leader election is not configured (start with --zk to run several replicas)"}
	}
	if c.elector == nil || c.abdicate == nil || !c.elector.IsLeader() {
		return &state.NotLeaderError{}
	}
	c.abdicate()
	return nil
}

// callClient is the HTTP client of the scheduler's calls: acknowledgements
// go out ackConcurrency at a time, so it keeps that many connections to
// the master open rather than dialing one per call.
func callClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = ackConcurrency + 4
	return &http.Client{Transport: t}
}
