package master

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	"github.com/agoraproject/agora/proto/mesos/v1/scheduler"
	"github.com/agoraproject/agora/proto/resources"
)

// The random operations of TestAccountingProperty.

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
		if hasCapability(f.info, mesos.FrameworkInfo_Capability_MULTI_ROLE) {
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
	tasks := []*mesos.TaskInfo{newTask(), newTask()}
	op := &mesos.Offer_Operation{Type: mesos.Offer_Operation_LAUNCH.Enum(), Launch: &mesos.Offer_Operation_Launch{TaskInfos: tasks}}
	if s.rng.IntN(3) == 0 {
		tasks[0].Command, tasks[1].Command = nil, nil
		op = &mesos.Offer_Operation{Type: mesos.Offer_Operation_LAUNCH_GROUP.Enum(), LaunchGroup: &mesos.Offer_Operation_LaunchGroup{
			Executor: &mesos.ExecutorInfo{
				Type:       mesos.ExecutorInfo_DEFAULT.Enum(),
				ExecutorId: &mesos.ExecutorID{Value: strPtr(fmt.Sprintf("e%d", s.rng.IntN(3)))},
				Resources:  size(),
			},
			TaskGroup: &mesos.TaskGroupInfo{Tasks: tasks},
		}}
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
			return f, a, tk
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
				info := &mesos.TaskInfo{Name: strPtr(tk.Name), TaskId: &mesos.TaskID{Value: strPtr(tk.ID)},
					AgentId: &mesos.AgentID{Value: strPtr(tk.AgentID)}, Resources: resources.StripAllocation(tk.Resources)}
				tasks = append(tasks, reported(f.ID, info, mesos.TaskState_TASK_RUNNING))
			}
		}
	}
	if forgetOne && len(tasks) > 0 {
		tasks = tasks[1:]
	}
	a.stream = s.reregisterAgent(a.stream.AgentID, a.res, tasks...)
}

// partition marks an agent unreachable, as missed pings would.
func (s *sim) partition() {
	a := s.agents[s.rng.IntN(len(s.agents))]
	s.inLoop(func() {
		if ag := s.m.agents[a.stream.AgentID]; ag.state != agentUnreachable {
			s.m.markUnreachable(ag, s.m.cfg.Clock.Now())
		}
	})
}

func (s *sim) inLoop(fn func()) {
	if err := s.m.do(s.ctx, fn); err != nil {
		s.t.Fatal(err)
	}
}

func (s *sim) frameworkDown() {
	if f, _ := s.pickFramework(); f != nil {
		s.m.CloseFrameworkStream(f.stream.FrameworkID, f.stream.StreamID)
		s.sync()
	}
}

func (s *sim) frameworkBack() { s.resubscribe(s.frameworks[s.rng.IntN(len(s.frameworks))]) }

func (s *sim) resubscribe(f *simFramework) {
	f.info.Id = &mesos.FrameworkID{Value: strPtr(f.stream.FrameworkID)}
	f.stream = s.subscribe(f.info)
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

// updateRoles moves the MULTI_ROLE framework between role sets with
// UPDATE_FRAMEWORK; offers in a role it leaves are rescinded, tasks in it
// keep their resources. Resubscribing restores its roles.
func (s *sim) updateRoles() {
	f, _ := s.pickFramework()
	if f == nil || !hasCapability(f.info, mesos.FrameworkInfo_Capability_MULTI_ROLE) {
		return
	}
	info := proto.Clone(f.info).(*mesos.FrameworkInfo)
	info.Id = &mesos.FrameworkID{Value: strPtr(f.stream.FrameworkID)}
	info.Roles = [][]string{{"x", "y"}, {"y"}, {"x"}}[s.rng.IntN(3)]
	s.call(f, &scheduler.Call{Type: scheduler.Call_UPDATE_FRAMEWORK.Enum(),
		UpdateFramework: &scheduler.Call_UpdateFramework{FrameworkInfo: info}})
}
