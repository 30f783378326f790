package master

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/agoraproject/agora/proto/agora/agentpb"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	"github.com/agoraproject/agora/proto/mesos/v1/scheduler"
	"github.com/agoraproject/agora/proto/resources"
)

// TestAccountingProperty runs random sequences of launches (tasks and task
// groups, partial use, invalid offers, offers on several agents), declines,
// status updates, kills, offer timeouts, agent disconnections,
// reregistrations and partitions, framework disconnections, failovers and
// teardowns, suppress and revive. After every step no agent may have more
// offered plus used than it has. At the end every task ends, every agent
// and framework is back, everything is revived and declined with
// refuse_seconds 0: a fresh offer must then hold each agent's full
// resources, so nothing leaked and nothing was recovered twice.
//
// The seed is logged; AGORA_SEED=<n> replays one run.
func TestAccountingProperty(t *testing.T) {
	seeds := []uint64{1, 2, 3, 4, uint64(time.Now().UnixNano())}
	if s, err := strconv.ParseUint(os.Getenv("AGORA_SEED"), 10, 64); err == nil {
		seeds = []uint64{s}
	}
	if n, err := strconv.Atoi(os.Getenv("AGORA_SEEDS")); err == nil {
		for i := 0; i < n; i++ {
			seeds = append(seeds, uint64(100+i))
		}
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			t.Logf("seed %d (replay with AGORA_SEED=%d)", seed, seed)
			newSim(t, seed).run(200)
		})
	}
}

type simAgent struct {
	res    string
	stream *AgentStream
}

type simFramework struct {
	info   *mesos.FrameworkInfo
	stream *FrameworkStream
}

type sim struct {
	*harness
	rng        *rand.Rand
	agents     []*simAgent
	frameworks []*simFramework
	st         *State
	uuid       byte
	nextTask   int
}

func newSim(t *testing.T, seed uint64) *sim {
	h := newHarness(t, func(c *Config) { quietPings(c); c.OfferTimeout = 20 * time.Second })
	s := &sim{harness: h, rng: rand.New(rand.NewPCG(seed, seed))}
	for _, res := range []string{"cpus:4;mem:1024;ports:[31000-31009]", "cpus:2;mem:512;cpus(x):1", "cpus:3;mem:768"} {
		s.agents = append(s.agents, &simAgent{res: res, stream: h.addAgent(res)})
	}
	s.addFramework(frameworkInfo("plain"))
	s.addFramework(frameworkInfo("aware", mesos.FrameworkInfo_Capability_PARTITION_AWARE))
	mr := frameworkInfo("multi", mesos.FrameworkInfo_Capability_MULTI_ROLE)
	mr.Roles = []string{"x", "y"}
	mr.FailoverTimeout = float64Ptr(45)
	s.addFramework(mr)
	return s
}

func (s *sim) addFramework(info *mesos.FrameworkInfo) {
	s.frameworks = append(s.frameworks, &simFramework{info: info, stream: s.subscribe(info)})
}

func (s *sim) run(steps int) {
	ops := []func(){s.launch, s.launch, s.launch, s.decline, s.decline, s.updateTask, s.updateTask, s.updateTask,
		s.kill, s.advanceClock, s.agentDown, s.agentBack, s.agentBack, s.partition, s.frameworkDown,
		s.frameworkBack, s.teardown, s.suppressOrRevive}
	for i := 0; i < steps; i++ {
		s.refresh()
		ops[s.rng.IntN(len(ops))]()
	}
	s.quiesce()
}

// refresh drains every stream, answering kills the way an agent does,
// reloads the master's state and checks that no agent is over-committed.
func (s *sim) refresh() {
	for _, a := range s.agents {
		for _, e := range drain(a.stream.Events) {
			if e.GetType() == agentpb.Event_KILL_TASK && s.connected(a) {
				k := e.GetKillTask()
				s.uuid++
				s.update(a.stream, k.GetFrameworkId().GetValue(), k.GetTaskId().GetValue(), mesos.TaskState_TASK_KILLED, s.uuid)
			}
		}
	}
	for _, f := range s.frameworks {
		drain(f.stream.Events)
	}
	s.sync()
	s.st = s.state()
	for _, a := range s.st.Agents {
		if !a.Unreachable && !resources.Contains(a.Total, resources.Add(a.Used, a.Offered)) {
			s.t.Fatalf("agent %s over-committed: total %s, used %s, offered %s", a.ID,
				resources.String(a.Total), resources.String(a.Used), resources.String(a.Offered))
		}
	}
	// Replace frameworks the master removed (teardown, failover timeout).
	replaced := false
	for i, f := range s.frameworks {
		if findFramework(s.st, f.stream.FrameworkID) == nil {
			info := frameworkInfo(f.info.GetName(), capabilities(f.info)...)
			info.Roles, info.FailoverTimeout = f.info.Roles, f.info.FailoverTimeout
			s.frameworks[i] = &simFramework{info: info, stream: s.subscribe(info)}
			replaced = true
		}
	}
	if replaced {
		s.st = s.state()
	}
}

func capabilities(info *mesos.FrameworkInfo) []mesos.FrameworkInfo_Capability_Type {
	var out []mesos.FrameworkInfo_Capability_Type
	for _, c := range info.GetCapabilities() {
		out = append(out, c.GetType())
	}
	return out
}

func (s *sim) view(a *simAgent) *AgentView {
	for i := range s.st.Agents {
		if s.st.Agents[i].ID == a.stream.AgentID {
			return &s.st.Agents[i]
		}
	}
	s.t.Fatalf("agent %s is gone", a.stream.AgentID)
	return nil
}

func (s *sim) connected(a *simAgent) bool { return s.view(a).Connected }

func (s *sim) fwView(f *simFramework) *FrameworkView { return findFramework(s.st, f.stream.FrameworkID) }

func (s *sim) pickFramework() (*simFramework, *FrameworkView) {
	f := s.frameworks[s.rng.IntN(len(s.frameworks))]
	v := s.fwView(f)
	if v == nil || !v.Connected {
		return nil, nil
	}
	return f, v
}

func (s *sim) call(f *simFramework, c *scheduler.Call) {
	s.t.Helper()
	if err := s.harness.call(f.stream, c); err != nil {
		s.t.Fatalf("%v: %v", c.GetType(), err)
	}
}

// launch accepts one or two offers with tasks or a task group sized from
// what is offered, sometimes too big, sometimes naming a stale offer.
func (s *sim) launch() {
	f, v := s.pickFramework()
	if f == nil || len(v.Offers) == 0 {
		return
	}
	o := v.Offers[s.rng.IntN(len(v.Offers))]
	ids := []*mesos.OfferID{{Value: strPtr(o.ID)}}
	switch s.rng.IntN(6) {
	case 0:
		other := v.Offers[s.rng.IntN(len(v.Offers))]
		if other.ID != o.ID {
			ids = append(ids, &mesos.OfferID{Value: strPtr(other.ID)})
		}
	case 1:
		ids = append(ids, &mesos.OfferID{Value: strPtr("stale")})
	}
	role := o.Resources[0].GetAllocationInfo().GetRole()
	size := func() []*mesos.Resource {
		c := float64(1+s.rng.IntN(20)) / 10
		rs, _ := resources.Parse(fmt.Sprintf("cpus:%g;mem:%d", c, 16*(1+s.rng.IntN(8))))
		if f.info.GetCapabilities() != nil && hasCapability(f.info, mesos.FrameworkInfo_Capability_MULTI_ROLE) {
			rs = resources.AllocateTo(rs, role)
		}
		return rs
	}
	newTask := func() *mesos.TaskInfo {
		s.nextTask++
		tk := task(fmt.Sprintf("t%d", s.nextTask), o.AgentID, "cpus:1")
		tk.Resources = size()
		return tk
	}
	op := &mesos.Offer_Operation{Type: mesos.Offer_Operation_LAUNCH.Enum(), Launch: &mesos.Offer_Operation_Launch{}}
	if s.rng.IntN(3) == 0 {
		group := []*mesos.TaskInfo{newTask(), newTask()}
		for _, tk := range group {
			tk.Command = nil
		}
		op = &mesos.Offer_Operation{Type: mesos.Offer_Operation_LAUNCH_GROUP.Enum(), LaunchGroup: &mesos.Offer_Operation_LaunchGroup{
			Executor: &mesos.ExecutorInfo{
				Type:       mesos.ExecutorInfo_DEFAULT.Enum(),
				ExecutorId: &mesos.ExecutorID{Value: strPtr(fmt.Sprintf("e%d", s.rng.IntN(3)))},
				Resources:  size(),
			},
			TaskGroup: &mesos.TaskGroupInfo{Tasks: group},
		}}
	} else {
		op.Launch.TaskInfos = []*mesos.TaskInfo{newTask(), newTask()}
	}
	s.call(f, &scheduler.Call{Type: scheduler.Call_ACCEPT.Enum(), Accept: &scheduler.Call_Accept{
		OfferIds: ids, Operations: []*mesos.Offer_Operation{op},
		Filters: &mesos.Filters{RefuseSeconds: float64Ptr(float64(s.rng.IntN(3) * 5))},
	}})
}

func (s *sim) decline() {
	f, v := s.pickFramework()
	if f == nil || len(v.Offers) == 0 {
		return
	}
	var ids []string
	for _, o := range v.Offers {
		if s.rng.IntN(2) == 0 {
			ids = append(ids, o.ID)
		}
	}
	s.call(f, decline([]float64{0, 1, 5, 30}[s.rng.IntN(4)], ids...))
}

// liveTask picks a task of a connected framework on a connected agent.
func (s *sim) liveTask() (*simFramework, *simAgent, *TaskView) {
	f, v := s.pickFramework()
	if f == nil || len(v.Tasks) == 0 {
		return nil, nil, nil
	}
	tk := v.Tasks[s.rng.IntN(len(v.Tasks))]
	for _, a := range s.agents {
		if a.stream.AgentID == tk.AgentID && s.connected(a) {
			return f, a, &tk
		}
	}
	return nil, nil, nil
}

func (s *sim) updateTask() {
	f, a, tk := s.liveTask()
	if f == nil {
		return
	}
	states := []mesos.TaskState{mesos.TaskState_TASK_RUNNING, mesos.TaskState_TASK_FINISHED,
		mesos.TaskState_TASK_FAILED, mesos.TaskState_TASK_STARTING}
	state := states[s.rng.IntN(len(states))]
	for n := 1 + s.rng.IntN(2); n > 0; n-- { // sometimes a duplicate
		s.uuid++
		s.update(a.stream, f.stream.FrameworkID, tk.ID, state, s.uuid)
	}
}

func (s *sim) kill() {
	f, v := s.pickFramework()
	if f == nil || len(v.Tasks) == 0 {
		return
	}
	tk := v.Tasks[s.rng.IntN(len(v.Tasks))]
	s.call(f, &scheduler.Call{Type: scheduler.Call_KILL.Enum(), Kill: &scheduler.Call_Kill{TaskId: &mesos.TaskID{Value: strPtr(tk.ID)}}})
}

func (s *sim) advanceClock() {
	s.advance([]time.Duration{time.Second, 6 * time.Second, 21 * time.Second}[s.rng.IntN(3)])
}

func (s *sim) agentDown() {
	a := s.agents[s.rng.IntN(len(s.agents))]
	if s.connected(a) {
		s.m.CloseAgentStream(a.stream.AgentID, a.stream.StreamID)
		s.sync()
	}
}

// agentBack (re)subscribes an agent, connected or not, reporting the tasks
// the master has on it, now and then forgetting one.
func (s *sim) agentBack() {
	a := s.agents[s.rng.IntN(len(s.agents))]
	s.reregister(a, s.rng.IntN(4) == 0)
}

func (s *sim) reregister(a *simAgent, forgetOne bool) {
	var tasks []*mesos.Task
	for _, f := range s.st.Frameworks {
		for _, tk := range f.Tasks {
			if tk.AgentID == a.stream.AgentID {
				tasks = append(tasks, reported(f.ID, tk.Info, mesos.TaskState_TASK_RUNNING))
			}
		}
	}
	if forgetOne && len(tasks) > 0 {
		tasks = tasks[1:]
	}
	a.stream = s.reregisterAgent(a.stream.AgentID, a.res, tasks...)
}

func (s *sim) partition() {
	a := s.agents[s.rng.IntN(len(s.agents))]
	err := s.m.do(s.ctx, func() {
		if ag := s.m.agents[a.stream.AgentID]; ag.state != agentUnreachable {
			s.m.markUnreachable(ag, s.m.cfg.Clock.Now())
		}
	})
	if err != nil {
		s.t.Fatal(err)
	}
}

func (s *sim) frameworkDown() {
	if f, _ := s.pickFramework(); f != nil {
		s.m.CloseFrameworkStream(f.stream.FrameworkID, f.stream.StreamID)
		s.sync()
	}
}

func (s *sim) frameworkBack() {
	f := s.frameworks[s.rng.IntN(len(s.frameworks))]
	info := f.info
	info.Id = &mesos.FrameworkID{Value: strPtr(f.stream.FrameworkID)}
	f.stream = s.subscribe(info)
}

func (s *sim) teardown() {
	if f, _ := s.pickFramework(); f != nil {
		s.call(f, &scheduler.Call{Type: scheduler.Call_TEARDOWN.Enum()})
	}
}

func (s *sim) suppressOrRevive() {
	f, v := s.pickFramework()
	if f == nil {
		return
	}
	roles := []string{v.Roles[s.rng.IntN(len(v.Roles))]}
	if s.rng.IntN(2) == 0 {
		s.call(f, &scheduler.Call{Type: scheduler.Call_SUPPRESS.Enum(), Suppress: &scheduler.Call_Suppress{Roles: roles}})
		return
	}
	s.call(f, &scheduler.Call{Type: scheduler.Call_REVIVE.Enum(), Revive: &scheduler.Call_Revive{Roles: roles}})
}

// quiesce brings every agent and framework back, ends every task, revives
// everything and declines every offer with refuse_seconds 0 in one turn of
// the loop; the offers that follow must hold every agent in full.
func (s *sim) quiesce() {
	s.refresh()
	for _, a := range s.agents {
		if !s.connected(a) {
			s.reregister(a, false)
		}
	}
	for _, f := range s.frameworks {
		if !s.fwView(f).Connected {
			info := f.info
			info.Id = &mesos.FrameworkID{Value: strPtr(f.stream.FrameworkID)}
			f.stream = s.subscribe(info)
		}
	}
	s.refresh()
	for _, f := range s.st.Frameworks {
		for _, tk := range f.Tasks {
			for _, a := range s.agents {
				if a.stream.AgentID == tk.AgentID {
					s.uuid++
					s.update(a.stream, f.ID, tk.ID, mesos.TaskState_TASK_FINISHED, s.uuid)
				}
			}
		}
	}
	s.refresh()
	err := s.m.do(s.ctx, func() {
		for _, f := range s.m.frameworks {
			s.m.dispatch(f, &scheduler.Call{Type: scheduler.Call_REVIVE.Enum()})
			var ids []*mesos.OfferID
			for _, o := range s.m.book.ForFramework(f.id) {
				ids = append(ids, &mesos.OfferID{Value: strPtr(o.ID)})
			}
			s.m.decline(f, ids, &mesos.Filters{RefuseSeconds: float64Ptr(0)})
		}
	})
	if err != nil {
		s.t.Fatal(err)
	}
	s.refresh()
	for _, a := range s.st.Agents {
		if a.Used != nil || !resources.Equal(a.Offered, a.Total) {
			s.t.Errorf("agent %s: total %s, used %s, offered %s", a.ID,
				resources.String(a.Total), resources.String(a.Used), resources.String(a.Offered))
		}
	}
	for _, f := range s.st.Frameworks {
		s.t.Logf("DBG framework %s %s connected=%v roles=%v offers=%d", f.ID, f.Info.GetName(), f.Connected, f.Roles, len(f.Offers))
		if len(f.Tasks) != 0 {
			s.t.Errorf("framework %s still has tasks %+v", f.ID, f.Tasks)
		}
	}
}
