package master

import (
	"go.uber.org/zap"

	"github.com/agoraproject/agora/master/cluster"
	"github.com/agoraproject/agora/proto/agora/agentpb"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	"github.com/agoraproject/agora/proto/resources"
)

// reconcileAgentTasks merges what a (re)registering agent reports with what
// the master knows. The agent is the authority on what runs; tasks the
// master believes are on the agent but the agent does not report are gone.
func (m *Master) reconcileAgentTasks(a *agentRecord, sub *agentpb.Call_Subscribe) {
	infos := map[string]*mesos.FrameworkInfo{}
	for _, fi := range sub.GetFrameworks() {
		infos[fi.GetId().GetValue()] = fi
	}
	reported := map[taskKey]bool{}
	for _, t := range sub.GetTasks() {
		key := taskKey{t.GetFrameworkId().GetValue(), t.GetTaskId().GetValue()}
		reported[key] = true
		f := m.frameworks[key.framework]
		if f == nil {
			if m.isCompletedFramework(key.framework) {
				m.sendAgent(a, shutdownFrameworkEvent(key.framework))
				continue
			}
			f = m.recoverFramework(key.framework, infos[key.framework])
		}
		if existing := f.tasks[key.task]; existing != nil {
			if existing.state == mesos.TaskState_TASK_UNREACHABLE && t.GetState() != existing.state && !cluster.IsTerminal(t.GetState()) {
				m.updateTask(f, existing, m.reportedStatus(t, a.id), true)
			}
			continue
		}
		if f.completedTask(key.task) {
			// The master already declared this task terminal (for example
			// LOST while its agent was unreachable); it must not keep running.
			m.sendAgent(a, killTaskEvent(f.id, key.task, nil))
			continue
		}
		tr := &taskRecord{
			id: key.task, name: t.GetName(), frameworkID: f.id, agentID: a.id,
			executorID: t.GetExecutorId().GetValue(), info: taskInfoFromTask(t), state: t.GetState(),
		}
		tr.role = taskRole(t.GetResources(), f)
		tr.resources = m.interned.list(resources.AllocateTo(resources.StripAllocation(t.GetResources()), tr.role))
		for _, s := range t.GetStatuses() {
			tr.statuses = appendStatus(tr.statuses, KeepStatus(s, tr.ids()))
		}
		if cluster.IsTerminal(tr.state) {
			// Ended while the master was away; its terminal update is still
			// being retried by the agent.
			f.completed = append(f.completed, tr)
			continue
		}
		f.tasks[key.task] = tr
		f.taskChanged(tr)
		a.tasks[tr] = struct{}{}
		m.publishTaskAdded(tr)
	}
	for t := range a.tasks {
		if reported[taskKey{t.frameworkID, t.id}] {
			continue
		}
		f := m.frameworks[t.frameworkID]
		if f == nil {
			delete(a.tasks, t)
			continue
		}
		state := mesos.TaskState_TASK_LOST
		if f.partitionAware {
			state = mesos.TaskState_TASK_GONE
		}
		status := m.masterStatus(t, state, mesos.TaskStatus_REASON_AGENT_REREGISTERED,
			"Task was not reported by its agent when it reregistered")
		if m.updateTask(f, t, status, false) {
			m.forward(f, status)
		}
	}
}

// recoverFramework creates a record for a framework known only from an
// agent's report; it stays inactive until the framework resubscribes.
func (m *Master) recoverFramework(id string, info *mesos.FrameworkInfo) *frameworkRecord {
	if info == nil {
		info = &mesos.FrameworkInfo{User: strPtr(""), Name: strPtr("")}
	}
	info = cloneFrameworkInfo(info, id)
	roles, multi, err := frameworkRoles(info)
	if err != nil {
		roles, multi = []string{"*"}, false
	}
	now := m.cfg.Clock.Now()
	f := &frameworkRecord{
		id: id, info: info, roles: roles, multiRole: multi, recovered: true,
		partitionAware: hasCapability(info, mesos.FrameworkInfo_Capability_PARTITION_AWARE),
		killingState:   hasCapability(info, mesos.FrameworkInfo_Capability_TASK_KILLING_STATE),
		registeredAt:   now, disconnectedAt: now,
		suppressed: map[string]bool{}, tasks: map[string]*taskRecord{},
	}
	m.frameworks[id] = f
	m.alloc.AddFramework(id, roles, nil)
	m.alloc.SetFrameworkActive(id, false)
	m.publishFramework(f, true)
	m.log.Info("framework recovered from agent report", zap.String("framework_id", id))
	return f
}

func (m *Master) isCompletedFramework(id string) bool {
	for _, f := range m.completedFrameworks {
		if f.id == id {
			return true
		}
	}
	return false
}

func (f *frameworkRecord) completedTask(id string) bool {
	for _, t := range f.completed {
		if t.id == id {
			return true
		}
	}
	return false
}
