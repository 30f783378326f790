package master

import (
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/proto/agora/agentpb"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	"github.com/agoraproject/agora/proto/mesos/v1/scheduler"
	"github.com/agoraproject/agora/proto/resources"
)

func launchGroup(offerID, executorID, execRes string, tasks ...*mesos.TaskInfo) *scheduler.Call {
	rs, _ := resources.Parse(execRes)
	for _, t := range tasks {
		t.Command = nil
	}
	return &scheduler.Call{
		Type: scheduler.Call_ACCEPT.Enum(),
		Accept: &scheduler.Call_Accept{
			OfferIds: []*mesos.OfferID{{Value: strPtr(offerID)}},
			Operations: []*mesos.Offer_Operation{{
				Type: mesos.Offer_Operation_LAUNCH_GROUP.Enum(),
				LaunchGroup: &mesos.Offer_Operation_LaunchGroup{
					Executor: &mesos.ExecutorInfo{
						Type:       mesos.ExecutorInfo_DEFAULT.Enum(),
						ExecutorId: &mesos.ExecutorID{Value: strPtr(executorID)},
						Resources:  rs,
					},
					TaskGroup: &mesos.TaskGroupInfo{Tasks: tasks},
				},
			}},
		},
	}
}

func TestLaunchGroup(t *testing.T) {
	h := newHarness(t, quietPings)
	fw := h.subscribe(frameworkInfo("f"))
	ag := h.addAgent("cpus:4;mem:1024")
	used := func(want float64) {
		t.Helper()
		st := h.state()
		if got := cpus(st.Agents[0].Used); got != want {
			t.Fatalf("agent uses %v cpus, want %v", got, want)
		}
		if got := cpus(st.Frameworks[0].Used); got != want {
			t.Fatalf("framework uses %v cpus, want %v", got, want)
		}
	}

	// All or nothing: one task too big fails the whole group.
	off := h.offers(fw)
	bad := launchGroup(off[0].GetId().GetValue(), "e1", "cpus:0.5;mem:32",
		task("g1", ag.AgentID, "cpus:1;mem:64"), task("g2", ag.AgentID, "cpus:9;mem:64"))
	if err := h.call(fw, bad); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		s := h.next(fw.Events, scheduler.Event_UPDATE).GetUpdate().GetStatus()
		if s.GetState() != mesos.TaskState_TASK_ERROR || s.GetReason() != mesos.TaskStatus_REASON_TASK_GROUP_INVALID {
			t.Fatalf("invalid group: %v", s)
		}
	}
	h.noneAgent(ag.Events, agentpb.Event_RUN_TASK_GROUP)
	used(0)

	h.advance(6 * time.Second) // past the default filter
	off = h.offers(fw)
	if err := h.call(fw, launchGroup(off[0].GetId().GetValue(), "e1", "cpus:0.5;mem:32",
		task("g1", ag.AgentID, "cpus:1;mem:64"), task("g2", ag.AgentID, "cpus:1;mem:64"))); err != nil {
		t.Fatal(err)
	}
	run := h.nextAgent(ag.Events, agentpb.Event_RUN_TASK_GROUP).GetRunTaskGroup()
	if run.GetExecutor().GetExecutorId().GetValue() != "e1" || len(run.GetTaskGroup().GetTasks()) != 2 {
		t.Fatalf("RUN_TASK_GROUP = %v", run)
	}
	used(2.5)

	// A second group for the running executor does not pay for it again:
	// 1.5 cpus are left, exactly what g3 asks for.
	h.advance(6 * time.Second)
	off = h.offers(fw)
	if cpus(off[0].GetResources()) != 1.5 {
		t.Fatalf("offer = %v", off)
	}
	if err := h.call(fw, launchGroup(off[0].GetId().GetValue(), "e1", "cpus:0.5;mem:32",
		task("g3", ag.AgentID, "cpus:1.5;mem:64"))); err != nil {
		t.Fatal(err)
	}
	h.nextAgent(ag.Events, agentpb.Event_RUN_TASK_GROUP)
	used(4)

	// The executor's resources stay in use until its last task ends.
	for i, id := range []string{"g1", "g2"} {
		h.update(ag, fw.FrameworkID, id, mesos.TaskState_TASK_FINISHED, byte(10+i))
	}
	used(2)
	h.update(ag, fw.FrameworkID, "g3", mesos.TaskState_TASK_FINISHED, 12)
	used(0)
	if st := h.state(); cpus(st.Agents[0].Offered) != 4 {
		t.Fatalf("offered after all ended: %v", st.Agents[0].Offered)
	}
}

func TestMultiRoleWithStaticReservation(t *testing.T) {
	h := newHarness(t, quietPings)
	info := frameworkInfo("mr", mesos.FrameworkInfo_Capability_MULTI_ROLE)
	info.Roles = []string{"ads", "web"}
	mr := h.subscribe(info)
	webInfo := frameworkInfo("web")
	webInfo.Role = strPtr("web")
	web := h.subscribe(webInfo)
	ag := h.addAgent("cpus:4;mem:1024;cpus(ads):2")

	// Decline with a long filter until both of mr's roles have been
	// offered the agent; check every offer on the way.
	seen := map[string]float64{}
	for len(seen) < 2 {
		for _, o := range h.offers(mr) {
			role := o.GetAllocationInfo().GetRole()
			if role == "" {
				t.Fatalf("MULTI_ROLE offer without allocation_info: %v", o)
			}
			for _, r := range o.GetResources() {
				if r.GetAllocationInfo().GetRole() != role {
					t.Fatalf("resource %v in an offer for role %s", r, role)
				}
				if resources.Role(r) == "ads" && role != "ads" {
					t.Fatalf("reserved resource %v offered to role %s", r, role)
				}
			}
			seen[role] += cpus(resources.Reserved(o.GetResources(), "ads"))
			if err := h.call(mr, decline(3600, o.GetId().GetValue())); err != nil {
				t.Fatal(err)
			}
		}
	}
	if seen["ads"] != 2 || seen["web"] != 0 {
		t.Fatalf("reserved cpus offered per role: %v", seen)
	}
	// The non-MULTI_ROLE framework in role web sees unreserved resources
	// only, without allocation_info.
	for _, o := range h.offers(web) {
		if o.AllocationInfo != nil || len(resources.Reserved(o.GetResources(), "")) != 0 {
			t.Fatalf("offer to web = %v", o)
		}
		for _, r := range o.GetResources() {
			if r.AllocationInfo != nil {
				t.Fatalf("resource with allocation_info offered to web: %v", r)
			}
		}
	}

	// mr launches a task on the reservation, in role ads (web holds the
	// unreserved resources now).
	if err := h.call(mr, &scheduler.Call{Type: scheduler.Call_REVIVE.Enum()}); err != nil {
		t.Fatal(err)
	}
	var ads *mesos.Offer
	for ads == nil {
		for _, o := range h.offers(mr) {
			if o.GetAllocationInfo().GetRole() == "ads" {
				ads = o
			}
		}
	}
	tk := task("r1", ag.AgentID, "cpus(ads):1")
	tk.Resources = resources.AllocateTo(tk.Resources, "ads")
	if err := h.call(mr, launch(ads.GetId().GetValue(), tk)); err != nil {
		t.Fatal(err)
	}
	if run := h.nextAgent(ag.Events, agentpb.Event_RUN_TASK); run.GetRunTask().GetTask().GetTaskId().GetValue() != "r1" {
		t.Fatalf("RUN_TASK = %v", run)
	}
	st := h.state()
	f := findFramework(st, mr.FrameworkID)
	if len(f.Tasks) != 1 || f.Tasks[0].Role != "ads" || cpus(st.Agents[0].Used) != 1 {
		t.Fatalf("tasks %+v, agent used %v", f.Tasks, st.Agents[0].Used)
	}
}

// TestReservationFormatFollowsCapability: frameworks without
// RESERVATION_REFINEMENT see reservations in the older role/reservation
// format, and may launch with it.
func TestReservationFormatFollowsCapability(t *testing.T) {
	for _, refined := range []bool{false, true} {
		h := newHarness(t, quietPings)
		info := frameworkInfo("f")
		if refined {
			info = frameworkInfo("f", mesos.FrameworkInfo_Capability_RESERVATION_REFINEMENT)
		}
		info.Role = strPtr("ads")
		fw := h.subscribe(info)
		ag := h.addAgent("cpus:1;mem:256;cpus(ads):2")
		off := h.offers(fw)[0]
		var reserved *mesos.Resource
		for _, r := range off.GetResources() {
			if resources.Role(r) == "ads" {
				reserved = r
			}
		}
		//nolint:staticcheck // the legacy fields are what is checked
		if reserved == nil || (len(reserved.GetReservations()) == 1) != refined || (reserved.GetRole() == "ads") == refined {
			t.Fatalf("refined=%v: reserved resource %v", refined, reserved)
		}
		tk := task("r", ag.AgentID, "cpus:1")
		tk.Resources = []*mesos.Resource{proto.Clone(reserved).(*mesos.Resource)}
		tk.Resources[0].Scalar.Value = float64Ptr(1)
		if err := h.call(fw, launch(off.GetId().GetValue(), tk)); err != nil {
			t.Fatal(err)
		}
		h.nextAgent(ag.Events, agentpb.Event_RUN_TASK)
		if st := h.state(); cpus(st.Agents[0].Used) != 1 {
			t.Fatalf("refined=%v: used %v", refined, st.Agents[0].Used)
		}
		// When it ends, the reservation is whole again.
		h.update(ag, fw.FrameworkID, "r", mesos.TaskState_TASK_FINISHED, 1)
		h.advance(6 * time.Second)
		if st := h.state(); !resources.Equal(st.Agents[0].Offered, st.Agents[0].Total) {
			t.Fatalf("refined=%v: offered %v of %v", refined, st.Agents[0].Offered, st.Agents[0].Total)
		}
	}
}
