package master

import (
	"context"
	"slices"

	"go.uber.org/zap"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	"github.com/agoraproject/agora/proto/mesos/v1/scheduler"
)

// FrameworkCall handles a scheduler call other than SUBSCRIBE. streamID is
// the Mesos-Stream-Id header of the request.
func (m *Master) FrameworkCall(ctx context.Context, streamID string, call *scheduler.Call) error {
	if err := validateCall(call); err != nil {
		return err
	}
	id := call.GetFrameworkId().GetValue()
	var refused error
	err := m.do(ctx, func() {
		f := m.frameworks[id]
		switch {
		case f == nil:
			refused = invalidf("Framework %s cannot be found", id)
			return
		case f.conn == nil:
			refused = forbiddenf("Framework %s is not subscribed", id)
			return
		case f.conn.streamID != streamID:
			refused = invalidf("The stream ID '%s' included in this request didn't match the stream ID currently associated with framework ID %s", streamID, id)
			return
		}
		m.metrics.countCall(call.GetType())
		m.dispatch(f, call)
	})
	if err != nil {
		return err
	}
	return refused
}

// validateCall checks a call's shape before it reaches the loop.
func validateCall(call *scheduler.Call) error {
	if call.Type == nil || call.GetType() == scheduler.Call_UNKNOWN {
		return invalidf("Expecting 'type' to be present")
	}
	if call.GetFrameworkId().GetValue() == "" {
		return invalidf("Expecting 'framework_id' to be present")
	}
	need := func(ok bool, field string) error {
		if !ok {
			return invalidf("Expecting '%s' to be present", field)
		}
		return nil
	}
	switch call.GetType() {
	case scheduler.Call_SUBSCRIBE:
		return invalidf("SUBSCRIBE must be the first call on a new connection, not carry a Mesos-Stream-Id")
	case scheduler.Call_ACCEPT:
		return need(call.Accept != nil, "accept")
	case scheduler.Call_DECLINE:
		return need(call.Decline != nil, "decline")
	case scheduler.Call_KILL:
		return need(call.GetKill().GetTaskId().GetValue() != "", "kill.task_id")
	case scheduler.Call_SHUTDOWN:
		return need(call.GetShutdown().GetExecutorId().GetValue() != "" && call.GetShutdown().GetAgentId().GetValue() != "", "shutdown")
	case scheduler.Call_ACKNOWLEDGE:
		ack := call.GetAcknowledge()
		if err := need(ack != nil, "acknowledge"); err != nil {
			return err
		}
		if len(ack.GetUuid()) != 16 {
			return invalidf("'acknowledge.uuid' must be a 16-byte UUID, got %d bytes", len(ack.GetUuid()))
		}
		return need(ack.GetTaskId().GetValue() != "" && ack.GetAgentId().GetValue() != "", "acknowledge.task_id' and 'acknowledge.agent_id")
	case scheduler.Call_RECONCILE:
		return need(call.Reconcile != nil, "reconcile")
	case scheduler.Call_MESSAGE:
		msg := call.GetMessage()
		return need(msg.GetAgentId().GetValue() != "" && msg.GetExecutorId().GetValue() != "", "message.agent_id' and 'message.executor_id")
	case scheduler.Call_REQUEST:
		return need(call.Request != nil, "request")
	case scheduler.Call_UPDATE_FRAMEWORK:
		return need(call.GetUpdateFramework().GetFrameworkInfo() != nil, "update_framework.framework_info")
	case scheduler.Call_TEARDOWN, scheduler.Call_REVIVE, scheduler.Call_SUPPRESS,
		scheduler.Call_ACCEPT_INVERSE_OFFERS, scheduler.Call_DECLINE_INVERSE_OFFERS,
		scheduler.Call_ACKNOWLEDGE_OPERATION_STATUS, scheduler.Call_RECONCILE_OPERATIONS:
		return nil
	}
	return invalidf("Unknown call type %d", int32(call.GetType()))
}

func (m *Master) dispatch(f *frameworkRecord, call *scheduler.Call) {
	switch call.GetType() {
	case scheduler.Call_TEARDOWN:
		m.removeFramework(f, "framework requested teardown")
	case scheduler.Call_ACCEPT:
		a := call.GetAccept()
		m.accept(f, a.GetOfferIds(), a.GetOperations(), a.GetFilters())
	case scheduler.Call_DECLINE:
		d := call.GetDecline()
		m.decline(f, d.GetOfferIds(), d.GetFilters())
	case scheduler.Call_REVIVE:
		roles := call.GetRevive().GetRoles()
		for _, r := range roles {
			delete(f.suppressed, r)
		}
		if len(roles) == 0 {
			f.suppressed = map[string]bool{}
		}
		m.alloc.Revive(f.id, roles)
		m.fullAllocation = true
	case scheduler.Call_SUPPRESS:
		roles := call.GetSuppress().GetRoles()
		if len(roles) == 0 {
			roles = f.roles
		}
		for _, r := range roles {
			if slices.Contains(f.roles, r) {
				f.suppressed[r] = true
			}
		}
		m.alloc.Suppress(f.id, roles)
	case scheduler.Call_KILL:
		m.kill(f, call.GetKill())
	case scheduler.Call_SHUTDOWN:
		m.shutdownExecutor(f, call.GetShutdown())
	case scheduler.Call_ACKNOWLEDGE:
		ack := call.GetAcknowledge()
		if a := m.agents[ack.GetAgentId().GetValue()]; a != nil {
			m.sendAgent(a, ackEvent(f.id, ack.GetTaskId().GetValue(), ack.GetUuid()))
		}
	case scheduler.Call_RECONCILE:
		m.reconcile(f, call.GetReconcile())
	case scheduler.Call_UPDATE_FRAMEWORK:
		m.updateFramework(f, call.GetUpdateFramework())
	case scheduler.Call_MESSAGE:
		m.frameworkMessage(f, call.GetMessage())
	default:
		// REQUEST and the inverse-offer and operation calls are accepted and
		// have no effect, as in Mesos's built-in allocator.
	}
}

// shutdownExecutor asks the agent to stop one executor and its tasks. The
// executor's resources are released when the agent reports it exited.
func (m *Master) shutdownExecutor(f *frameworkRecord, s *scheduler.Call_Shutdown) {
	a := m.agents[s.GetAgentId().GetValue()]
	if a == nil || a.conn == nil {
		m.log.Info("executor shutdown dropped: agent not connected", zap.String("framework_id", f.id),
			zap.String("agent_id", s.GetAgentId().GetValue()), zap.String("executor_id", s.GetExecutorId().GetValue()))
		return
	}
	m.sendAgent(a, shutdownExecutorEvent(f.id, s.GetExecutorId()))
}

// updateFramework applies UPDATE_FRAMEWORK: new roles, capabilities or
// descriptive fields, without resubscribing.
func (m *Master) updateFramework(f *frameworkRecord, u *scheduler.Call_UpdateFramework) {
	info := u.GetFrameworkInfo()
	if info.GetId().GetValue() != f.id {
		m.sendFramework(f, errorEvent("UPDATE_FRAMEWORK: 'framework_info.id' must be "+f.id))
		return
	}
	roles, multi, err := frameworkRoles(info)
	if err == nil {
		_, err = suppressedRoles(u.GetSuppressedRoles(), roles)
	}
	if err != nil {
		m.sendFramework(f, errorEvent("UPDATE_FRAMEWORK: "+err.Error()))
		return
	}
	f.info = cloneFrameworkInfo(info, f.id)
	f.roles, f.multiRole = roles, multi
	f.partitionAware = hasCapability(info, mesos.FrameworkInfo_Capability_PARTITION_AWARE)
	f.killingState = hasCapability(info, mesos.FrameworkInfo_Capability_TASK_KILLING_STATE)
	f.suppressed = map[string]bool{}
	for _, r := range u.GetSuppressedRoles() {
		f.suppressed[r] = true
	}
	m.alloc.UpdateFramework(f.id, roles, u.GetSuppressedRoles())
	m.publishFramework(f, false)
	// Offers allocated to a role the framework left are rescinded.
	now := m.cfg.Clock.Now()
	for _, o := range m.book.ForFramework(f.id) {
		if slices.Contains(roles, o.Role) {
			continue
		}
		m.book.Remove(o.ID)
		m.alloc.RecoverOffer(o.Offer, 0, now)
		m.dirtyAgents[o.AgentID] = struct{}{}
		m.sendFramework(f, rescindEvent(o.ID))
	}
	m.fullAllocation = true
}
