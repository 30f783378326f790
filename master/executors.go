package master

import (
	"fmt"
	"strings"

	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/proto/agora/agentpb"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	"github.com/agoraproject/agora/proto/mesos/v1/scheduler"
	"github.com/agoraproject/agora/proto/resources"
)

// Custom executors (TaskInfo.executor on a LAUNCH) are tracked apart from
// their tasks: an executor holds its resources from its first launch on an
// agent until the agent reports that its process exited (EXECUTOR_EXITED),
// however many of its tasks come and go in between. The default executors
// of task groups are accounted through their tasks instead (see
// taskRecord.executor).

// executorKey names an executor on one agent.
type executorKey struct{ framework, executor string }

// executorOnAgent names one of a framework's executors.
type executorOnAgent struct{ agent, executor string }

type executorRecord struct {
	id, frameworkID, agentID string
	// info has framework_id set; it is never mutated once stored.
	info *mesos.ExecutorInfo
	// resources carry allocation_info.role, as the allocator accounts them.
	resources []*mesos.Resource
}

func (m *Master) addExecutor(f *frameworkRecord, a *agentRecord, e *executorRecord) {
	if a.executors == nil {
		a.executors = map[executorKey]*executorRecord{}
	}
	if f.executors == nil {
		f.executors = map[executorOnAgent]*executorRecord{}
	}
	a.executors[executorKey{f.id, e.id}] = e
	f.executors[executorOnAgent{a.id, e.id}] = e
}

// removeExecutor forgets an executor; it does not touch the allocator.
func (m *Master) removeExecutor(e *executorRecord) {
	if a := m.agents[e.agentID]; a != nil && a.executors[executorKey{e.frameworkID, e.id}] == e {
		delete(a.executors, executorKey{e.frameworkID, e.id})
	}
	if f := m.frameworks[e.frameworkID]; f != nil && f.executors[executorOnAgent{e.agentID, e.id}] == e {
		delete(f.executors, executorOnAgent{e.agentID, e.id})
	}
}

// taskExecutor validates the custom executor of a LAUNCH task (already
// validated itself, its resources allocated to role) against what is left
// of the offers. It returns the task with executor.framework_id filled in
// (a copy: stored messages are never mutated) and, when the executor is
// not running on the agent yet, the record of the executor to start, whose
// resources the caller must charge.
func (m *Master) taskExecutor(f *frameworkRecord, a *agentRecord, t *mesos.TaskInfo, role string, left []*mesos.Resource) (*mesos.TaskInfo, *executorRecord, string) {
	info, rec, err := m.checkExecutor(f, a, t.GetExecutor(), role, left)
	if err != "" {
		return nil, nil, err
	}
	t = proto.Clone(t).(*mesos.TaskInfo)
	t.Executor = info
	return t, rec, ""
}

// checkExecutor validates a custom executor for tasks allocated to role.
// It returns the info with framework_id filled in (a copy) and, when the
// executor does not run on the agent yet, its record, not yet added.
func (m *Master) checkExecutor(f *frameworkRecord, a *agentRecord, ex *mesos.ExecutorInfo, role string, left []*mesos.Resource) (*mesos.ExecutorInfo, *executorRecord, string) {
	id := ex.GetExecutorId().GetValue()
	switch {
	case id == "":
		return nil, nil, "'executor.executor_id' must not be empty"
	case strings.ContainsAny(id, "/\x00 \t\n") || id == "." || id == "..":
		return nil, nil, fmt.Sprintf("executor ID %q contains '/', whitespace or NUL, or is '.' or '..'", id)
	case ex.GetFrameworkId() != nil && ex.GetFrameworkId().GetValue() != f.id:
		return nil, nil, fmt.Sprintf("ExecutorInfo has an invalid FrameworkID (Actual: %s vs Expected: %s)", ex.GetFrameworkId().GetValue(), f.id)
	case ex.GetType() == mesos.ExecutorInfo_DEFAULT:
		return nil, nil, "an executor of type DEFAULT runs task groups only (LAUNCH_GROUP); use CUSTOM"
	case ex.GetCommand() == nil:
		return nil, nil, "'executor.command' must be set for a CUSTOM executor"
	case m.groupExecutorRunning(f, a, id):
		return nil, nil, "executor ID " + id + " is used by a task group's default executor on this agent"
	}
	if err := resources.Validate(ex.GetResources()); err != nil {
		return nil, nil, "invalid executor resources: " + err.Error()
	}
	info := proto.Clone(ex).(*mesos.ExecutorInfo)
	info.FrameworkId = &mesos.FrameworkID{Value: strPtr(f.id)}
	if running := a.executors[executorKey{f.id, id}]; running != nil {
		// Mesos requires tasks for a running executor to describe it the
		// same way: the agent would otherwise run it with another command.
		if !proto.Equal(running.info, info) {
			return nil, nil, "ExecutorInfo of executor " + id + " differs from the one of the running executor"
		}
		return running.info, nil, ""
	}
	res := m.allocatedForm(f, ex.GetResources())
	for _, r := range res {
		if r.GetAllocationInfo().GetRole() != role {
			return nil, nil, "an executor's resources must be allocated to the role of its tasks (" + role + ")"
		}
	}
	if !resources.Contains(left, res) {
		return nil, nil, fmt.Sprintf("tasks and executor use more resources than remain in the offers (executor: %s, left: %s)",
			resources.String(resources.StripAllocation(res)), resources.String(resources.StripAllocation(left)))
	}
	return info, &executorRecord{id: id, frameworkID: f.id, agentID: a.id, info: info, resources: res}, ""
}

// groupExecutorRunning reports whether a task group's default executor of
// that ID runs on the agent (its live tasks carry its resources).
func (m *Master) groupExecutorRunning(f *frameworkRecord, a *agentRecord, id string) bool {
	for _, t := range f.tasks {
		if t.agentID == a.id && t.executorID == id && t.executor != nil {
			return true
		}
	}
	return false
}

// executorExited releases an executor's resources and sends its framework a
// FAILURE event, as Mesos does when an executor terminates.
func (m *Master) executorExited(a *agentRecord, x *agentpb.Call_ExecutorExited) {
	fid, eid := x.GetFrameworkId().GetValue(), x.GetExecutorId().GetValue()
	if e := a.executors[executorKey{fid, eid}]; e != nil {
		m.removeExecutor(e)
		if a.state != agentUnreachable {
			m.alloc.Recover(fid, a.id, e.resources, 0, m.cfg.Clock.Now())
			m.dirtyAgents[a.id] = struct{}{}
		}
	}
	m.log.Info("executor exited", zap.String("framework_id", fid), zap.String("executor_id", eid),
		zap.String("agent_id", a.id), zap.Int32("status", x.GetStatus()))
	f := m.frameworks[fid]
	if f == nil {
		return
	}
	failure := &scheduler.Event_Failure{AgentId: &mesos.AgentID{Value: strPtr(a.id)}, ExecutorId: x.GetExecutorId()}
	if x.Status != nil {
		failure.Status = proto.Int32(x.GetStatus())
	}
	m.sendFramework(f, &scheduler.Event{Type: scheduler.Event_FAILURE.Enum(), Failure: failure})
}

// executorMessage forwards an executor's message to its framework.
func (m *Master) executorMessage(a *agentRecord, x *agentpb.Call_ExecutorMessage) {
	f := m.frameworks[x.GetFrameworkId().GetValue()]
	if f == nil {
		m.log.Debug("executor message for an unknown framework dropped", zap.String("framework_id", x.GetFrameworkId().GetValue()))
		return
	}
	m.sendFramework(f, &scheduler.Event{
		Type: scheduler.Event_MESSAGE.Enum(),
		Message: &scheduler.Event_Message{
			AgentId: &mesos.AgentID{Value: strPtr(a.id)}, ExecutorId: x.GetExecutorId(), Data: x.GetData(),
		},
	})
}

// frameworkMessage forwards a scheduler's MESSAGE call to the executor's
// agent. Delivery is best effort, as in Mesos: a message for an agent that
// is gone or disconnected is dropped.
func (m *Master) frameworkMessage(f *frameworkRecord, msg *scheduler.Call_Message) {
	a := m.agents[msg.GetAgentId().GetValue()]
	if a == nil || a.conn == nil {
		m.log.Info("framework message dropped: agent not connected", zap.String("framework_id", f.id),
			zap.String("agent_id", msg.GetAgentId().GetValue()))
		return
	}
	m.sendAgent(a, &agentpb.Event{
		Type: agentpb.Event_FRAMEWORK_MESSAGE.Enum(),
		FrameworkMessage: &agentpb.Event_FrameworkMessage{
			FrameworkId: &mesos.FrameworkID{Value: strPtr(f.id)}, ExecutorId: msg.GetExecutorId(), Data: msg.GetData(),
		},
	})
}

// reconcileAgentExecutors replaces what the master knows of an agent's
// custom executors with what the agent reports when it (re)subscribes: the
// agent is the authority on which processes run. It runs after the tasks
// were reconciled, so frameworks known from tasks exist already.
func (m *Master) reconcileAgentExecutors(a *agentRecord, sub *agentpb.Call_Subscribe) {
	for _, e := range a.executors {
		m.removeExecutor(e)
	}
	infos := map[string]*mesos.FrameworkInfo{}
	for _, fi := range sub.GetFrameworks() {
		infos[fi.GetId().GetValue()] = fi
	}
	for _, info := range sub.GetExecutors() {
		fid, eid := info.GetFrameworkId().GetValue(), info.GetExecutorId().GetValue()
		if fid == "" || eid == "" || resources.Validate(info.GetResources()) != nil {
			m.log.Warn("ignoring an invalid executor reported by an agent", zap.String("agent_id", a.id),
				zap.String("framework_id", fid), zap.String("executor_id", eid))
			continue
		}
		f := m.frameworks[fid]
		if f == nil {
			if m.isCompletedFramework(fid) {
				m.sendAgent(a, shutdownFrameworkEvent(fid))
				continue
			}
			f = m.recoverFramework(fid, infos[fid])
		}
		role := taskRole(info.GetResources(), f)
		res := resources.AllocateTo(resources.StripAllocation(info.GetResources()), role)
		m.addExecutor(f, a, &executorRecord{id: eid, frameworkID: fid, agentID: a.id, info: info, resources: res})
	}
}

// dropFrameworkExecutors forgets a removed framework's executors and
// returns the agents they ran on, which must be told to shut them down.
func (m *Master) dropFrameworkExecutors(f *frameworkRecord) []string {
	var agents []string
	for _, e := range f.executors {
		agents = append(agents, e.agentID)
		m.removeExecutor(e)
	}
	return agents
}

func shutdownExecutorEvent(frameworkID string, executorID *mesos.ExecutorID) *agentpb.Event {
	return &agentpb.Event{
		Type: agentpb.Event_SHUTDOWN_EXECUTOR.Enum(),
		ShutdownExecutor: &agentpb.Event_ShutdownExecutor{
			FrameworkId: &mesos.FrameworkID{Value: &frameworkID}, ExecutorId: executorID,
		},
	}
}

// ExecutorView is one custom executor in a State.
type ExecutorView struct {
	ID, FrameworkID, AgentID string
	Info                     *mesos.ExecutorInfo
	Resources                []*mesos.Resource
}

func executorViews(f *frameworkRecord) []ExecutorView {
	if len(f.executors) == 0 {
		return nil
	}
	out := make([]ExecutorView, 0, len(f.executors))
	for _, e := range f.executors {
		out = append(out, ExecutorView{ID: e.id, FrameworkID: e.frameworkID, AgentID: e.agentID, Info: e.info, Resources: e.resources})
	}
	return out
}

// addExecutorUse counts custom executors' resources in their frameworks'
// and agents' used resources.
func (s *State) addExecutorUse() {
	byAgent := map[string][]*mesos.Resource{}
	for i := range s.Frameworks {
		f := &s.Frameworks[i]
		for _, e := range f.Executors {
			r := resources.StripAllocation(e.Resources)
			f.Used = resources.Add(f.Used, r)
			byAgent[e.AgentID] = resources.Add(byAgent[e.AgentID], r)
		}
	}
	for i := range s.Agents {
		if r := byAgent[s.Agents[i].ID]; r != nil {
			s.Agents[i].Used = resources.Add(s.Agents[i].Used, r)
		}
	}
}
