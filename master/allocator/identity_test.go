package allocator_test

import (
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/master/allocator"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// Resources with identity beyond name and type (persistent volumes, dynamic
// reservations by a principal) must come out of the allocator as they went
// in, and never merge with plain resources of the same name.

func volume(id string, mb float64, role string) *mesos.Resource {
	r := rs("disk(" + role + "):1")[0]
	r.Scalar.Value = proto.Float64(mb)
	r.Disk = &mesos.Resource_DiskInfo{Persistence: &mesos.Resource_DiskInfo_Persistence{Id: proto.String(id)}}
	return r
}

func dynamic(spec, role, principal string) []*mesos.Resource {
	out := rs(spec)
	for _, r := range out {
		r.Reservations = []*mesos.Resource_ReservationInfo{{
			Type: mesos.Resource_ReservationInfo_DYNAMIC.Enum(), Role: proto.String(role), Principal: proto.String(principal)}}
	}
	return out
}

func TestResourceIdentitySurvivesAllocation(t *testing.T) {
	// Any non-empty resources are allocatable, so a lone volume is offered.
	a := allocator.New(allocator.Config{MinAllocatable: []map[string]float64{{}}})
	total := append(rs("cpus:2;mem:256;disk(db):1000"), volume("v1", 100, "db"), volume("v2", 200, "db"))
	total = append(total, dynamic("cpus:1;mem:64", "db", "ops")...)
	a.AddAgent("A1", total, nil)
	a.AddFramework("F1", []string{"db"}, nil)
	offers := a.Allocate(t0)
	if len(offers) != 1 {
		t.Fatalf("offers = %v", describe(t, offers))
	}
	var volumes []string
	var plainDisk, dynCPUs float64
	for _, r := range offers[0].Resources {
		switch {
		case r.GetDisk().GetPersistence().GetId() != "":
			volumes = append(volumes, r.GetDisk().GetPersistence().GetId())
			if r.GetScalar().GetValue() != map[string]float64{"v1": 100, "v2": 200}[r.GetDisk().GetPersistence().GetId()] {
				t.Errorf("volume %v", r)
			}
		case r.GetName() == "disk":
			plainDisk += r.GetScalar().GetValue()
		case r.GetName() == "cpus" && len(r.Reservations) == 1 && r.Reservations[0].GetPrincipal() == "ops":
			dynCPUs += r.GetScalar().GetValue()
		}
	}
	if len(volumes) != 2 || plainDisk != 1000 || dynCPUs != 1 {
		t.Errorf("volumes %v, plain disk %v, dynamically reserved cpus %v in %v", volumes, plainDisk, dynCPUs, offers[0].Resources)
	}
	// Volumes count toward the disk share: 1300 of 1300 MB.
	if s := a.FrameworkShares()["F1"]; s != 1 {
		t.Errorf("share = %v, want 1", s)
	}
	// Handing back one volume frees exactly that volume.
	a.Recover("F1", "A1", withRole("db", []*mesos.Resource{volume("v2", 200, "db")}), 0, t0)
	offers = a.Allocate(t0)
	if len(offers) != 1 || len(offers[0].Resources) != 1 || offers[0].Resources[0].GetDisk().GetPersistence().GetId() != "v2" {
		t.Errorf("after recovering v2: %v", describe(t, offers))
	}
}

func TestRecoverWithoutAllocationInfo(t *testing.T) {
	// A framework without MULTI_ROLE gets resources stripped of
	// allocation_info; if they come back that way, its single role is used.
	a := allocator.New(allocator.Config{})
	a.AddAgent("A1", rs("cpus:1;mem:64"), nil)
	a.AddFramework("F1", []string{"r"}, nil)
	expectOffers(t, a.Allocate(t0), "F1@A1/r cpus:1;mem:64")
	a.Recover("F1", "A1", rs("cpus:1;mem:64"), 0, t0)
	expectOffers(t, a.Allocate(t0), "F1@A1/r cpus:1;mem:64")
}

func TestOfferResourcesAreIndependent(t *testing.T) {
	// The master may rewrite an offer's resources (strip allocation_info
	// for old frameworks); that must not touch other offers or the
	// allocator's books.
	a := allocator.New(allocator.Config{})
	a.AddAgent("A1", rs("cpus:1;mem:64;ports:[1-2]"), nil)
	a.AddAgent("A2", rs("cpus:1;mem:64;ports:[1-2]"), nil)
	a.AddFramework("F1", []string{"r"}, nil)
	offers := a.Allocate(t0)
	for _, r := range offers[0].Resources {
		r.AllocationInfo = nil
		r.Scalar = nil
		r.Ranges = nil
	}
	offers[0].Resources = append(offers[0].Resources[:1], rs("cpus:9")...)
	expectOffers(t, offers[1:], "F1@A2/r cpus:1;mem:64;ports:[1-2]")
	a.Recover("F1", "A1", withRole("r", rs("cpus:1;mem:64;ports:[1-2]")), 0, t0)
	expectOffers(t, a.Allocate(t0), "F1@A1/r cpus:1;mem:64;ports:[1-2]")
}
