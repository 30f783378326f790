package master

import (
	"cmp"
	"context"
	"slices"
	"sync/atomic"
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
	// Tasks (ordered by ID) and CompletedTasks (oldest first) are shared
	// between States and must not be modified.
	Tasks          []*TaskView
	CompletedTasks []*TaskView
	Offers         []OfferView
	// Executors are the framework's running custom executors.
	Executors []ExecutorView
	// TaskSet is the same in two States when the framework has the same
	// live tasks in both (in versions that may differ); 0 when unknown.
	TaskSet uint64
	// taskViews and completedViews are what the loop copies; summarize
	// orders them into Tasks and CompletedTasks.
	taskViews, completedViews []*TaskView
}

// TaskView is one task in a State.
type TaskView struct {
	ID, Name, FrameworkID, AgentID, ExecutorID, Role string
	State                                            mesos.TaskState
	Resources                                        []*mesos.Resource
	Statuses                                         []KeptStatus
	Info                                             *mesos.TaskInfo
	// Key changes whenever what the view renders changes.
	Key TaskKey
	// enc holds readers' encodings of this version of the task.
	enc *Encodings
	// executorResources count in the framework's and agent's used
	// resources, not in the task's own.
	executorResources []*mesos.Resource
}

// TaskKey identifies what a TaskView renders: the task it was copied from
// and the parts of the task that change over its life (state and status
// history, which grows or has its last status replaced by a new one in the
// same state: its length and last status tell every version apart). Views
// with equal keys render alike. Keys are comparable and opaque.
type TaskKey struct {
	rec      *taskRecord // identity only: never read off the loop
	state    mesos.TaskState
	statuses int
	last     *KeptStatus
}

// SameTask reports whether two keys are versions of the same task.
func (k TaskKey) SameTask(o TaskKey) bool { return k.rec == o.rec && k.rec != nil }

// EncodingSlots is how many encodings of a task Encodings keeps.
const EncodingSlots = 4

// Encodings keeps readers' encodings of one version of a task (its
// protobuf, its JSON objects): computed by the first read that needs them
// and reused by later reads until the task changes, when the loop makes a
// new view with empty Encodings. The slots are numbered by the reader;
// they are safe for concurrent use.
type Encodings struct {
	slots [EncodingSlots]atomic.Pointer[Encoded]
}

// Encoded is one encoding; Tag is what else it was computed from.
type Encoded struct {
	Tag   string
	Bytes []byte
}

// Load returns slot i's encoding, or nil.
func (e *Encodings) Load(i int) *Encoded { return e.slots[i].Load() }

// Store keeps v in slot i.
func (e *Encodings) Store(i int, v *Encoded) { e.slots[i].Store(v) }

// Encodings returns the task's shared encodings, nil for a view that was
// not copied from a master.
func (t *TaskView) Encodings() *Encodings { return t.enc }

// OfferView is one outstanding offer in a State.
type OfferView struct {
	ID, FrameworkID, AgentID string
	Resources                []*mesos.Resource
}

// ForgetEncodings drops the views the loop keeps for readers and the
// encodings readers left on them, giving the memory back when nobody
// has read the state for a while. The next read copies every task anew.
func (m *Master) ForgetEncodings(ctx context.Context) error {
	err := m.do(ctx, func() {
		for _, f := range m.frameworks {
			f.forgetViews()
		}
		for _, f := range m.completedFrameworks {
			f.forgetViews()
		}
	})
	m.order.reset()
	m.sums.reset()
	return err
}

// State copies the cluster out of the loop.
func (m *Master) State(ctx context.Context) (*State, error) {
	var s *State
	err := m.do(ctx, func() { s = m.copyState() })
	if err != nil {
		return nil, err
	}
	s.summarize(&m.order, &m.sums)
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
		Offers: offers, Executors: executorViews(f),
		taskViews: f.liveViews(), completedViews: make([]*TaskView, 0, len(f.completed)),
	}
	for _, t := range f.completed {
		v.completedViews = append(v.completedViews, t.currentView())
	}
	return v
}

// key is the TaskKey of the task as it is now.
func (t *taskRecord) key() TaskKey {
	return TaskKey{rec: t, state: t.state, statuses: len(t.statuses), last: t.latest()}
}

// currentView is the task's view, made anew only when the task changed
// since the last copy: the loop's share of a read is a pointer per task.
func (t *taskRecord) currentView() *TaskView {
	key := t.key()
	if v := t.view; v != nil && v.Key == key && sameSlice(v.executorResources, t.executorResources()) {
		return v
	}
	v := taskView(t)
	t.view = &v
	return t.view
}

func sameSlice(a, b []*mesos.Resource) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

func taskView(t *taskRecord) TaskView {
	return TaskView{
		ID: t.id, Name: t.name, FrameworkID: t.frameworkID, AgentID: t.agentID, ExecutorID: t.executorID,
		Role: t.role, State: t.state, Resources: t.resources, Statuses: t.statuses, Info: t.info,
		executorResources: t.executorResources(),
		Key:               t.key(),
		enc:               &Encodings{},
	}
}

// summarize orders everything by ID and computes resource sums. Tasks are
// ordered with the previous read's order (snapshot_order.go) and plain
// scalars summed in fixed point (snapshot_sums.go), so 100,000 tasks cost
// milliseconds.
func (s *State) summarize(order *taskOrder, sums *sumCache) {
	sorted := order.order(s.Frameworks)
	sums.sums(s.Frameworks, sorted, s.Agents)
	offeredByAgent := map[string][]*mesos.Resource{}
	for i := range s.Frameworks {
		f := &s.Frameworks[i]
		f.Tasks, f.CompletedTasks = sorted[i], f.completedViews
		for _, o := range f.Offers {
			r := resources.StripAllocation(o.Resources)
			f.Offered = resources.Add(f.Offered, r)
			offeredByAgent[o.AgentID] = resources.Add(offeredByAgent[o.AgentID], r)
		}
	}
	for i := range s.CompletedFrameworks {
		f := &s.CompletedFrameworks[i]
		f.Tasks, f.CompletedTasks = f.taskViews, f.completedViews
	}
	for i := range s.Agents {
		a := &s.Agents[i]
		a.Offered = offeredByAgent[a.ID]
	}
	s.addExecutorUse()
	s.Agents = sortedAgents(s.Agents)
	slices.SortFunc(s.Frameworks, func(a, b FrameworkView) int { return cmp.Compare(a.ID, b.ID) })
}

// sortedAgents orders agents by ID. Agent views are big: an index is
// sorted, and each view moved once.
func sortedAgents(agents []AgentView) []AgentView {
	idx := make([]int32, len(agents))
	for i := range idx {
		idx[i] = int32(i)
	}
	slices.SortFunc(idx, func(a, b int32) int { return cmp.Compare(agents[a].ID, agents[b].ID) })
	out := make([]AgentView, len(agents))
	for i, j := range idx {
		out[i] = agents[j]
	}
	return out
}

// sumStripped adds rs up without allocation info. Items of different
// allocation roles stay apart in the first sum and merge in the second.
func sumStripped(rs []*mesos.Resource) []*mesos.Resource {
	if len(rs) == 0 {
		return nil
	}
	return resources.Normalize(resources.StripAllocation(resources.Add(nil, rs)))
}
