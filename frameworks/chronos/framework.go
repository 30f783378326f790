package chronos

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/frameworks/chronos/runner"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	schedpb "github.com/agoraproject/agora/proto/mesos/v1/scheduler"
	"github.com/agoraproject/agora/sdk/scheduler"
)

// Framework is one Chronos replica's scheduler. Create it with New, drive
// it with Run (while leading); the API methods are safe from any goroutine.
type Framework struct {
	cfg  Config
	log  *zap.Logger
	core *runner.Core

	reqs  chan request
	calls chan func(context.Context, *scheduler.Client)
	// ready is closed once Run has loaded the stored state; API requests
	// wait for it.
	ready chan struct{}

	// Owned by the loop goroutine.
	client     *scheduler.Client
	suppressed bool
	subscribed bool
}

// request is work for the loop: fn runs on the loop goroutine with the
// current time; done receives its error once the state it changed is
// persisted.
type request struct {
	fn   func(now time.Time) error
	done chan error
}

// New checks cfg and returns a framework that has not started.
func New(cfg Config) (*Framework, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	return &Framework{
		cfg:   cfg,
		log:   cfg.Logger.Named("chronos"),
		core:  runner.New(cfg.Runner),
		reqs:  make(chan request),
		calls: make(chan func(context.Context, *scheduler.Client), 1024),
		ready: make(chan struct{}),
	}, nil
}

// Run loads the stored state, subscribes to the master and runs jobs until
// ctx ends or the subscription fails for good.
func (f *Framework) Run(ctx context.Context) error {
	now := f.cfg.Clock.Now()
	fwID, err := f.load(ctx, now)
	if err != nil {
		return err
	}
	client, err := scheduler.New(f.schedulerConfig(fwID), scheduler.HandlerFunc(f.handleEvent))
	if err != nil {
		return err
	}
	f.client = client
	close(f.ready)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 2)
	go func() { errc <- client.Run(ctx) }()
	go f.caller(ctx, client)
	loopErr := f.loop(ctx, errc)
	cancel()
	return loopErr
}

func (f *Framework) schedulerConfig(fwID string) scheduler.Config {
	fi := &mesos.FrameworkInfo{
		User:            proto.String(f.cfg.User),
		Name:            proto.String(f.cfg.Name),
		Roles:           []string{f.cfg.Role},
		FailoverTimeout: proto.Float64(f.cfg.FailoverTimeout.Seconds()),
		Checkpoint:      proto.Bool(true),
		Capabilities: []*mesos.FrameworkInfo_Capability{
			{Type: mesos.FrameworkInfo_Capability_MULTI_ROLE.Enum()},
		},
	}
	if f.cfg.Hostname != "" {
		fi.Hostname = proto.String(f.cfg.Hostname)
	}
	if f.cfg.WebURL != "" {
		fi.WebuiUrl = proto.String(f.cfg.WebURL)
	}
	if fwID != "" {
		fi.Id = &mesos.FrameworkID{Value: proto.String(fwID)}
	}
	sc := scheduler.Config{Master: f.cfg.Master, Framework: fi, Logger: f.cfg.Logger}
	if f.cfg.Scheduler != nil {
		f.cfg.Scheduler(&sc)
	}
	return sc
}

// loop owns the core: it runs requests and fires the timer.
func (f *Framework) loop(ctx context.Context, errc <-chan error) error {
	timer := f.cfg.Clock.NewTimer(time.Hour)
	defer timer.Stop()
	f.arm(timer)
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-errc:
			if err != nil && !errors.Is(err, context.Canceled) {
				return fmt.Errorf("chronos: scheduler: %w", err)
			}
			return nil
		case r := <-f.reqs:
			err := r.fn(f.cfg.Clock.Now())
			f.after(ctx)
			r.done <- err
		case <-timer.C():
			f.core.Tick(f.cfg.Clock.Now())
			f.after(ctx)
		}
		f.arm(timer)
	}
}

// arm sets the timer for the core's next wake-up. Long waits are capped
// so a clock that jumps (suspend, NTP) is noticed within a minute.
func (f *Framework) arm(t scheduler.Timer) {
	d := time.Minute
	if at, ok := f.core.NextWake(); ok {
		d = min(max(at.Sub(f.cfg.Clock.Now()), 0), time.Minute)
	}
	t.Stop()
	t.Reset(d)
}

// after persists what changed and asks for offers when runs wait.
func (f *Framework) after(ctx context.Context) {
	f.persist(ctx)
	if f.subscribed && f.suppressed && f.core.Waiting() {
		f.suppressed = false
		f.call(func(ctx context.Context, c *scheduler.Client) {
			if err := c.Revive(ctx, f.cfg.Role); err != nil {
				f.log.Warn("revive failed", zap.Error(err))
			}
		})
	}
}

// do runs fn on the loop and waits for it (and its persistence).
func (f *Framework) do(ctx context.Context, fn func(now time.Time) error) error {
	select {
	case <-f.ready:
	case <-ctx.Done():
		return ctx.Err()
	}
	r := request{fn: fn, done: make(chan error, 1)}
	select {
	case f.reqs <- r:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-r.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// call queues a call to the master, made in order by the caller goroutine.
func (f *Framework) call(fn func(context.Context, *scheduler.Client)) {
	select {
	case f.calls <- fn:
	default:
		f.log.Warn("call queue full; dropping a call (reconciliation recovers)")
	}
}

func (f *Framework) caller(ctx context.Context, c *scheduler.Client) {
	for {
		select {
		case <-ctx.Done():
			return
		case fn := <-f.calls:
			fn(ctx, c)
		}
	}
}

// enqueueDecisions turns the core's kills and reconciliations into calls.
func (f *Framework) enqueueDecisions(ds []runner.Decision) {
	for _, d := range ds {
		taskID := &mesos.TaskID{Value: proto.String(d.TaskID)}
		var agentID *mesos.AgentID
		if d.AgentID != "" {
			agentID = &mesos.AgentID{Value: proto.String(d.AgentID)}
		}
		switch d.Kind {
		case runner.Kill:
			f.log.Info("killing task", zap.String("task_id", d.TaskID))
			f.call(func(ctx context.Context, c *scheduler.Client) {
				if err := c.Kill(ctx, taskID, agentID); err != nil {
					f.log.Warn("kill failed", zap.String("task_id", d.TaskID), zap.Error(err))
				}
			})
		case runner.Reconcile:
			f.call(func(ctx context.Context, c *scheduler.Client) {
				if err := c.Reconcile(ctx, &schedpb.Call_Reconcile_Task{TaskId: taskID, AgentId: agentID}); err != nil {
					f.log.Warn("reconcile failed", zap.String("task_id", d.TaskID), zap.Error(err))
				}
			})
		}
	}
}
