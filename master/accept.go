package master

import (
	"fmt"
	"math"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/agoraproject/agora/master/cluster"
	"github.com/agoraproject/agora/master/offers"
	"github.com/agoraproject/agora/proto/agora/agentpb"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	"github.com/agoraproject/agora/proto/resources"
)

const maxRefuse = 365 * 24 * time.Hour

// refuseDuration reads Filters.refuse_seconds: 5 s by default (the proto
// default), capped at 365 days; a negative or non-finite value means 5 s.
func refuseDuration(f *mesos.Filters) time.Duration {
	secs := f.GetRefuseSeconds()
	if math.IsNaN(secs) || math.IsInf(secs, 0) || secs < 0 {
		secs = 5
	}
	d := time.Duration(secs * float64(time.Second))
	if secs*float64(time.Second) > float64(maxRefuse) {
		d = maxRefuse
	}
	return d
}

// accept applies ACCEPT (and DECLINE, an ACCEPT without operations) at
// commit time: the offers must still be outstanding and this framework's,
// every task must fit what is left; whatever is not used goes back to the
// allocator with the framework's filter.
func (m *Master) accept(f *frameworkRecord, offerIDs []*mesos.OfferID, ops []*mesos.Offer_Operation, filters *mesos.Filters) {
	now := m.cfg.Clock.Now()
	if len(ops) == 0 {
		// An ACCEPT without operations is a DECLINE.
		m.decline(f, offerIDs, filters)
		return
	}
	if len(offerIDs) == 0 {
		m.dropLaunches(f, ops, "No offers specified")
		return
	}
	taken, problem := m.takeOffers(f, offerIDs)
	if problem != "" {
		// Every offer named is used up, valid or not (as in Mesos); the
		// valid ones go back without a filter.
		for _, o := range taken {
			m.alloc.RecoverOffer(o.Offer, 0, now)
			m.dirtyAgents[o.AgentID] = struct{}{}
		}
		m.dropLaunches(f, ops, problem)
		return
	}
	agentID := taken[0].AgentID
	var remaining []*mesos.Resource
	for _, o := range taken {
		remaining = resources.Add(remaining, o.Resources)
	}
	a := m.agents[agentID]
	for _, op := range ops {
		switch op.GetType() {
		case mesos.Offer_Operation_LAUNCH:
			for _, t := range op.GetLaunch().GetTaskInfos() {
				remaining = m.launchTask(f, a, t, remaining)
			}
		case mesos.Offer_Operation_LAUNCH_GROUP:
			remaining = m.launchGroup(f, a, op.GetLaunchGroup(), remaining)
		default:
			m.log.Warn("offer operation not supported; ignored", zap.String("framework_id", f.id), zap.Stringer("type", op.GetType()))
		}
	}
	if len(remaining) > 0 {
		m.alloc.Recover(f.id, agentID, remaining, refuseDuration(filters), now)
	}
	m.dirtyAgents[agentID] = struct{}{}
}

// decline returns each named offer of this framework to the allocator with
// the framework's filter. Offers may be on several agents; unknown offers
// and other frameworks' are ignored, as Mesos does.
func (m *Master) decline(f *frameworkRecord, ids []*mesos.OfferID, filters *mesos.Filters) {
	now := m.cfg.Clock.Now()
	refuse := refuseDuration(filters)
	for _, id := range ids {
		o, ok := m.book.Get(id.GetValue())
		if !ok || o.FrameworkID != f.id {
			continue
		}
		m.book.Remove(o.ID)
		m.alloc.RecoverOffer(o.Offer, refuse, now)
		m.dirtyAgents[o.AgentID] = struct{}{}
	}
}

// takeOffers removes the framework's named offers from the book. It returns
// a problem when any offer is unknown, someone else's, repeated, or on
// another agent or role than the first; every offer of this framework it
// found is taken, so the caller can give them all back.
func (m *Master) takeOffers(f *frameworkRecord, ids []*mesos.OfferID) ([]*offers.Offer, string) {
	var taken []*offers.Offer
	problem := ""
	seen := map[string]bool{}
	for _, id := range ids {
		v := id.GetValue()
		o, ok := m.book.Get(v)
		switch {
		case seen[v]:
			problem = "Offer " + v + " appears more than once"
			continue
		case !ok:
			problem = "Offer " + v + " is no longer valid"
			continue
		case o.FrameworkID != f.id:
			problem = "Offer " + v + " belongs to another framework"
			continue
		}
		seen[v] = true
		switch {
		case len(taken) == 0:
		case taken[0].AgentID != o.AgentID:
			problem = "Offers " + taken[0].ID + " and " + v + " are on different agents"
		case taken[0].Role != o.Role:
			problem = "Offers " + taken[0].ID + " and " + v + " are allocated to different roles"
		}
		m.book.Remove(v)
		taken = append(taken, o)
	}
	return taken, problem
}

// dropLaunches reports every task of a refused ACCEPT.
func (m *Master) dropLaunches(f *frameworkRecord, ops []*mesos.Offer_Operation, problem string) {
	state := mesos.TaskState_TASK_LOST
	if f.partitionAware {
		state = mesos.TaskState_TASK_DROPPED
	}
	for _, op := range ops {
		var tasks []*mesos.TaskInfo
		switch op.GetType() {
		case mesos.Offer_Operation_LAUNCH:
			tasks = op.GetLaunch().GetTaskInfos()
		case mesos.Offer_Operation_LAUNCH_GROUP:
			tasks = op.GetLaunchGroup().GetTaskGroup().GetTasks()
		}
		for _, t := range tasks {
			m.forward(f, m.launchFailure(t, state, mesos.TaskStatus_REASON_INVALID_OFFERS, "Task launched with invalid offers: "+problem))
		}
	}
}

func (m *Master) launchFailure(t *mesos.TaskInfo, state mesos.TaskState, reason mesos.TaskStatus_Reason, msg string) *mesos.TaskStatus {
	m.metrics.countState(state)
	return &mesos.TaskStatus{
		TaskId:    t.GetTaskId(),
		State:     state.Enum(),
		Message:   strPtr(msg),
		Source:    mesos.TaskStatus_SOURCE_MASTER.Enum(),
		Reason:    reason.Enum(),
		AgentId:   t.GetAgentId(),
		Timestamp: float64Ptr(float64(m.cfg.Clock.Now().UnixNano()) / 1e9),
	}
}

// launchTask validates one task against what is left of the offers and, if
// it fits, records it and sends it to the agent. It returns what is left.
func (m *Master) launchTask(f *frameworkRecord, a *agentRecord, t *mesos.TaskInfo, remaining []*mesos.Resource) []*mesos.Resource {
	res, role, err := m.validateTask(f, a, t, remaining, true)
	var exec *executorRecord // a custom executor to start, charged once
	executorID := ""
	if err == "" && t.GetExecutor() != nil {
		orig := t
		if t, exec, err = m.taskExecutor(f, a, t, role, resources.Subtract(remaining, res)); err != "" {
			t = orig
		}
		executorID = t.GetExecutor().GetExecutorId().GetValue()
	}
	if err != "" {
		m.forward(f, m.launchFailure(t, mesos.TaskState_TASK_ERROR, mesos.TaskStatus_REASON_TASK_INVALID, err))
		return remaining
	}
	m.addTask(f, a, t, res, role, executorID)
	left := resources.Subtract(remaining, res)
	if exec != nil {
		m.addExecutor(f, a, exec)
		left = resources.Subtract(left, exec.resources)
	}
	m.sendAgent(a, &agentpb.Event{
		Type:    agentpb.Event_RUN_TASK.Enum(),
		RunTask: &agentpb.Event_RunTask{Framework: f.info, Task: t},
	})
	return left
}

// launchGroup launches a task group atomically: every task is valid and the
// whole group (plus its executor) fits, or every task fails.
func (m *Master) launchGroup(f *frameworkRecord, a *agentRecord, lg *mesos.Offer_Operation_LaunchGroup, remaining []*mesos.Resource) []*mesos.Resource {
	group := lg.GetTaskGroup()
	exec := lg.GetExecutor()
	fail := func(msg string) []*mesos.Resource {
		for _, t := range group.GetTasks() {
			m.forward(f, m.launchFailure(t, mesos.TaskState_TASK_ERROR, mesos.TaskStatus_REASON_TASK_GROUP_INVALID, msg))
		}
		return remaining
	}
	if exec == nil || exec.GetExecutorId().GetValue() == "" {
		return fail("LAUNCH_GROUP needs an 'executor' with an 'executor_id'")
	}
	if msg := m.launchRefusal(f, nil, nil, exec); msg != "" {
		return fail(msg) // auth_launch.go
	}
	// A CUSTOM executor is accounted as a LAUNCH's is (executors.go).
	custom := exec.GetType() == mesos.ExecutorInfo_CUSTOM
	if !custom && a.executors[executorKey{f.id, exec.GetExecutorId().GetValue()}] != nil {
		return fail("executor " + exec.GetExecutorId().GetValue() + " is a running custom executor; use type CUSTOM")
	}
	if len(group.GetTasks()) == 0 {
		return fail("LAUNCH_GROUP needs at least one task")
	}
	left := remaining
	execID := exec.GetExecutorId().GetValue()
	var execRes []*mesos.Resource
	if !custom && len(exec.GetResources()) > 0 {
		if err := resources.Validate(exec.GetResources()); err != nil {
			return fail("invalid executor resources: " + err.Error())
		}
		// A running executor already holds its resources.
		if !m.executorRunning(f, a, execID) {
			execRes = m.allocatedForm(f, exec.GetResources())
			if !resources.Contains(left, execRes) {
				return fail("executor resources exceed the offered resources")
			}
			left = resources.Subtract(left, execRes)
		}
	}
	type launch struct {
		t    *mesos.TaskInfo
		res  []*mesos.Resource
		role string
	}
	var launches []launch
	for _, t := range group.GetTasks() {
		if t.GetExecutor() != nil {
			return fail("task " + t.GetTaskId().GetValue() + " of a task group must not set 'executor'")
		}
		res, role, err := m.validateTask(f, a, t, left, false)
		if err != "" {
			return fail("task " + t.GetTaskId().GetValue() + ": " + err)
		}
		for _, l := range launches {
			if l.t.GetTaskId().GetValue() == t.GetTaskId().GetValue() {
				return fail("task ID " + t.GetTaskId().GetValue() + " appears twice in the group")
			}
		}
		left = resources.Subtract(left, res)
		launches = append(launches, launch{t, res, role})
	}
	var rec *executorRecord
	if custom {
		var err string
		if exec, rec, err = m.checkExecutor(f, a, exec, launches[0].role, left); err != "" {
			return fail(err)
		}
		if rec != nil {
			left = resources.Subtract(left, rec.resources)
			m.addExecutor(f, a, rec)
		}
	}
	for i, l := range launches {
		t := m.addTask(f, a, l.t, l.res, l.role, execID)
		if i == 0 && len(execRes) > 0 {
			// The executor's resources ride with one of its live tasks and
			// are released when its last task ends (see updateTask).
			t.executor = &executorShare{execRes}
		}
	}
	m.sendAgent(a, &agentpb.Event{
		Type:         agentpb.Event_RUN_TASK_GROUP.Enum(),
		RunTaskGroup: &agentpb.Event_RunTaskGroup{Framework: f.info, Executor: exec, TaskGroup: group},
	})
	return left
}

// allocatedForm gives task resources the allocation role the allocator
// accounts them under: non-MULTI_ROLE frameworks send them without one.
func (m *Master) allocatedForm(f *frameworkRecord, res []*mesos.Resource) []*mesos.Resource {
	if f.multiRole {
		return res
	}
	return resources.AllocateTo(res, f.roles[0])
}

// validateTask returns the task's resources in allocated form and its role,
// or a message naming what is wrong.
func (m *Master) validateTask(f *frameworkRecord, a *agentRecord, t *mesos.TaskInfo, remaining []*mesos.Resource, needCommand bool) ([]*mesos.Resource, string, string) {
	id := t.GetTaskId().GetValue()
	switch {
	case id == "":
		return nil, "", "'task_id' must not be empty"
	case strings.ContainsAny(id, "/\x00 \t\n") || id == "." || id == "..":
		return nil, "", fmt.Sprintf("task ID %q contains '/', whitespace or NUL, or is '.' or '..'", id)
	case f.tasks[id] != nil:
		return nil, "", "task ID " + id + " is already used by an active task of this framework"
	case t.GetAgentId().GetValue() != a.id:
		return nil, "", "task's agent_id " + t.GetAgentId().GetValue() + " does not match the offer's agent " + a.id
	}
	if needCommand {
		if t.GetExecutor() != nil && t.GetCommand() != nil {
			return nil, "", "a task must have either 'command' or 'executor', not both"
		}
		if t.GetExecutor() == nil && t.GetCommand() == nil {
			return nil, "", "a task needs 'command' (or 'executor')"
		}
	}
	if len(t.GetResources()) == 0 {
		return nil, "", "task uses no resources"
	}
	if err := resources.Validate(t.GetResources()); err != nil {
		return nil, "", "invalid resources: " + err.Error()
	}
	res := m.allocatedForm(f, t.GetResources())
	role := taskRole(res, f)
	for _, r := range res {
		if r.GetAllocationInfo().GetRole() != role {
			return nil, "", "all of a task's resources must be allocated to one role"
		}
	}
	if !resources.Contains(remaining, res) {
		return nil, "", fmt.Sprintf("task uses more resources (%s) than remain in the offers (%s)",
			resources.String(resources.StripAllocation(res)), resources.String(resources.StripAllocation(remaining)))
	}
	if msg := m.launchRefusal(f, t.GetCommand(), t.GetContainer(), t.GetExecutor()); msg != "" {
		return nil, "", msg // auth_launch.go
	}
	return res, role, ""
}

func (m *Master) addTask(f *frameworkRecord, a *agentRecord, t *mesos.TaskInfo, res []*mesos.Resource, role, executorID string) *taskRecord {
	tr := &taskRecord{
		id: t.GetTaskId().GetValue(), name: t.GetName(), frameworkID: f.id, agentID: a.id,
		executorID: executorID, role: role, info: keptTaskInfo(t), resources: m.interned.list(res),
		state: mesos.TaskState_TASK_STAGING,
	}
	f.tasks[tr.id] = tr
	f.taskChanged(tr)
	a.tasks[tr] = struct{}{}
	m.metrics.countState(mesos.TaskState_TASK_STAGING)
	m.publishTaskAdded(tr)
	return tr
}

// executorRunning reports whether the framework has a live task of the
// given executor on the agent.
func (m *Master) executorRunning(f *frameworkRecord, a *agentRecord, executorID string) bool {
	return m.executorHeir(f, a.id, executorID, nil) != nil
}

// executorHeir returns a live task of the executor on the agent other than
// except, or nil: the task that carries the executor's resources next.
func (m *Master) executorHeir(f *frameworkRecord, agentID, executorID string, except *taskRecord) *taskRecord {
	if executorID == "" {
		return nil
	}
	for _, t := range f.tasks {
		if t != except && t.agentID == agentID && t.executorID == executorID && !cluster.IsTerminal(t.state) {
			return t
		}
	}
	return nil
}
