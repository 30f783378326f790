package chronos

import (
	"context"
	"time"

	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/frameworks/chronos/runner"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	schedpb "github.com/agoraproject/agora/proto/mesos/v1/scheduler"
	"github.com/agoraproject/agora/sdk/offers"
	"github.com/agoraproject/agora/sdk/scheduler"
)

// handleEvent runs on the SDK's goroutine. State changes go through the
// loop, which persists them before this returns, so an update is
// acknowledged only once its effect is durable.
func (f *Framework) handleEvent(ctx context.Context, c *scheduler.Client, e *schedpb.Event) error {
	switch e.GetType() {
	case schedpb.Event_SUBSCRIBED:
		id := e.GetSubscribed().GetFrameworkId().GetValue()
		f.saveFrameworkID(ctx, id)
		f.log.Info("subscribed", zap.String("framework_id", id))
		return f.do(ctx, func(time.Time) error {
			f.subscribed, f.suppressed = true, false
			// Whatever was in flight may have ended while we were away.
			f.enqueueDecisions(f.core.InFlight())
			f.suppressIfIdle()
			return nil
		})
	case schedpb.Event_OFFERS:
		return f.offers(ctx, c, e.GetOffers().GetOffers())
	case schedpb.Event_UPDATE:
		st := e.GetUpdate().GetStatus()
		return f.do(ctx, func(now time.Time) error {
			f.enqueueDecisions(f.core.Update(now, statusOf(st)))
			return nil
		})
	case schedpb.Event_HEARTBEAT:
		return f.do(ctx, func(time.Time) error { f.suppressIfIdle(); return nil })
	}
	return nil
}

// suppressIfIdle stops offers while nothing waits; after() revives them.
func (f *Framework) suppressIfIdle() {
	if f.suppressed || f.core.Waiting() {
		return
	}
	f.suppressed = true
	f.call(func(ctx context.Context, c *scheduler.Client) {
		if err := c.Suppress(ctx, f.cfg.Role); err != nil {
			f.log.Warn("suppress failed", zap.Error(err))
		}
	})
}

// launch is one ACCEPT to send: the tasks placed on one offer.
type launch struct {
	offer *mesos.Offer
	tasks []*mesos.TaskInfo
}

// offers places queued runs on the offers. The placement is persisted
// (runs marked launched) before any ACCEPT goes out, so a leader that dies
// in between reconciles those runs instead of launching them twice.
func (f *Framework) offers(ctx context.Context, c *scheduler.Client, os []*mesos.Offer) error {
	var launches []launch
	var declines []*mesos.OfferID
	waiting := false
	err := f.do(ctx, func(now time.Time) error {
		queue := f.core.Queue()
		placed := make([]bool, len(queue))
		for _, o := range os {
			pool := offers.NewPool(o)
			var tasks []*mesos.TaskInfo
			for i, p := range queue {
				if placed[i] {
					continue
				}
				if ok, why := matches(p.Job, o); !ok {
					f.log.Debug("offer refused by a constraint", zap.String("job", p.Job.Name), zap.String("agent", o.GetHostname()), zap.String("constraint", why))
					continue
				}
				rs, ok := pool.Take(f.resourcesOf(p.Job))
				if !ok {
					continue
				}
				placed[i] = true
				agent := runner.Agent{ID: o.GetAgentId().GetValue(), Hostname: o.GetHostname(), URL: agentURL(o)}
				f.core.Launched(now, p.Run.TaskID, agent)
				tasks = append(tasks, f.taskInfo(p.Job, p.Run.TaskID, p.Run.Arguments, o, rs))
			}
			if len(tasks) == 0 {
				declines = append(declines, o.GetId())
				continue
			}
			launches = append(launches, launch{offer: o, tasks: tasks})
		}
		waiting = f.core.Waiting()
		if !waiting {
			f.suppressIfIdle()
		}
		return nil
	})
	if err != nil {
		return err
	}
	refuse := f.cfg.RefuseSeconds
	if !waiting {
		refuse = f.cfg.IdleRefuseSeconds
	}
	filters := &mesos.Filters{RefuseSeconds: proto.Float64(refuse)}
	for _, l := range launches {
		if err := c.Launch(ctx, []*mesos.OfferID{l.offer.GetId()}, l.tasks, filters); err != nil {
			f.log.Warn("launch failed; runs go back to the queue", zap.String("offer_id", l.offer.GetId().GetValue()), zap.Error(err))
			_ = f.do(ctx, func(time.Time) error {
				for _, t := range l.tasks {
					f.core.Unlaunch(t.GetTaskId().GetValue())
				}
				return nil
			})
			continue
		}
		for _, t := range l.tasks {
			f.log.Info("launched", zap.String("task_id", t.GetTaskId().GetValue()), zap.String("agent", l.offer.GetHostname()))
		}
	}
	if len(declines) > 0 {
		if err := c.Decline(ctx, declines, filters); err != nil {
			f.log.Warn("decline failed", zap.Error(err))
		}
	}
	return nil
}

// agentURL is the agent's base URL if the offer says where it listens.
func agentURL(o *mesos.Offer) string {
	a := o.GetUrl().GetAddress()
	if a.GetPort() == 0 {
		return ""
	}
	host := a.GetHostname()
	if host == "" {
		host = a.GetIp()
	}
	return o.GetUrl().GetScheme() + "://" + host + ":" + itoa(int(a.GetPort()))
}

// statusOf reduces a Mesos status to what the runner distinguishes. A
// reconciliation answer that the task is unknown is TaskUnknown, so a
// launch that never reached the master is placed again.
func statusOf(st *mesos.TaskStatus) runner.Status {
	out := runner.Status{
		TaskID: st.GetTaskId().GetValue(), Name: st.GetState().String(),
		Message: st.GetMessage(), AgentID: st.GetAgentId().GetValue(),
	}
	switch st.GetState() {
	case mesos.TaskState_TASK_FINISHED:
		out.State = runner.TaskFinished
	case mesos.TaskState_TASK_STAGING, mesos.TaskState_TASK_STARTING, mesos.TaskState_TASK_RUNNING,
		mesos.TaskState_TASK_KILLING, mesos.TaskState_TASK_UNREACHABLE:
		out.State = runner.TaskRunning
	case mesos.TaskState_TASK_LOST, mesos.TaskState_TASK_GONE, mesos.TaskState_TASK_UNKNOWN, mesos.TaskState_TASK_DROPPED:
		out.State = runner.TaskFailed
		if st.GetReason() == mesos.TaskStatus_REASON_RECONCILIATION {
			out.State = runner.TaskUnknown
		}
	default:
		out.State = runner.TaskFailed
	}
	return out
}
