package sdktest

import (
	"bytes"
	"fmt"
	"net/http"

	"google.golang.org/protobuf/proto"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	schedpb "github.com/agoraproject/agora/proto/mesos/v1/scheduler"
	"github.com/agoraproject/agora/proto/resources"
)

// handleCall applies one non-SUBSCRIBE call and returns the HTTP status and
// message to answer with.
func (m *Master) handleCall(streamID string, call *schedpb.Call) (int, string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case streamID == "":
		return http.StatusBadRequest, "All non-subscribe calls should include the 'Mesos-Stream-Id' header"
	case m.sub == nil || m.fw == nil || call.GetFrameworkId().GetValue() != m.fw.GetId().GetValue():
		return http.StatusBadRequest, "Framework is not subscribed"
	case streamID != m.sub.id:
		return http.StatusBadRequest, fmt.Sprintf("The stream ID '%s' included in this request didn't match the stream ID currently associated with framework ID %s", streamID, m.fw.GetId().GetValue())
	}
	m.calls = append(m.calls, proto.Clone(call).(*schedpb.Call))
	defer m.notifyLocked()
	// Offers go out once the call has been applied in full, so an offer
	// never shows resources that a task of the same ACCEPT is about to use.
	defer m.autoOfferLocked()

	switch call.GetType() {
	case schedpb.Call_ACCEPT:
		m.acceptLocked(call.GetAccept())
	case schedpb.Call_DECLINE:
		d := call.GetDecline()
		m.returnOffersLocked(d.GetOfferIds(), d.GetFilters())
	case schedpb.Call_ACKNOWLEDGE:
		m.acknowledgeLocked(call.GetAcknowledge())
	case schedpb.Call_RECONCILE:
		m.reconcileLocked(call.GetReconcile().GetTasks())
	case schedpb.Call_KILL:
		m.killLocked(call.GetKill().GetTaskId())
	case schedpb.Call_SUPPRESS:
		m.suppressed = true
	case schedpb.Call_REVIVE:
		m.suppressed = false
		for _, a := range m.agents {
			a.refused = false
		}
	case schedpb.Call_TEARDOWN:
		m.teardownLocked()
	case schedpb.Call_MESSAGE, schedpb.Call_SHUTDOWN, schedpb.Call_REQUEST:
		// Recorded only: the fake has no executors.
	default:
		m.calls = m.calls[:len(m.calls)-1]
		return http.StatusNotImplemented, fmt.Sprintf("sdktest: %s is not implemented by the fake master", call.GetType())
	}
	return http.StatusAccepted, ""
}

// acceptLocked consumes the offers and launches what fits, reporting each
// task that cannot run with a master-generated update (no uuid), as Mesos
// does.
func (m *Master) acceptLocked(acc *schedpb.Call_Accept) {
	var ag *agent
	var avail []*mesos.Resource
	invalid := ""
	if len(acc.GetOfferIds()) == 0 {
		invalid = "No offer IDs given"
	}
	for _, id := range acc.GetOfferIds() {
		o := m.offers[id.GetValue()]
		switch {
		case o == nil:
			invalid = fmt.Sprintf("Offer %s is no longer valid", id.GetValue())
			continue
		case ag != nil && ag.id != o.GetAgentId().GetValue():
			invalid = "Aggregated offers must belong to one agent"
		}
		ag = m.agentLocked(o.GetAgentId().GetValue())
		avail = resources.Add(avail, o.GetResources())
	}
	m.returnOffersLocked(acc.GetOfferIds(), acc.GetFilters())
	for _, op := range acc.GetOperations() {
		switch op.GetType() {
		case mesos.Offer_Operation_LAUNCH:
			for _, t := range op.GetLaunch().GetTaskInfos() {
				avail = m.launchLocked(ag, avail, invalid, t, t.GetResources())
			}
		case mesos.Offer_Operation_LAUNCH_GROUP:
			lg := op.GetLaunchGroup()
			exec := lg.GetExecutor().GetResources()
			for i, t := range lg.GetTaskGroup().GetTasks() {
				need := t.GetResources()
				if i == 0 { // the executor's resources are taken once per group
					need = resources.Add(exec, need)
				}
				avail = m.launchLocked(ag, avail, invalid, t, need)
			}
		}
	}
}

// returnOffersLocked removes offers from the book; a refuse filter (the
// default one included) keeps the agent from being re-offered until
// something changes.
func (m *Master) returnOffersLocked(ids []*mesos.OfferID, f *mesos.Filters) {
	filtered := f.GetRefuseSeconds() > 0 || f == nil || f.RefuseSeconds == nil
	for _, id := range ids {
		o := m.offers[id.GetValue()]
		if o == nil {
			continue
		}
		delete(m.offers, id.GetValue())
		a := m.agentLocked(o.GetAgentId().GetValue())
		a.offer = ""
		a.refused = filtered
	}
}

// launchLocked starts t on ag with need taken from avail and returns what
// is left of avail.
func (m *Master) launchLocked(ag *agent, avail []*mesos.Resource, invalid string, t *mesos.TaskInfo, need []*mesos.Resource) []*mesos.Resource {
	id := t.GetTaskId().GetValue()
	reject := func(state mesos.TaskState, reason mesos.TaskStatus_Reason, msg string) []*mesos.Resource {
		st := m.statusLocked(t.GetTaskId(), t.GetAgentId(), state, msg)
		st.Source = mesos.TaskStatus_SOURCE_MASTER.Enum()
		st.Reason = reason.Enum()
		m.sendLocked(updateEvent(st))
		return avail
	}
	if invalid != "" {
		return reject(m.lostState(), mesos.TaskStatus_REASON_INVALID_OFFERS, invalid)
	}
	switch {
	case id == "":
		return reject(mesos.TaskState_TASK_ERROR, mesos.TaskStatus_REASON_TASK_INVALID, "Task has no task_id")
	case m.tasks[id] != nil && !terminal(m.tasks[id].state):
		return reject(mesos.TaskState_TASK_ERROR, mesos.TaskStatus_REASON_TASK_INVALID, "Task has duplicate ID: "+id)
	case t.GetAgentId().GetValue() != ag.id:
		return reject(mesos.TaskState_TASK_ERROR, mesos.TaskStatus_REASON_TASK_INVALID,
			fmt.Sprintf("Task uses agent %s but the offer is for agent %s", t.GetAgentId().GetValue(), ag.id))
	case len(need) == 0:
		return reject(mesos.TaskState_TASK_ERROR, mesos.TaskStatus_REASON_TASK_INVALID, "Task uses no resources")
	case !resources.Contains(avail, need):
		return reject(mesos.TaskState_TASK_ERROR, mesos.TaskStatus_REASON_TASK_INVALID,
			fmt.Sprintf("Task uses more resources %s than available %s", resources.String(need), resources.String(avail)))
	}
	avail = resources.Subtract(avail, need)
	tk := &task{info: proto.Clone(t).(*mesos.TaskInfo), agent: ag, resources: resources.StripAllocation(need)}
	m.tasks[id] = tk
	ag.used = resources.Add(ag.used, tk.resources)
	m.transitionLocked(tk, mesos.TaskState_TASK_RUNNING, "")
	if state, msg := m.opts.TaskResult(t); state != mesos.TaskState_TASK_RUNNING {
		m.transitionLocked(tk, state, msg)
	}
	return avail
}

// transitionLocked moves tk to state and sends the update with a uuid,
// keeping it for resending until acknowledged. Leaving a terminal state,
// or entering one twice, is refused: states only move forward.
func (m *Master) transitionLocked(tk *task, state mesos.TaskState, msg string) bool {
	if terminal(tk.state) {
		return false
	}
	tk.state = state
	st := m.statusLocked(tk.info.GetTaskId(), tk.info.GetAgentId(), state, msg)
	st.Source = mesos.TaskStatus_SOURCE_EXECUTOR.Enum()
	st.Uuid = newUUIDBytes()
	m.unacked = append(m.unacked, st)
	m.sendLocked(updateEvent(st))
	if terminal(state) {
		tk.agent.used = resources.Subtract(tk.agent.used, tk.resources)
		tk.agent.refused = false // freed resources clear filters in this fake
	}
	return true
}

func (m *Master) acknowledgeLocked(ack *schedpb.Call_Acknowledge) {
	m.acks = append(m.acks, proto.Clone(ack).(*schedpb.Call_Acknowledge))
	for i, st := range m.unacked {
		if bytes.Equal(st.GetUuid(), ack.GetUuid()) && st.GetTaskId().GetValue() == ack.GetTaskId().GetValue() {
			m.unacked = append(m.unacked[:i], m.unacked[i+1:]...)
			return
		}
	}
}

// reconcileLocked answers with each task's latest state, without a uuid;
// with no tasks given, for every task (implicit reconciliation).
func (m *Master) reconcileLocked(tasks []*schedpb.Call_Reconcile_Task) {
	send := func(id *mesos.TaskID, agentID *mesos.AgentID, state mesos.TaskState) {
		st := m.statusLocked(id, agentID, state, "Reconciliation: latest task status")
		st.Source = mesos.TaskStatus_SOURCE_MASTER.Enum()
		st.Reason = mesos.TaskStatus_REASON_RECONCILIATION.Enum()
		m.sendLocked(updateEvent(st))
	}
	if len(tasks) == 0 {
		for _, tk := range m.tasks {
			if !terminal(tk.state) {
				send(tk.info.GetTaskId(), tk.info.GetAgentId(), tk.state)
			}
		}
		return
	}
	for _, rt := range tasks {
		if tk := m.tasks[rt.GetTaskId().GetValue()]; tk != nil {
			send(tk.info.GetTaskId(), tk.info.GetAgentId(), tk.state)
		} else {
			send(rt.GetTaskId(), rt.GetAgentId(), m.unknownState())
		}
	}
}

func (m *Master) killLocked(id *mesos.TaskID) {
	if tk := m.tasks[id.GetValue()]; tk != nil {
		m.transitionLocked(tk, mesos.TaskState_TASK_KILLED, "Killed by the framework")
		return
	}
	st := m.statusLocked(id, nil, m.unknownState(), "Attempted to kill an unknown task")
	st.Source = mesos.TaskStatus_SOURCE_MASTER.Enum()
	m.sendLocked(updateEvent(st))
}

func (m *Master) statusLocked(id *mesos.TaskID, agentID *mesos.AgentID, state mesos.TaskState, msg string) *mesos.TaskStatus {
	st := &mesos.TaskStatus{
		TaskId:    proto.Clone(id).(*mesos.TaskID),
		State:     state.Enum(),
		Timestamp: proto.Float64(float64(nowUnixNano()) / 1e9),
	}
	if agentID != nil {
		st.AgentId = proto.Clone(agentID).(*mesos.AgentID)
	}
	if msg != "" {
		st.Message = proto.String(msg)
	}
	return st
}

// lostState and unknownState are what Mesos reports for tasks it cannot
// launch or does not know, which depends on PARTITION_AWARE.
func (m *Master) lostState() mesos.TaskState {
	if m.partitionAware() {
		return mesos.TaskState_TASK_DROPPED
	}
	return mesos.TaskState_TASK_LOST
}

func (m *Master) unknownState() mesos.TaskState {
	if m.partitionAware() {
		return mesos.TaskState_TASK_UNKNOWN
	}
	return mesos.TaskState_TASK_LOST
}

func (m *Master) partitionAware() bool {
	return m.hasCapability(mesos.FrameworkInfo_Capability_PARTITION_AWARE)
}

func (m *Master) hasCapability(c mesos.FrameworkInfo_Capability_Type) bool {
	for _, have := range m.fw.GetCapabilities() {
		if have.GetType() == c {
			return true
		}
	}
	return false
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
