package master

import (
	"math"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// usedSum adds up the resources of many tasks for a State's sums. A task's
// resources are almost always plain scalars (no reservation, disk, ranges
// or set) allocated to a role; those are added here in fixed point, one
// slot per (name, role), and only what remains goes through
// resources.Add. The result equals sumStripped of everything added
// (property_sums_test.go checks it), at a fraction of its cost over
// 100,000 tasks.
type usedSum struct {
	items []sumItem // first-seen order, as resources.Add keeps it
}

type sumItem struct {
	other *mesos.Resource // set for items that are not plain scalars
	name  string
	role  string
	alloc bool // AllocationInfo present
	milli int64
}

// Scalars are summed in thousandths, as package resources does.
const maxSumMilli = 1 << 53

func toSumMilli(v float64) int64 {
	if math.IsNaN(v) {
		return 0
	}
	m := math.Round(v * 1000)
	switch {
	case m > maxSumMilli:
		return maxSumMilli
	case m < -maxSumMilli:
		return -maxSumMilli
	}
	return int64(m)
}

// plainScalar reports whether r's identity is only its name and allocation
// role, so that its value can be summed without a template.
func plainScalar(r *mesos.Resource) bool {
	return r.GetType() == mesos.Value_SCALAR && r.Scalar != nil && r.Ranges == nil && r.Set == nil &&
		r.Role == nil && r.Reservation == nil && len(r.Reservations) == 0 && r.Disk == nil &&
		r.Revocable == nil && r.Shared == nil && r.ProviderId == nil && r.Name != nil &&
		len(r.ProtoReflect().GetUnknown()) == 0
}

func (s *usedSum) add(rs []*mesos.Resource) {
	for _, r := range rs {
		if !plainScalar(r) {
			s.items = append(s.items, sumItem{other: r})
			continue
		}
		name, role, alloc := r.GetName(), r.GetAllocationInfo().GetRole(), r.AllocationInfo != nil
		m := toSumMilli(r.GetScalar().GetValue())
		found := false
		for i := range s.items {
			it := &s.items[i]
			if it.other == nil && it.alloc == alloc && it.name == name && it.role == role {
				it.milli = min(it.milli+m, maxSumMilli)
				found = true
				break
			}
		}
		if !found {
			s.items = append(s.items, sumItem{name: name, role: role, alloc: alloc, milli: m})
		}
	}
}

// resources is the sum without allocation info, as sumStripped returns it.
func (s *usedSum) resources() []*mesos.Resource {
	if len(s.items) == 0 {
		return nil
	}
	rs := make([]*mesos.Resource, 0, len(s.items))
	for i := range s.items {
		it := &s.items[i]
		if it.other != nil {
			rs = append(rs, it.other)
			continue
		}
		r := &mesos.Resource{Name: strPtr(it.name), Type: mesos.Value_SCALAR.Enum(),
			Scalar: &mesos.Value_Scalar{Value: float64Ptr(float64(it.milli) / 1000)}}
		if it.alloc {
			r.AllocationInfo = &mesos.Resource_AllocationInfo{Role: strPtr(it.role)}
		}
		rs = append(rs, r)
	}
	return sumStripped(rs)
}
