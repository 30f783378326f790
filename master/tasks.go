package master

import (
	"go.uber.org/zap"

	"github.com/agoraproject/agora/master/cluster"
	"github.com/agoraproject/agora/proto/agora/agentpb"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	"github.com/agoraproject/agora/proto/mesos/v1/scheduler"
	"github.com/agoraproject/agora/proto/resources"
)

// updateTask applies a status to a task if the transition is legal, and
// releases the task's resources when it ends (recover says whether they go
// back to the allocator; not when the agent was already removed from it).
func (m *Master) updateTask(f *frameworkRecord, t *taskRecord, status *mesos.TaskStatus, recover bool) bool {
	if !cluster.ValidTransition(t.state, status.GetState()) {
		m.metrics.invalidStatusUpdates++
		return false
	}
	m.metrics.validStatusUpdates++
	m.metrics.countState(status.GetState())
	t.state = status.GetState()
	a := m.agents[t.agentID]
	t.statuses = appendStatus(t.statuses, KeepStatus(status, t.ids()))
	f.taskChanged(t)
	m.publishTaskUpdated(t, status)
	if !cluster.IsTerminal(t.state) {
		return true
	}
	release := t.resources
	if t.executor != nil {
		if heir := m.executorHeir(f, t.agentID, t.executorID, t); heir != nil {
			heir.executor = t.executor
			f.taskChanged(heir)
		} else {
			release = resources.Add(release, t.executor.resources)
		}
		t.executor = nil
	}
	if recover && a != nil && a.state != agentUnreachable {
		m.alloc.Recover(f.id, t.agentID, release, 0, m.cfg.Clock.Now())
		m.dirtyAgents[t.agentID] = struct{}{}
	}
	if a != nil {
		delete(a.tasks, t)
	}
	delete(f.tasks, t.id)
	f.completed = append(f.completed, t)
	if over := len(f.completed) - m.cfg.MaxCompletedTasksPerFramework; over > 0 {
		f.completed = append([]*taskRecord(nil), f.completed[over:]...)
	}
	return true
}

// forward sends a status update to its framework.
func (m *Master) forward(f *frameworkRecord, status *mesos.TaskStatus) bool {
	return m.sendFramework(f, &scheduler.Event{
		Type:   scheduler.Event_UPDATE.Enum(),
		Update: &scheduler.Event_Update{Status: status},
	})
}

// agentUpdate handles a status update reported by an agent.
func (m *Master) agentUpdate(a *agentRecord, upd *agentpb.Call_Update) {
	status := upd.GetStatus()
	fwID := upd.GetFrameworkId().GetValue()
	if status.AgentId == nil {
		status.AgentId = &mesos.AgentID{Value: strPtr(a.id)}
	}
	f := m.frameworks[fwID]
	if f == nil {
		// Nobody will acknowledge this update; do it on the framework's
		// behalf so the agent stops retrying.
		if len(status.GetUuid()) > 0 {
			m.sendAgent(a, ackEvent(fwID, status.GetTaskId().GetValue(), status.GetUuid()))
		}
		return
	}
	if t := f.tasks[status.GetTaskId().GetValue()]; t != nil && t.agentID == a.id {
		if !m.updateTask(f, t, status, true) {
			m.log.Debug("status update does not change task state",
				zap.String("task_id", t.id), zap.Stringer("from", t.state), zap.Stringer("to", status.GetState()))
		}
	}
	m.forward(f, status)
}

func ackEvent(frameworkID, taskID string, uuid []byte) *agentpb.Event {
	return &agentpb.Event{
		Type: agentpb.Event_ACKNOWLEDGE.Enum(),
		Acknowledge: &agentpb.Event_Acknowledge{
			FrameworkId: &mesos.FrameworkID{Value: &frameworkID},
			TaskId:      &mesos.TaskID{Value: &taskID},
			Uuid:        uuid,
		},
	}
}

// masterStatus builds a status the master itself generates.
func (m *Master) masterStatus(t *taskRecord, state mesos.TaskState, reason mesos.TaskStatus_Reason, msg string) *mesos.TaskStatus {
	s := &mesos.TaskStatus{
		TaskId:    &mesos.TaskID{Value: strPtr(t.id)},
		State:     state.Enum(),
		Message:   strPtr(msg),
		Source:    mesos.TaskStatus_SOURCE_MASTER.Enum(),
		Reason:    reason.Enum(),
		AgentId:   &mesos.AgentID{Value: strPtr(t.agentID)},
		Timestamp: float64Ptr(float64(m.cfg.Clock.Now().UnixNano()) / 1e9),
	}
	if t.executorID != "" {
		s.ExecutorId = &mesos.ExecutorID{Value: strPtr(t.executorID)}
	}
	return s
}

// reportedStatus is the status a reregistering agent reports for a task.
func (m *Master) reportedStatus(t *mesos.Task, agentID string) *mesos.TaskStatus {
	if n := len(t.GetStatuses()); n > 0 {
		return t.GetStatuses()[n-1]
	}
	return &mesos.TaskStatus{
		TaskId:    t.GetTaskId(),
		State:     t.GetState().Enum(),
		Source:    mesos.TaskStatus_SOURCE_AGENT.Enum(),
		AgentId:   &mesos.AgentID{Value: strPtr(agentID)},
		Timestamp: float64Ptr(float64(m.cfg.Clock.Now().UnixNano()) / 1e9),
	}
}

// kill asks a task's agent to kill it; an unknown task is answered the way
// reconciliation answers it.
func (m *Master) kill(f *frameworkRecord, k *scheduler.Call_Kill) {
	id := k.GetTaskId().GetValue()
	t := f.tasks[id]
	if t == nil {
		m.forward(f, m.unknownTaskStatus(f, id, k.GetAgentId().GetValue()))
		return
	}
	a := m.agents[t.agentID]
	if a == nil {
		return
	}
	if a.conn == nil {
		// As in Mesos, the kill is retried when the agent reregisters.
		if a.pendingKills == nil {
			a.pendingKills = map[taskKey]*mesos.KillPolicy{}
		}
		a.pendingKills[taskKey{f.id, id}] = k.GetKillPolicy()
		m.log.Info("kill deferred: agent not connected", zap.String("task_id", id), zap.String("agent_id", t.agentID))
		return
	}
	m.sendAgent(a, killTaskEvent(f.id, id, k.GetKillPolicy()))
}

// unknownTaskStatus answers for a task the master does not know, as Mesos's
// explicit reconciliation does: on a registered agent the task is GONE, on
// an unreachable one UNREACHABLE, else UNKNOWN; TASK_LOST for frameworks
// that are not partition-aware.
func (m *Master) unknownTaskStatus(f *frameworkRecord, taskID, agentID string) *mesos.TaskStatus {
	for _, t := range f.completed {
		if latest := t.latest(); t.id == taskID && latest != nil {
			return reconciled(latest.Proto(t.ids()))
		}
	}
	state, msg := mesos.TaskState_TASK_UNKNOWN, "Reconciliation: Task is unknown"
	if a := m.agents[agentID]; a != nil && a.state == agentUnreachable {
		state, msg = mesos.TaskState_TASK_UNREACHABLE, "Reconciliation: Task is unreachable"
	} else if a != nil {
		state, msg = mesos.TaskState_TASK_GONE, "Reconciliation: Task is unknown to the agent"
	}
	if !f.partitionAware {
		state = mesos.TaskState_TASK_LOST
	}
	s := &mesos.TaskStatus{
		TaskId:    &mesos.TaskID{Value: strPtr(taskID)},
		State:     state.Enum(),
		Message:   strPtr(msg),
		Source:    mesos.TaskStatus_SOURCE_MASTER.Enum(),
		Reason:    mesos.TaskStatus_REASON_RECONCILIATION.Enum(),
		Timestamp: float64Ptr(float64(m.cfg.Clock.Now().UnixNano()) / 1e9),
	}
	if agentID != "" {
		s.AgentId = &mesos.AgentID{Value: strPtr(agentID)}
	}
	return s
}

// reconciled is a copy of a task's latest status as reconciliation reports
// it: from the master, without a uuid, so it needs no acknowledgement.
func reconciled(latest *mesos.TaskStatus) *mesos.TaskStatus {
	return &mesos.TaskStatus{
		TaskId:          latest.TaskId,
		State:           latest.State,
		Message:         strPtr("Reconciliation: Latest task state"),
		Source:          mesos.TaskStatus_SOURCE_MASTER.Enum(),
		Reason:          mesos.TaskStatus_REASON_RECONCILIATION.Enum(),
		AgentId:         latest.AgentId,
		ExecutorId:      latest.ExecutorId,
		Timestamp:       latest.Timestamp,
		Healthy:         latest.Healthy,
		Labels:          latest.Labels,
		ContainerStatus: latest.ContainerStatus,
	}
}

// reconcile answers RECONCILE: all known tasks when none are named.
func (m *Master) reconcile(f *frameworkRecord, r *scheduler.Call_Reconcile) {
	if len(r.GetTasks()) == 0 {
		for _, t := range f.tasks {
			m.forward(f, reconciled(m.latestOf(t)))
		}
		return
	}
	for _, rt := range r.GetTasks() {
		id := rt.GetTaskId().GetValue()
		if t := f.tasks[id]; t != nil {
			m.forward(f, reconciled(m.latestOf(t)))
			continue
		}
		m.forward(f, m.unknownTaskStatus(f, id, rt.GetAgentId().GetValue()))
	}
}

func (m *Master) latestOf(t *taskRecord) *mesos.TaskStatus {
	if latest := t.latest(); latest != nil {
		return latest.Proto(t.ids())
	}
	return m.masterStatus(t, t.state, mesos.TaskStatus_REASON_RECONCILIATION, "")
}

// taskRole is the role a task's resources are allocated to.
func taskRole(res []*mesos.Resource, f *frameworkRecord) string {
	for _, r := range res {
		if role := r.GetAllocationInfo().GetRole(); role != "" {
			return role
		}
	}
	if len(f.roles) > 0 {
		return f.roles[0]
	}
	return "*"
}
