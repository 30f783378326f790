package resources

import (
	"testing"

	"google.golang.org/protobuf/proto"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// Builders for test fixtures. A role of "" or "*" means unreserved; any
// other role is a static reservation in the shape Parse produces.

func sc(name string, v float64, role string) *mesos.Resource {
	r := &mesos.Resource{Name: proto.String(name), Type: mesos.Value_SCALAR.Enum(),
		Scalar: &mesos.Value_Scalar{Value: proto.Float64(v)}}
	return reserve(r, role)
}

func rg(name, role string, bounds ...uint64) *mesos.Resource {
	r := &mesos.Resource{Name: proto.String(name), Type: mesos.Value_RANGES.Enum(),
		Ranges: &mesos.Value_Ranges{}}
	for i := 0; i+1 < len(bounds); i += 2 {
		r.Ranges.Range = append(r.Ranges.Range,
			&mesos.Value_Range{Begin: proto.Uint64(bounds[i]), End: proto.Uint64(bounds[i+1])})
	}
	return reserve(r, role)
}

func st(name, role string, items ...string) *mesos.Resource {
	r := &mesos.Resource{Name: proto.String(name), Type: mesos.Value_SET.Enum(),
		Set: &mesos.Value_Set{Item: items}}
	return reserve(r, role)
}

func reserve(r *mesos.Resource, role string) *mesos.Resource {
	if role != "" && role != "*" {
		r.Role = proto.String(role)
		r.Reservations = []*mesos.Resource_ReservationInfo{{
			Type: mesos.Resource_ReservationInfo_STATIC.Enum(), Role: proto.String(role)}}
	}
	return r
}

func dynamic(r *mesos.Resource, role, principal string) *mesos.Resource {
	r = proto.Clone(r).(*mesos.Resource)
	r.Role = nil
	r.Reservations = []*mesos.Resource_ReservationInfo{{
		Type: mesos.Resource_ReservationInfo_DYNAMIC.Enum(), Role: proto.String(role),
		Principal: proto.String(principal)}}
	return r
}

func allocated(r *mesos.Resource, role string) *mesos.Resource {
	r = proto.Clone(r).(*mesos.Resource)
	r.AllocationInfo = &mesos.Resource_AllocationInfo{Role: proto.String(role)}
	return r
}

func volume(size float64, id, role string) *mesos.Resource {
	r := sc("disk", size, role)
	r.Disk = &mesos.Resource_DiskInfo{Persistence: &mesos.Resource_DiskInfo_Persistence{Id: proto.String(id)}}
	return r
}

func list(rs ...*mesos.Resource) []*mesos.Resource { return rs }

func mustParse(t testing.TB, s string) []*mesos.Resource {
	t.Helper()
	rs, err := Parse(s)
	if err != nil {
		t.Fatalf("Parse(%q): %v", s, err)
	}
	return rs
}

// sameList compares item by item, exactly, for tests that pin down the
// shape (order, splitting) of a result and not just its meaning.
func sameList(a, b []*mesos.Resource) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !proto.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}
