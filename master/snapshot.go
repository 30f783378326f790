package master

import (
	"cmp"
	"context"
	"slices"
	"time"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	"github.com/agoraproject/agora/proto/resources"
)

// State is a point-in-time copy of the cluster for read endpoints. The loop
// only copies record values into it (the protobuf messages they point to
// are never mutated); sums are computed afterwards, off the loop.
type State struct {
	Info  *mesos.MasterInfo
	Start time.Time
	Flags map[string]string
	// Weights are the roles' weights that differ from 1.
	Weights             map[string]float64
	Agents              []AgentView
	Frameworks          []FrameworkView
	CompletedFrameworks []FrameworkView
}

// AgentView is one agent in a State.
type AgentView struct {
	ID             string
	PID            string
	Info           *mesos.AgentInfo
	Total          []*mesos.Resource
	Used           []*mesos.Resource
	Offered        []*mesos.Resource
	Connected      bool
	Unreachable    bool
	RegisteredAt   time.Time
	ReregisteredAt time.Time
	Version        string
	WorkDir        string // "" when the agent did not report it
}

// FrameworkView is one framework in a State.
type FrameworkView struct {
	ID             string
	Info           *mesos.FrameworkInfo
	Roles          []string
	Connected      bool
	Recovered      bool
	RegisteredAt   time.Time
	ReregisteredAt time.Time
	UnregisteredAt time.Time
	Used           []*mesos.Resource
	Offered        []*mesos.Resource
	Tasks          []TaskView
	CompletedTasks []TaskView
	Offers         []OfferView
	// Executors are the framework's running custom executors.
	Executors []ExecutorView
}

// TaskView is one task in a State.
type TaskView struct {
	ID, Name, FrameworkID, AgentID, ExecutorID, Role string
	State                                            mesos.TaskState
	Resources                                        []*mesos.Resource
	Statuses                                         []*mesos.TaskStatus
	Info                                             *mesos.TaskInfo
	// Key changes whenever what the view renders changes.
	Key TaskKey
	// executorResources count in the framework's and agent's used
	// resources, not in the task's own.
	executorResources []*mesos.Resource
}

// TaskKey identifies what a TaskView renders: the task it was copied from
// and the parts of the task that change over its life (state and status
// history, which only grows). Views with equal keys render alike, so
// encoders may keep a task's bytes under its key across reads. Keys are
// comparable and opaque.
type TaskKey struct {
	rec      *taskRecord // identity only: never read off the loop
	state    mesos.TaskState
	statuses int
	last     *mesos.TaskStatus
}

// OfferView is one outstanding offer in a State.
type OfferView struct {
	ID, FrameworkID, AgentID string
	Resources                []*mesos.Resource
}

// State copies the cluster out of the loop.
func (m *Master) State(ctx context.Context) (*State, error) {
	var s *State
	err := m.do(ctx, func() { s = m.copyState() })
	if err != nil {
		return nil, err
	}
	s.summarize()
	return s, nil
}

func (m *Master) copyState() *State {
	s := &State{Info: m.info, Start: m.start, Flags: m.cfg.Flags, Weights: m.copyWeights()}
	s.Agents = make([]AgentView, 0, len(m.agents))
	for _, a := range m.agents {
		v := AgentView{
			ID: a.id, PID: a.pid, Info: a.info, Total: a.total, Connected: a.state == agentConnected,
			Unreachable: a.state == agentUnreachable, RegisteredAt: a.registeredAt,
			ReregisteredAt: a.reregisteredAt, Version: a.version, WorkDir: a.workDir,
		}
		// An agent's tasks are all in their frameworks' records, which are
		// copied below once; summarize sums them per agent.
		s.Agents = append(s.Agents, v)
	}
	offersByFramework := map[string][]OfferView{}
	for _, o := range m.book.All() {
		offersByFramework[o.FrameworkID] = append(offersByFramework[o.FrameworkID],
			OfferView{ID: o.ID, FrameworkID: o.FrameworkID, AgentID: o.AgentID, Resources: o.Resources})
	}
	s.Frameworks = make([]FrameworkView, 0, len(m.frameworks))
	for _, f := range m.frameworks {
		s.Frameworks = append(s.Frameworks, frameworkView(f, offersByFramework[f.id]))
	}
	for _, f := range m.completedFrameworks {
		s.CompletedFrameworks = append(s.CompletedFrameworks, frameworkView(f, nil))
	}
	return s
}

func frameworkView(f *frameworkRecord, offers []OfferView) FrameworkView {
	v := FrameworkView{
		ID: f.id, Info: f.info, Roles: f.roles, Connected: f.conn != nil, Recovered: f.recovered,
		RegisteredAt: f.registeredAt, ReregisteredAt: f.reregisteredAt, UnregisteredAt: f.unregisteredAt,
		Offers: offers, Tasks: make([]TaskView, 0, len(f.tasks)), Executors: executorViews(f),
	}
	for _, t := range f.tasks {
		v.Tasks = append(v.Tasks, taskView(t))
	}
	for _, t := range f.completed {
		v.CompletedTasks = append(v.CompletedTasks, taskView(t))
	}
	return v
}

func taskView(t *taskRecord) TaskView {
	return TaskView{
		ID: t.id, Name: t.name, FrameworkID: t.frameworkID, AgentID: t.agentID, ExecutorID: t.executorID,
		Role: t.role, State: t.state, Resources: t.resources, Statuses: t.statuses, Info: t.info,
		executorResources: t.executorResources,
		Key:               TaskKey{rec: t, state: t.state, statuses: len(t.statuses), last: t.latest},
	}
}

// summarize computes resource sums and orders everything by ID. Plain
// scalars are summed in fixed point (usedSum), so 100,000 tasks cost a few
// milliseconds.
func (s *State) summarize() {
	offeredByAgent := map[string][]*mesos.Resource{}
	usedByAgent := make(map[string]*usedSum, len(s.Agents))
	for i := range s.Frameworks {
		f := &s.Frameworks[i]
		var used usedSum
		for j := range f.Tasks {
			t := &f.Tasks[j]
			used.add(t.Resources)
			used.add(t.executorResources)
			a := usedByAgent[t.AgentID]
			if a == nil {
				a = &usedSum{}
				usedByAgent[t.AgentID] = a
			}
			a.add(t.Resources)
			a.add(t.executorResources)
		}
		f.Used = used.resources()
		for _, o := range f.Offers {
			r := resources.StripAllocation(o.Resources)
			f.Offered = resources.Add(f.Offered, r)
			offeredByAgent[o.AgentID] = resources.Add(offeredByAgent[o.AgentID], r)
		}
		slices.SortFunc(f.Tasks, func(a, b TaskView) int { return cmp.Compare(a.ID, b.ID) })
	}
	for i := range s.Agents {
		a := &s.Agents[i]
		if u := usedByAgent[a.ID]; u != nil {
			a.Used = u.resources()
		}
		a.Offered = offeredByAgent[a.ID]
	}
	s.addExecutorUse()
	slices.SortFunc(s.Agents, func(a, b AgentView) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortFunc(s.Frameworks, func(a, b FrameworkView) int { return cmp.Compare(a.ID, b.ID) })
}

// sumStripped adds rs up without allocation info. Items of different
// allocation roles stay apart in the first sum and merge in the second.
func sumStripped(rs []*mesos.Resource) []*mesos.Resource {
	if len(rs) == 0 {
		return nil
	}
	return resources.Normalize(resources.StripAllocation(resources.Add(nil, rs)))
}
