package master

import (
	"fmt"
	"math/rand"
	"runtime"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	"github.com/agoraproject/agora/proto/resources"
)

// usedSum must give what the reference, sumStripped over everything, gives:
// same items, same order, same values, for mixes of plain scalars and
// resources it leaves to package resources.
func TestUsedSumMatchesSumStripped(t *testing.T) {
	seed := int64(20261126)
	rng := rand.New(rand.NewSource(seed))
	t.Logf("seed %d", seed)
	for iter := 0; iter < 500; iter++ {
		var all []*mesos.Resource
		var sum usedSum
		for n := rng.Intn(12); n > 0; n-- {
			rs := randomTaskResources(rng)
			all = append(all, rs...)
			sum.add(rs)
		}
		got, want := sum.resources(), sumStripped(all)
		if len(got) != len(want) {
			t.Fatalf("iteration %d: got %v, want %v", iter, resources.String(got), resources.String(want))
		}
		for i := range got {
			if !proto.Equal(got[i], want[i]) {
				t.Fatalf("iteration %d item %d: got %v, want %v", iter, i, got[i], want[i])
			}
		}
	}
}

func randomTaskResources(rng *rand.Rand) []*mesos.Resource {
	roles := []string{"*", "web", "batch"}
	names := []string{"cpus", "mem", "disk", "gpus"}
	var out []*mesos.Resource
	for n := 1 + rng.Intn(4); n > 0; n-- {
		r := &mesos.Resource{Name: proto.String(names[rng.Intn(len(names))]), Type: mesos.Value_SCALAR.Enum(),
			Scalar: &mesos.Value_Scalar{Value: proto.Float64(float64(rng.Intn(5000)) / float64(1+rng.Intn(7)))}}
		switch rng.Intn(6) {
		case 0: // no allocation info
		case 1:
			r.Revocable = &mesos.Resource_RevocableInfo{}
			r.AllocationInfo = &mesos.Resource_AllocationInfo{Role: proto.String(roles[rng.Intn(len(roles))])}
		case 2:
			role := roles[1+rng.Intn(2)]
			r.Reservations = []*mesos.Resource_ReservationInfo{{Type: mesos.Resource_ReservationInfo_STATIC.Enum(), Role: proto.String(role)}}
			r.AllocationInfo = &mesos.Resource_AllocationInfo{Role: proto.String(role)}
		case 3:
			r = &mesos.Resource{Name: proto.String("ports"), Type: mesos.Value_RANGES.Enum(), Ranges: &mesos.Value_Ranges{
				Range: []*mesos.Value_Range{{Begin: proto.Uint64(uint64(31000 + rng.Intn(100))), End: proto.Uint64(uint64(31100 + rng.Intn(100)))}}},
				AllocationInfo: &mesos.Resource_AllocationInfo{Role: proto.String(roles[rng.Intn(len(roles))])}}
		default:
			r.AllocationInfo = &mesos.Resource_AllocationInfo{Role: proto.String(roles[rng.Intn(len(roles))])}
		}
		out = append(out, r)
	}
	return out
}

// Read after read, as tasks come, go and change, the cached sums equal
// the reference sums over all tasks (as resource sets).
func TestSumCacheMatchesReference(t *testing.T) {
	seed := int64(11)
	rng := rand.New(rand.NewSource(seed))
	t.Logf("seed %d", seed)
	var c sumCache
	var o taskOrder
	type task struct {
		rec       *taskRecord
		framework string
	}
	var tasks []task
	for read := 0; read < 100; read++ {
		churn := rng.Intn(3) == 0 // else tasks only change, keeping the grouping
		for n := rng.Intn(6); n > 0 && (churn || read == 0); n-- {
			rec := &taskRecord{id: fmt.Sprint(rng.Int()), agentID: fmt.Sprintf("agent-%d", rng.Intn(4)),
				resources: randomTaskResources(rng)}
			tasks = append(tasks, task{rec, fmt.Sprintf("fw-%d", rng.Intn(2))})
		}
		for i := 0; i < len(tasks); i++ {
			switch rng.Intn(12) {
			case 0:
				if churn {
					tasks = append(tasks[:i], tasks[i+1:]...)
				}
			case 1:
				tasks[i].rec.executor = &executorShare{randomTaskResources(rng)}
			}
		}
		frameworks := []FrameworkView{{ID: "fw-0"}, {ID: "fw-1"}}
		want := map[string][]*mesos.Resource{}
		for _, tk := range tasks {
			i := int(tk.framework[3] - '0')
			frameworks[i].taskViews = append(frameworks[i].taskViews, tk.rec.currentView())
			rs := append(append([]*mesos.Resource(nil), tk.rec.resources...), tk.rec.executorResources()...)
			want[tk.framework] = append(want[tk.framework], rs...)
			want[tk.rec.agentID] = append(want[tk.rec.agentID], rs...)
		}
		agents := []AgentView{{ID: "agent-0"}, {ID: "agent-1"}, {ID: "agent-2"}, {ID: "agent-3"}}
		c.sums(frameworks, o.order(frameworks), agents)
		got := map[string][]*mesos.Resource{}
		for _, f := range frameworks {
			got[f.ID] = f.Used
		}
		for _, a := range agents {
			got[a.ID] = a.Used
		}
		for owner, w := range got {
			if want[owner] == nil && w != nil {
				t.Fatalf("read %d, %s: %s, want nothing", read, owner, resources.String(w))
			}
		}
		for owner, rs := range want {
			g := got[owner]
			if w := sumStripped(rs); !resources.Equal(g, w) {
				t.Fatalf("read %d, %s: %s, want %s", read, owner, resources.String(g), resources.String(w))
			}
		}
	}
}

// Agents come and go: their slots are given back once most are gone, and
// the sums stay right across the renumbering.
func TestSumCacheRenumbersAgents(t *testing.T) {
	var c sumCache
	var o taskOrder
	res := []*mesos.Resource{{Name: proto.String("cpus"), Type: mesos.Value_SCALAR.Enum(),
		Scalar: &mesos.Value_Scalar{Value: proto.Float64(0.5)}}}
	var kept *taskRecord // one task stays on agent "kept" throughout
	for read := 0; read < 6; read++ {
		frameworks := []FrameworkView{{ID: "fw"}}
		agents := []AgentView{{ID: "kept"}}
		if kept == nil {
			kept = &taskRecord{id: "kept-task", agentID: "kept", resources: res}
		}
		frameworks[0].taskViews = append(frameworks[0].taskViews, kept.currentView())
		for k := 0; k < 600; k++ {
			id := fmt.Sprintf("agent-%d-%d", read, k)
			agents = append(agents, AgentView{ID: id})
			rec := &taskRecord{id: fmt.Sprintf("task-%d-%d", read, k), agentID: id, resources: res}
			frameworks[0].taskViews = append(frameworks[0].taskViews, rec.currentView())
		}
		c.sums(frameworks, o.order(frameworks), agents)
		if got := len(c.slots.ids); got > 2*len(agents)+1024+len(agents) {
			t.Fatalf("read %d: %d agent slots kept for %d agents", read, got, len(agents))
		}
		if w := sumStripped(slices.Repeat(res, 601)); !resources.Equal(frameworks[0].Used, w) {
			t.Fatalf("read %d: framework uses %s, want %s", read, resources.String(frameworks[0].Used), resources.String(w))
		}
		for _, a := range agents {
			if !resources.Equal(a.Used, res) {
				t.Fatalf("read %d: agent %s uses %s, want %s", read, a.ID, resources.String(a.Used), resources.String(res))
			}
		}
	}
	if len(c.slots.ids) >= 6*600 {
		t.Errorf("%d agent slots after 6 reads of 601 agents: none were given back", len(c.slots.ids))
	}
}

// Many tasks are summed framework by framework side by side; a framework
// with a task on an agent the state does not list is summed afterwards.
// The sums are those of the reference either way.
func TestSumsSplitOverFrameworks(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	var c sumCache
	var o taskOrder
	frameworks := []FrameworkView{{ID: "fw-0"}, {ID: "fw-1"}, {ID: "fw-2"}}
	var agents []AgentView
	for a := 0; a < 50; a++ {
		agents = append(agents, AgentView{ID: fmt.Sprintf("agent-%02d", a)})
	}
	want := map[string][]*mesos.Resource{}
	for i := 0; i < 3*parallelFrom/2; i++ {
		f := i % 3
		agent := fmt.Sprintf("agent-%02d", rng.Intn(50))
		if f == 1 && i%1000 == 1 {
			agent = "stray" // not in the state's agents
		}
		rec := &taskRecord{id: fmt.Sprintf("task-%06d", i), agentID: agent, resources: randomTaskResources(rng)}
		frameworks[f].taskViews = append(frameworks[f].taskViews, rec.currentView())
		want[frameworks[f].ID] = append(want[frameworks[f].ID], rec.resources...)
		want[agent] = append(want[agent], rec.resources...)
	}
	if w := workers(taskCount(frameworks)); w < 2 && runtime.GOMAXPROCS(0) >= 2 {
		t.Fatalf("%d tasks are summed by %d goroutine", taskCount(frameworks), w)
	}
	c.sums(frameworks, o.order(frameworks), agents)
	for _, f := range frameworks {
		if w := sumStripped(want[f.ID]); !resources.Equal(f.Used, w) {
			t.Errorf("%s: %s, want %s", f.ID, resources.String(f.Used), resources.String(w))
		}
	}
	for _, a := range agents {
		if w := sumStripped(want[a.ID]); !resources.Equal(a.Used, w) {
			t.Errorf("%s: %s, want %s", a.ID, resources.String(a.Used), resources.String(w))
		}
	}
}
