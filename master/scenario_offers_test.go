package master

import (
	"testing"
	"time"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	"github.com/agoraproject/agora/proto/mesos/v1/scheduler"
)

func TestSuppressAndReviveByRole(t *testing.T) {
	h := newHarness(t, quietPings)
	info := frameworkInfo("mr", mesos.FrameworkInfo_Capability_MULTI_ROLE)
	info.Roles = []string{"a", "b"}
	fw := h.subscribe(info)
	suppress := func(roles ...string) {
		t.Helper()
		if err := h.call(fw, &scheduler.Call{Type: scheduler.Call_SUPPRESS.Enum(), Suppress: &scheduler.Call_Suppress{Roles: roles}}); err != nil {
			t.Fatal(err)
		}
	}
	suppress("a")
	h.addAgent("cpus:2;mem:512")
	off := h.offers(fw)
	if len(off) != 1 || off[0].GetAllocationInfo().GetRole() != "b" {
		t.Fatalf("with role a suppressed, offers = %v", off)
	}
	// Suppress b too and hand the offer back: nothing is offered, even
	// across allocation cycles.
	suppress("b")
	if err := h.call(fw, decline(0, offerIDs(off)...)); err != nil {
		t.Fatal(err)
	}
	h.sync()
	h.advance(2 * time.Second)
	h.advance(2 * time.Second)
	h.none(fw.Events, scheduler.Event_OFFERS)
	if n := len(h.state().Frameworks[0].Offers); n != 0 {
		t.Fatalf("%d offers outstanding while suppressed", n)
	}
	// Reviving role a alone brings offers back, in role a.
	if err := h.call(fw, &scheduler.Call{Type: scheduler.Call_REVIVE.Enum(), Revive: &scheduler.Call_Revive{Roles: []string{"a"}}}); err != nil {
		t.Fatal(err)
	}
	off = h.offers(fw)
	if len(off) != 1 || off[0].GetAllocationInfo().GetRole() != "a" || cpus(off[0].GetResources()) != 2 {
		t.Fatalf("after REVIVE a, offers = %v", off)
	}
}

func TestDeclineRefuseSeconds(t *testing.T) {
	h := newHarness(t, quietPings)
	fw := h.subscribe(frameworkInfo("f"))
	h.addAgent("cpus:2;mem:512")
	off := h.offers(fw)
	if err := h.call(fw, decline(30, offerIDs(off)...)); err != nil {
		t.Fatal(err)
	}
	h.sync()
	h.advance(10 * time.Second)
	h.advance(10 * time.Second)
	h.none(fw.Events, scheduler.Event_OFFERS)
	// After the filter expires the same resources are offered again.
	h.advance(11 * time.Second)
	again := h.offers(fw)
	if len(again) != 1 || cpus(again[0].GetResources()) != 2 || again[0].GetId().GetValue() == off[0].GetId().GetValue() {
		t.Fatalf("re-offer = %v", again)
	}
}

// TestDeclineOffersOnSeveralAgents: one DECLINE naming offers on two
// agents returns both (it used to return the first agent's only).
func TestDeclineOffersOnSeveralAgents(t *testing.T) {
	h := newHarness(t, quietPings)
	fw := h.subscribe(frameworkInfo("f"))
	h.addAgent("cpus:1;mem:256")
	h.addAgent("cpus:1;mem:256")
	h.sync()
	var ids []string
	for len(ids) < 2 {
		ids = append(ids, offerIDs(h.offers(fw))...)
	}
	if err := h.call(fw, decline(60, ids...)); err != nil {
		t.Fatal(err)
	}
	h.sync()
	if n := len(h.state().Frameworks[0].Offers); n != 0 {
		t.Fatalf("%d offers still outstanding after declining all", n)
	}
	// Another framework gets both agents at once.
	other := h.subscribe(frameworkInfo("g"))
	var got []*mesos.Offer
	for len(got) < 2 {
		got = append(got, h.offers(other)...)
	}
	if got[0].GetAgentId().GetValue() == got[1].GetAgentId().GetValue() {
		t.Fatalf("offers = %v", got)
	}
}

// TestAcceptWithInvalidOffersUsesThemAll: an ACCEPT that fails because its
// offers span two agents drops its tasks and returns both offers.
func TestAcceptWithInvalidOffersUsesThemAll(t *testing.T) {
	h := newHarness(t, quietPings)
	fw := h.subscribe(frameworkInfo("f"))
	a := h.addAgent("cpus:1;mem:256")
	h.addAgent("cpus:1;mem:256")
	h.sync()
	var ids []string
	for len(ids) < 2 {
		ids = append(ids, offerIDs(h.offers(fw))...)
	}
	call := launch(ids[0], task("t", a.AgentID, "cpus:0.5;mem:32"))
	call.Accept.OfferIds = append(call.Accept.OfferIds, &mesos.OfferID{Value: strPtr(ids[1])})
	if err := h.call(fw, call); err != nil {
		t.Fatal(err)
	}
	s := h.next(fw.Events, scheduler.Event_UPDATE).GetUpdate().GetStatus()
	if s.GetState() != mesos.TaskState_TASK_LOST || s.GetReason() != mesos.TaskStatus_REASON_INVALID_OFFERS || !contains(s.GetMessage(), "different agents") {
		t.Fatalf("update = %v", s)
	}
	// Both offers are gone and both agents are offered again, in full.
	var got []*mesos.Offer
	for len(got) < 2 {
		got = append(got, h.offers(fw)...)
	}
	for _, o := range got {
		if id := o.GetId().GetValue(); id == ids[0] || id == ids[1] || cpus(o.GetResources()) != 1 {
			t.Fatalf("re-offer %v", o)
		}
	}
	// An ACCEPT naming no offers drops its tasks too.
	call = launch("", task("u", a.AgentID, "cpus:0.5;mem:32"))
	call.Accept.OfferIds = nil
	if err := h.call(fw, call); err != nil {
		t.Fatal(err)
	}
	s = h.next(fw.Events, scheduler.Event_UPDATE).GetUpdate().GetStatus()
	if s.GetState() != mesos.TaskState_TASK_LOST || !contains(s.GetMessage(), "No offers specified") {
		t.Fatalf("update = %v", s)
	}
}

func TestOfferTimeoutRescinds(t *testing.T) {
	h := newHarness(t, func(c *Config) { quietPings(c); c.OfferTimeout = 10 * time.Second })
	fw := h.subscribe(frameworkInfo("f"))
	h.addAgent("cpus:2;mem:512")
	off := h.offers(fw)
	h.advance(5 * time.Second)
	h.none(fw.Events, scheduler.Event_RESCIND)
	h.advance(6 * time.Second)
	r := h.next(fw.Events, scheduler.Event_RESCIND)
	if r.GetRescind().GetOfferId().GetValue() != off[0].GetId().GetValue() {
		t.Fatalf("rescinded %v, want %s", r, off[0].GetId().GetValue())
	}
	// The resources come back unfiltered: offered again at once.
	again := h.offers(fw)
	if len(again) != 1 || cpus(again[0].GetResources()) != 2 {
		t.Fatalf("re-offer = %v", again)
	}
}

func TestHeartbeatEvery15Seconds(t *testing.T) {
	h := newHarness(t, quietPings)
	fw := h.subscribe(frameworkInfo("f"))
	h.advance(14 * time.Second)
	h.none(fw.Events, scheduler.Event_HEARTBEAT)
	h.advance(time.Second)
	h.next(fw.Events, scheduler.Event_HEARTBEAT)
}

// TestResubscribeReplacesOffers: a framework that resubscribes while
// connected (a failed-over scheduler) gets fresh offers; the old ones no
// longer hold the resources.
func TestResubscribeReplacesOffers(t *testing.T) {
	h := newHarness(t, quietPings)
	fw := h.subscribe(frameworkInfo("f"))
	h.addAgent("cpus:2;mem:512")
	old := h.offers(fw)
	info := frameworkInfo("f")
	info.Id = &mesos.FrameworkID{Value: strPtr(fw.FrameworkID)}
	fw2 := h.subscribe(info)
	off := h.offers(fw2)
	if len(off) != 1 || cpus(off[0].GetResources()) != 2 || off[0].GetId().GetValue() == old[0].GetId().GetValue() {
		t.Fatalf("offers after failover = %v", off)
	}
	if st := h.state(); len(st.Frameworks[0].Offers) != 1 || cpus(st.Agents[0].Offered) != 2 {
		t.Fatalf("outstanding offers = %+v", st.Frameworks[0].Offers)
	}
}
