package agent

import (
	"time"

	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/proto/agora/agentpb"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// EXECUTOR_EXITED is the only word the master gets that an executor's
// resources are free, so unlike other calls it is not fire and forget: a
// report stays pending until the master has answered 202, and is sent
// again every exitRetry while the agent is subscribed (a report may race
// with a resubscription whose SUBSCRIBE still listed the executor).

const exitRetry = time.Second

type exitReports struct {
	pending []*exitReport
	next    time.Time // when pending reports are (re)sent; zero: at once
}

type exitReport struct {
	call     *agentpb.Call_ExecutorExited
	inFlight bool
}

// exitDelivered is the outcome of one attempt.
type exitDelivered struct {
	report *exitReport
	ok     bool
}

func (m exitDelivered) apply(a *Agent) {
	m.report.inFlight = false
	if !m.ok {
		return
	}
	for i, r := range a.exits.pending {
		if r == m.report {
			a.exits.pending = append(a.exits.pending[:i:i], a.exits.pending[i+1:]...)
			return
		}
	}
}

// exitsDeadline is when pending reports are due, if any can be sent.
func (a *Agent) exitsDeadline() (time.Time, bool) {
	return a.exits.next, len(a.exits.pending) > 0 && a.sess.subscribed && a.sess.endpoint != nil
}

// sendExits (re)sends the pending reports that are not in flight.
func (a *Agent) sendExits(now time.Time) {
	at, ok := a.exitsDeadline()
	if !ok || now.Before(at) {
		return
	}
	a.exits.next = now.Add(exitRetry)
	endpoint, streamID, ctx := a.sess.endpoint, a.sess.streamID, a.runCtx
	for _, r := range a.exits.pending {
		if r.inFlight {
			continue
		}
		r.inFlight = true
		call := &agentpb.Call{
			Type:           agentpb.Call_EXECUTOR_EXITED.Enum(),
			AgentId:        &mesos.AgentID{Value: proto.String(a.ID())},
			ExecutorExited: r.call,
		}
		go func(r *exitReport) {
			err := a.master.send(ctx, endpoint, streamID, call)
			if err != nil && ctx.Err() == nil {
				a.log.Warn("reporting an exited executor failed; retrying", zap.String("executor_id", r.call.GetExecutorId().GetValue()), zap.Error(err))
			}
			a.post(exitDelivered{report: r, ok: err == nil})
		}(r)
	}
}
