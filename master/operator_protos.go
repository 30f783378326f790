package master

import (
	"sort"
	"time"

	"google.golang.org/protobuf/proto"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	masterpb "github.com/agoraproject/agora/proto/mesos/v1/master"
)

// The functions below render records and State views as the operator
// API's messages (mesos.v1.master). Those built from a State run off the
// loop; the *Record ones build events on it and stay small.

// OperatorState renders a State as GET_STATE's answer.
func OperatorState(s *State) *masterpb.Response_GetState {
	return &masterpb.Response_GetState{
		GetTasks:      OperatorTasks(s),
		GetExecutors:  OperatorExecutors(s),
		GetFrameworks: OperatorFrameworks(s),
		GetAgents:     OperatorAgents(s),
	}
}

// OperatorAgents renders GET_AGENTS: registered agents that are not
// unreachable, as /master/state lists them.
func OperatorAgents(s *State) *masterpb.Response_GetAgents {
	out := &masterpb.Response_GetAgents{Agents: make([]*masterpb.Response_GetAgents_Agent, 0, len(s.Agents))}
	for i := range s.Agents {
		a := &s.Agents[i]
		if a.Unreachable {
			continue
		}
		out.Agents = append(out.Agents, AgentProto(a))
	}
	return out
}

// AgentProto renders one agent of a State as GET_AGENTS lists it.
func AgentProto(a *AgentView) *masterpb.Response_GetAgents_Agent {
	return &masterpb.Response_GetAgents_Agent{
		AgentInfo:          a.Info,
		Active:             proto.Bool(a.Connected),
		Version:            proto.String(a.Version),
		Pid:                proto.String(a.PID),
		RegisteredTime:     timeInfo(a.RegisteredAt),
		ReregisteredTime:   optionalTimeInfo(a.ReregisteredAt),
		TotalResources:     a.Total,
		AllocatedResources: a.Used,
		OfferedResources:   a.Offered,
	}
}

// OperatorFrameworks renders GET_FRAMEWORKS with offers and resources.
func OperatorFrameworks(s *State) *masterpb.Response_GetFrameworks {
	out := &masterpb.Response_GetFrameworks{
		Frameworks: make([]*masterpb.Response_GetFrameworks_Framework, 0, len(s.Frameworks)),
	}
	for i := range s.Frameworks {
		out.Frameworks = append(out.Frameworks, frameworkViewProto(&s.Frameworks[i], s.Info))
	}
	for i := range s.CompletedFrameworks {
		out.CompletedFrameworks = append(out.CompletedFrameworks, frameworkViewProto(&s.CompletedFrameworks[i], s.Info))
	}
	return out
}

func frameworkViewProto(f *FrameworkView, info *mesos.MasterInfo) *masterpb.Response_GetFrameworks_Framework {
	pf := frameworkHeader(f.Info, f.Connected, f.Recovered, f.RegisteredAt, f.ReregisteredAt, f.UnregisteredAt)
	pf.AllocatedResources = f.Used
	pf.OfferedResources = f.Offered
	for _, o := range f.Offers {
		pf.Offers = append(pf.Offers, &mesos.Offer{
			Id:          &mesos.OfferID{Value: proto.String(o.ID)},
			FrameworkId: &mesos.FrameworkID{Value: proto.String(o.FrameworkID)},
			AgentId:     &mesos.AgentID{Value: proto.String(o.AgentID)},
			Hostname:    proto.String(""),
			Resources:   o.Resources,
		})
	}
	return pf
}

// frameworkHeader is what events carry of a framework: no offers or
// resources, as in Mesos.
func frameworkHeader(info *mesos.FrameworkInfo, connected, recovered bool, registered, reregistered, unregistered time.Time) *masterpb.Response_GetFrameworks_Framework {
	return &masterpb.Response_GetFrameworks_Framework{
		FrameworkInfo:    info,
		Active:           proto.Bool(connected),
		Connected:        proto.Bool(connected),
		Recovered:        proto.Bool(recovered),
		RegisteredTime:   timeInfo(registered),
		ReregisteredTime: optionalTimeInfo(reregistered),
		UnregisteredTime: optionalTimeInfo(unregistered),
	}
}

// OperatorExecutors renders GET_EXECUTORS: the custom executors the
// master accounts for. Command executors and the default executors of task
// groups are the agents' business, as in Mesos.
func OperatorExecutors(s *State) *masterpb.Response_GetExecutors {
	out := &masterpb.Response_GetExecutors{}
	for i := range s.Frameworks {
		for _, e := range s.Frameworks[i].Executors {
			out.Executors = append(out.Executors, &masterpb.Response_GetExecutors_Executor{
				ExecutorInfo: e.Info, AgentId: &mesos.AgentID{Value: proto.String(e.AgentID)},
			})
		}
	}
	sort.Slice(out.Executors, func(i, j int) bool {
		a, b := out.Executors[i], out.Executors[j]
		if a.GetAgentId().GetValue() != b.GetAgentId().GetValue() {
			return a.GetAgentId().GetValue() < b.GetAgentId().GetValue()
		}
		return a.GetExecutorInfo().GetExecutorId().GetValue() < b.GetExecutorInfo().GetExecutorId().GetValue()
	})
	return out
}

// OperatorTasks renders GET_TASKS: live tasks, tasks on unreachable agents
// and the bounded history of completed ones (torn-down frameworks'
// included).
func OperatorTasks(s *State) *masterpb.Response_GetTasks {
	n := 0
	for i := range s.Frameworks {
		n += len(s.Frameworks[i].Tasks)
	}
	out := &masterpb.Response_GetTasks{Tasks: make([]*mesos.Task, 0, n)}
	for i := range s.Frameworks {
		f := &s.Frameworks[i]
		for j := range f.Tasks {
			t := f.Tasks[j]
			if t.State == mesos.TaskState_TASK_UNREACHABLE {
				out.UnreachableTasks = append(out.UnreachableTasks, taskViewProto(t))
				continue
			}
			out.Tasks = append(out.Tasks, taskViewProto(t))
		}
		for j := range f.CompletedTasks {
			out.CompletedTasks = append(out.CompletedTasks, taskViewProto(f.CompletedTasks[j]))
		}
	}
	for i := range s.CompletedFrameworks {
		f := &s.CompletedFrameworks[i]
		for j := range f.CompletedTasks {
			out.CompletedTasks = append(out.CompletedTasks, taskViewProto(f.CompletedTasks[j]))
		}
	}
	return out
}

// TaskProto renders one task of a State as GET_TASKS lists it, for
// encoders that keep each task's bytes (by TaskView.Key) across reads.
func TaskProto(t *TaskView) *mesos.Task { return taskViewProto(t) }

func taskViewProto(t *TaskView) *mesos.Task {
	return taskProto(t.ID, t.Name, t.FrameworkID, t.AgentID, t.ExecutorID, t.State, t.Resources, StatusProtos(t.Statuses, t.IDs()), t.Info)
}

func taskRecordProto(t *taskRecord) *mesos.Task {
	return taskProto(t.id, t.name, t.frameworkID, t.agentID, t.executorID, t.state, t.resources, StatusProtos(t.statuses, t.ids()), t.info)
}

// taskProto builds a Task as Mesos's master reports it. Every pointer it
// shares is one the records never mutate.
func taskProto(id, name, frameworkID, agentID, executorID string, state mesos.TaskState,
	res []*mesos.Resource, statuses []*mesos.TaskStatus, info *mesos.TaskInfo) *mesos.Task {
	t := &mesos.Task{
		Name:        proto.String(name),
		TaskId:      &mesos.TaskID{Value: proto.String(id)},
		FrameworkId: &mesos.FrameworkID{Value: proto.String(frameworkID)},
		AgentId:     &mesos.AgentID{Value: proto.String(agentID)},
		State:       state.Enum(),
		Resources:   res,
		Statuses:    statuses,
	}
	if executorID != "" {
		t.ExecutorId = &mesos.ExecutorID{Value: proto.String(executorID)}
	}
	if n := len(statuses); n > 0 {
		last := statuses[n-1]
		if len(last.GetUuid()) > 0 {
			t.StatusUpdateState = last.State
			t.StatusUpdateUuid = last.Uuid
		}
	}
	if info != nil {
		t.Labels, t.Discovery, t.Container = info.Labels, info.Discovery, info.Container
		t.HealthCheck, t.KillPolicy = info.HealthCheck, info.KillPolicy
		if cmd := info.GetCommand(); cmd != nil && cmd.User != nil {
			t.User = cmd.User
		}
	}
	return t
}

// OperatorRoles renders GET_ROLES: every role with a framework, a
// non-default weight or allocated resources, with its weight, frameworks
// and the resources allocated to it (tasks and custom executors).
func OperatorRoles(s *State) *masterpb.Response_GetRoles {
	type acc struct {
		frameworks []string
		allocated  usedSum // snapshot_sums.go: equals sumStripped of the items added
	}
	roles := map[string]*acc{}
	get := func(name string) *acc {
		r := roles[name]
		if r == nil {
			r = &acc{}
			roles[name] = r
		}
		return r
	}
	for name := range s.Weights {
		get(name)
	}
	for i := range s.Frameworks {
		f := &s.Frameworks[i]
		for _, r := range f.Roles {
			a := get(r)
			a.frameworks = append(a.frameworks, f.ID)
		}
		for j := range f.Tasks {
			t := f.Tasks[j]
			a := get(t.Role)
			a.allocated.add(t.Resources)
			a.allocated.add(t.executorResources)
		}
		for _, e := range f.Executors {
			if role := roleOf(e.Resources); role != "" {
				get(role).allocated.add(e.Resources)
			}
		}
	}
	names := make([]string, 0, len(roles))
	for n := range roles {
		names = append(names, n)
	}
	sort.Strings(names)
	out := &masterpb.Response_GetRoles{Roles: make([]*mesos.Role, 0, len(names))}
	for _, n := range names {
		a := roles[n]
		sort.Strings(a.frameworks)
		w, ok := s.Weights[n]
		if !ok {
			w = 1
		}
		r := &mesos.Role{Name: proto.String(n), Weight: proto.Float64(w), Resources: a.allocated.resources()}
		for _, id := range a.frameworks {
			r.Frameworks = append(r.Frameworks, &mesos.FrameworkID{Value: proto.String(id)})
		}
		out.Roles = append(out.Roles, r)
	}
	return out
}

func roleOf(rs []*mesos.Resource) string {
	for _, r := range rs {
		if role := r.GetAllocationInfo().GetRole(); role != "" {
			return role
		}
	}
	return ""
}

// OperatorWeights renders GET_WEIGHTS: the roles whose weight was set, by
// --weights or UPDATE_WEIGHTS, ordered by role.
func OperatorWeights(weights map[string]float64) *masterpb.Response_GetWeights {
	names := make([]string, 0, len(weights))
	for n := range weights {
		names = append(names, n)
	}
	sort.Strings(names)
	out := &masterpb.Response_GetWeights{}
	for _, n := range names {
		out.WeightInfos = append(out.WeightInfos, &mesos.WeightInfo{Role: proto.String(n), Weight: proto.Float64(weights[n])})
	}
	return out
}

func timeInfo(t time.Time) *mesos.TimeInfo {
	return &mesos.TimeInfo{Nanoseconds: proto.Int64(t.UnixNano())}
}

func optionalTimeInfo(t time.Time) *mesos.TimeInfo {
	if t.IsZero() {
		return nil
	}
	return timeInfo(t)
}
