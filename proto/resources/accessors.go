package resources

import (
	"google.golang.org/protobuf/proto"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// Scalar returns the total of the scalar resource name over all roles,
// allocations and revocability, as Mesos's cpus() and mem() do, summed in
// fixed point; 0 if there is none.
func Scalar(rs []*mesos.Resource, name string) float64 {
	var m int64
	for _, r := range rs {
		if r.GetName() == name && r.GetType() == mesos.Value_SCALAR && usable(r) {
			m = addMilli(m, toMilli(r.GetScalar().GetValue()))
		}
	}
	return fromMilli(m)
}

// Ranges returns the union of the ranges resource name over all roles and
// allocations as sorted, coalesced [begin, end] pairs; nil if there is none.
func Ranges(rs []*mesos.Resource, name string) [][2]uint64 {
	var all []span
	for _, r := range rs {
		if r.GetName() == name && r.GetType() == mesos.Value_RANGES && usable(r) {
			all = append(all, spansOf(r.GetRanges())...)
		}
	}
	all = coalesce(all)
	if len(all) == 0 {
		return nil
	}
	out := make([][2]uint64, len(all))
	for i, s := range all {
		out[i] = [2]uint64{s.lo, s.hi}
	}
	return out
}

// Reserved returns copies of the items reserved for role, or of every
// reserved item when role is "".
func Reserved(rs []*mesos.Resource, role string) []*mesos.Resource {
	return filter(rs, func(r *mesos.Resource) bool {
		got := Role(r)
		return got != unreservedRole && (role == "" || got == role)
	})
}

// Unreserved returns copies of the items not reserved for any role.
func Unreserved(rs []*mesos.Resource) []*mesos.Resource {
	return filter(rs, func(r *mesos.Resource) bool { return Role(r) == unreservedRole })
}

// AllocateTo returns copies of rs allocated to role, as the master marks
// what it offers to a MULTI_ROLE framework.
func AllocateTo(rs []*mesos.Resource, role string) []*mesos.Resource {
	out := Clone(rs)
	for _, r := range out {
		if r != nil {
			r.AllocationInfo = &mesos.Resource_AllocationInfo{Role: proto.String(role)}
		}
	}
	return out
}

// StripAllocation returns copies of rs without allocation info, for
// frameworks without MULTI_ROLE and for comparing against an agent's total.
func StripAllocation(rs []*mesos.Resource) []*mesos.Resource {
	out := Clone(rs)
	for _, r := range out {
		if r != nil {
			r.AllocationInfo = nil
		}
	}
	return out
}

func filter(rs []*mesos.Resource, keep func(*mesos.Resource) bool) []*mesos.Resource {
	var out []*mesos.Resource
	for _, r := range rs {
		if r != nil && keep(r) {
			out = append(out, proto.Clone(r).(*mesos.Resource))
		}
	}
	return out
}
