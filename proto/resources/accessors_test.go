package resources

import (
	"reflect"
	"testing"

	"google.golang.org/protobuf/proto"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

func TestRole(t *testing.T) {
	legacy := sc("cpus", 1, "")
	legacy.Role = proto.String("old")
	star := sc("cpus", 1, "")
	star.Role = proto.String("*")
	refined := dynamic(sc("cpus", 1, ""), "eng", "p")
	refined.Reservations = append(refined.Reservations, &mesos.Resource_ReservationInfo{
		Type: mesos.Resource_ReservationInfo_DYNAMIC.Enum(), Role: proto.String("eng/web")})
	refined.Role = proto.String("stale")
	tests := []struct {
		r    *mesos.Resource
		want string
	}{
		{sc("cpus", 1, ""), "*"},
		{star, "*"},
		{legacy, "old"},
		{sc("cpus", 1, "ads"), "ads"},
		{refined, "eng/web"},
		{nil, "*"},
	}
	for _, tt := range tests {
		if got := Role(tt.r); got != tt.want {
			t.Errorf("Role(%v) = %q, want %q", tt.r, got, tt.want)
		}
	}
}

func TestScalarAndRanges(t *testing.T) {
	rs := list(sc("cpus", 0.1, ""), sc("cpus", 0.2, "ads"), allocated(sc("cpus", 1, ""), "web"),
		sc("cpus", -5, ""), sc("mem", 7, ""),
		rg("ports", "", 10, 20), rg("ports", "ads", 21, 25, 40, 41), rg("ports", "", 100, 50))
	if got := Scalar(rs, "cpus"); got != 1.3 {
		t.Errorf("Scalar(cpus) = %v, want 1.3", got)
	}
	if got := Scalar(rs, "gpus"); got != 0 {
		t.Errorf("Scalar(gpus) = %v, want 0", got)
	}
	if got := Scalar(rs, "ports"); got != 0 {
		t.Errorf("Scalar(ports) = %v, want 0", got)
	}
	want := [][2]uint64{{10, 25}, {40, 41}}
	if got := Ranges(rs, "ports"); !reflect.DeepEqual(got, want) {
		t.Errorf("Ranges(ports) = %v, want %v", got, want)
	}
	if got := Ranges(rs, "cpus"); got != nil {
		t.Errorf("Ranges(cpus) = %v, want nil", got)
	}
}

func TestReservedAndUnreserved(t *testing.T) {
	rs := list(sc("cpus", 1, ""), sc("cpus", 2, "ads"), dynamic(sc("mem", 3, ""), "web", "p"), nil, sc("mem", 4, ""))
	tests := []struct {
		name string
		got  []*mesos.Resource
		want []*mesos.Resource
	}{
		{"Reserved(ads)", Reserved(rs, "ads"), list(sc("cpus", 2, "ads"))},
		{"Reserved(web)", Reserved(rs, "web"), list(dynamic(sc("mem", 3, ""), "web", "p"))},
		{"Reserved(any)", Reserved(rs, ""), list(sc("cpus", 2, "ads"), dynamic(sc("mem", 3, ""), "web", "p"))},
		{"Reserved(none)", Reserved(rs, "other"), nil},
		{"Unreserved", Unreserved(rs), list(sc("cpus", 1, ""), sc("mem", 4, ""))},
	}
	for _, tt := range tests {
		if !sameList(tt.got, tt.want) {
			t.Errorf("%s = %s, want %s", tt.name, String(tt.got), String(tt.want))
		}
	}
	Unreserved(rs)[0].Scalar.Value = proto.Float64(99)
	if rs[0].GetScalar().GetValue() != 1 {
		t.Error("Unreserved returned the input's messages")
	}
}

func TestAllocateToAndStrip(t *testing.T) {
	rs := mustParse(t, "cpus:1;mem:2;cpus(ads):1")
	got := AllocateTo(rs, "web")
	for _, r := range got {
		if r.GetAllocationInfo().GetRole() != "web" {
			t.Errorf("AllocateTo: %v not allocated to web", r)
		}
	}
	if rs[0].AllocationInfo != nil {
		t.Error("AllocateTo modified its input")
	}
	// Allocated resources are a different identity from the agent's own.
	if Contains(rs, got) {
		t.Error("allocated resources are contained in unallocated ones")
	}
	if back := StripAllocation(got); !sameList(back, rs) {
		t.Errorf("StripAllocation(AllocateTo(rs)) = %s, want %s", String(back), String(rs))
	}
	if got[0].AllocationInfo == nil {
		t.Error("StripAllocation modified its input")
	}
}
