package master

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/proto/agora/agentpb"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	"github.com/agoraproject/agora/proto/mesos/v1/scheduler"
	"github.com/agoraproject/agora/proto/resources"
)

// TestAccountingProperty runs random sequences of launches (tasks and task
// groups, partial use, invalid offers, offers on several agents), declines,
// status updates, kills, offer timeouts, agent disconnections,
// reregistrations and partitions, framework disconnections, failovers and
// teardowns, suppress and revive, role changes. After every step no agent
// may have more offered plus used than it has. At the end every task ends,
// every agent and framework is back, everything is revived and declined
// with refuse_seconds 0: a fresh offer must then hold each agent's full
// resources, so nothing leaked and nothing was recovered twice.
//
// Each seed is logged; AGORA_SEED=<n> replays one (the same operations;
// map order may still vary), AGORA_SEEDS=<n> adds n more.
func TestAccountingProperty(t *testing.T) {
	seeds := []uint64{1, 2, 3, 4, uint64(time.Now().UnixNano())}
	if s, err := strconv.ParseUint(os.Getenv("AGORA_SEED"), 10, 64); err == nil {
		seeds = []uint64{s}
	}
	n, _ := strconv.Atoi(os.Getenv("AGORA_SEEDS"))
	for i := 0; i < n; i++ {
		seeds = append(seeds, uint64(100+i))
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			t.Logf("seed %d", seed)
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
		s.frameworkBack, s.teardown, s.suppressOrRevive, s.updateRoles}
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
			info := proto.Clone(f.info).(*mesos.FrameworkInfo)
			info.Id = nil
			s.frameworks[i] = &simFramework{info: info, stream: s.subscribe(info)}
			replaced = true
		}
	}
	if replaced {
		s.st = s.state()
	}
}

func (s *sim) connected(a *simAgent) bool {
	for _, v := range s.st.Agents {
		if v.ID == a.stream.AgentID {
			return v.Connected
		}
	}
	s.t.Fatalf("agent %s is gone", a.stream.AgentID)
	return false
}

func (s *sim) pickFramework() (*simFramework, *FrameworkView) {
	f := s.frameworks[s.rng.IntN(len(s.frameworks))]
	v := findFramework(s.st, f.stream.FrameworkID)
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
		s.resubscribe(f) // also restores roles UPDATE_FRAMEWORK changed
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
	s.inLoop(func() {
		for _, f := range s.m.frameworks {
			s.m.dispatch(f, &scheduler.Call{Type: scheduler.Call_REVIVE.Enum()})
			var ids []*mesos.OfferID
			for _, o := range s.m.book.ForFramework(f.id) {
				ids = append(ids, &mesos.OfferID{Value: strPtr(o.ID)})
			}
			s.m.decline(f, ids, &mesos.Filters{RefuseSeconds: float64Ptr(0)})
		}
	})
	s.refresh()
	for _, a := range s.st.Agents {
		if a.Used != nil || !resources.Equal(a.Offered, a.Total) {
			s.t.Errorf("agent %s: total %s, used %s, offered %s", a.ID,
				resources.String(a.Total), resources.String(a.Used), resources.String(a.Offered))
		}
	}
	for _, f := range s.st.Frameworks {
		if len(f.Tasks) != 0 {
			s.t.Errorf("framework %s still has tasks %+v", f.ID, f.Tasks)
		}
	}
}
