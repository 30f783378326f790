package offers_test

import (
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/proto/resources"
	"github.com/agoraproject/agora/sdk/offers"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

func mustParse(t *testing.T, s string) []*mesos.Resource {
	t.Helper()
	rs, err := resources.Parse(s)
	if err != nil {
		t.Fatalf("Parse(%q): %v", s, err)
	}
	return rs
}

func offerOf(rs []*mesos.Resource) *mesos.Offer {
	return &mesos.Offer{
		Id:          &mesos.OfferID{Value: proto.String("o1")},
		FrameworkId: &mesos.FrameworkID{Value: proto.String("f1")},
		AgentId:     &mesos.AgentID{Value: proto.String("a1")},
		Hostname:    proto.String("h1"),
		Resources:   rs,
	}
}

func TestPoolPacksTasksWithoutDrift(t *testing.T) {
	p := offers.NewPool(offerOf(mustParse(t, "cpus:1;mem:320")))
	need := offers.Scalars(0.1, 32, 0)
	for i := range 10 {
		if _, ok := p.Take(need); !ok {
			t.Fatalf("task %d did not fit; left %s", i, resources.String(p.Remaining()))
		}
	}
	if _, ok := p.Take(need); ok {
		t.Fatalf("11th task fit; left %s", resources.String(p.Remaining()))
	}
	if got := p.Remaining(); len(got) != 0 {
		t.Fatalf("left %s, want nothing", resources.String(got))
	}
}

func TestPoolTakeIsAllOrNothing(t *testing.T) {
	p := offers.NewPool(offerOf(mustParse(t, "cpus:1;mem:64")))
	if _, ok := p.Take(offers.Scalars(0.5, 128, 0)); ok {
		t.Fatal("128 MiB fit in 64")
	}
	if got := resources.Scalar(p.Remaining(), "cpus"); got != 1 {
		t.Fatalf("failed Take consumed cpus: %v left", got)
	}
}

func TestPoolPicksPorts(t *testing.T) {
	p := offers.NewPool(offerOf(mustParse(t, "cpus:1;ports:[31000-31001,31005-31010]")))
	got, ok := p.Take([]*mesos.Resource{offers.AnyPorts(3)})
	if !ok {
		t.Fatal("3 ports did not fit")
	}
	if want := [][2]uint64{{31000, 31001}, {31005, 31005}}; !equalRanges(resources.Ranges(got, "ports"), want) {
		t.Fatalf("picked %v, want %v", resources.Ranges(got, "ports"), want)
	}
	got, ok = p.Take([]*mesos.Resource{offers.Range("ports", 31008, 31008)})
	if !ok || !equalRanges(resources.Ranges(got, "ports"), [][2]uint64{{31008, 31008}}) {
		t.Fatalf("exact port: %v %v", ok, resources.String(got))
	}
	if _, ok := p.Take([]*mesos.Resource{offers.Range("ports", 31008, 31008)}); ok {
		t.Fatal("port 31008 taken twice")
	}
	if _, ok := p.Take([]*mesos.Resource{offers.AnyPorts(5)}); ok {
		t.Fatal("5 ports fit in the 4 left")
	}
	if want := [][2]uint64{{31006, 31007}, {31009, 31010}}; !equalRanges(resources.Ranges(p.Remaining(), "ports"), want) {
		t.Fatalf("left %v, want %v", resources.Ranges(p.Remaining(), "ports"), want)
	}
}

func TestPoolKeepsAllocationAndReservation(t *testing.T) {
	rs := resources.AllocateTo(mustParse(t, "cpus(web):0.5;cpus:1;mem:100"), "web")
	p := offers.NewPool(offerOf(rs))
	got, ok := p.Take(offers.Scalars(1, 10, 0))
	if !ok {
		t.Fatal("did not fit")
	}
	// 0.5 reserved + 0.5 unreserved, each echoing its identity.
	if !resources.Contains(rs, got) {
		t.Fatalf("taken %s not contained in offer %s", resources.String(got), resources.String(rs))
	}
	for _, r := range got {
		if r.GetAllocationInfo().GetRole() != "web" {
			t.Fatalf("%s lost its allocation_info", resources.String([]*mesos.Resource{r}))
		}
	}
	if len(resources.Reserved(got, "web")) != 1 || resources.Scalar(resources.Unreserved(got), "cpus") != 0.5 {
		t.Fatalf("taken %s, want 0.5 reserved + 0.5 unreserved cpus", resources.String(got))
	}

	// A request that names the reservation takes only reserved resources.
	p = offers.NewPool(offerOf(rs))
	reserved := mustParse(t, "cpus(web):0.75")
	if _, ok := p.Take(reserved); ok {
		t.Fatal("0.75 reserved cpus fit in 0.5")
	}
}

func TestFits(t *testing.T) {
	have := mustParse(t, "cpus:2;mem:1024;disk:100;ports:[8000-8002]")
	for _, tc := range []struct {
		name string
		need []*mesos.Resource
		want bool
	}{
		{"nothing", nil, true},
		{"scalars", offers.Scalars(2, 1024, 100), true},
		{"too much cpu", offers.Scalars(2.001, 0, 0), false},
		{"unknown resource", []*mesos.Resource{offers.Scalar("gpus", 1)}, false},
		{"ports count", []*mesos.Resource{offers.AnyPorts(3)}, true},
		{"too many ports", []*mesos.Resource{offers.AnyPorts(4)}, false},
		{"fractional ports", []*mesos.Resource{offers.AnyPorts(1), offers.Scalar("ports", 0.5)}, false},
		{"negative", []*mesos.Resource{offers.Scalar("cpus", -1)}, false},
		{"exact port", []*mesos.Resource{offers.Range("ports", 8001, 8002)}, true},
		{"port outside", []*mesos.Resource{offers.Range("ports", 8002, 8003)}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := offers.Fits(have, tc.need); got != tc.want {
				t.Fatalf("Fits = %v, want %v", got, tc.want)
			}
		})
	}
}

func equalRanges(a, b [][2]uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
