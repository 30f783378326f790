package master

import (
	"math"
	"reflect"
	"unsafe"

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
		!resourceHasUnknown(r)
}

// resourceUnknown is where mesos.Resource keeps its unknown fields: read
// directly, the check costs a load instead of a trip through protoreflect
// (a cold read checks 200,000 resources).
var resourceUnknown = func() int64 {
	f, ok := reflect.TypeFor[mesos.Resource]().FieldByName("unknownFields")
	if !ok || f.Type != reflect.TypeFor[[]byte]() {
		return -1
	}
	return int64(f.Offset)
}()

func resourceHasUnknown(r *mesos.Resource) bool {
	if resourceUnknown < 0 {
		return len(r.ProtoReflect().GetUnknown()) > 0
	}
	return len(*(*[]byte)(unsafe.Add(unsafe.Pointer(r), uintptr(resourceUnknown)))) > 0
}

func (s *usedSum) add(rs []*mesos.Resource) {
	for _, r := range rs {
		if plainScalar(r) {
			s.addPlain(r.GetName(), r.GetAllocationInfo().GetRole(), r.AllocationInfo != nil, toSumMilli(r.GetScalar().GetValue()))
		} else {
			s.items = append(s.items, sumItem{other: r})
		}
	}
}

func (s *usedSum) addPlain(name, role string, alloc bool, m int64) {
	for i := range s.items {
		it := &s.items[i]
		if it.other == nil && it.alloc == alloc && it.name == name && it.role == role {
			it.milli = min(it.milli+m, maxSumMilli)
			return
		}
	}
	s.items = append(s.items, sumItem{name: name, role: role, alloc: alloc, milli: m})
}

// resources is the sum without allocation info, as sumStripped returns it.
func (s *usedSum) resources() []*mesos.Resource {
	if len(s.items) == 0 {
		return nil
	}
	if out, ok := s.plainResources(); ok {
		return out
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

// plainResources is resources when every item is a plain scalar, without
// package resources: totals by name, in the order names first appear with
// a positive total (sumStripped drops the empty and negative ones first).
// A cold read sums 10,000 agents' tasks.
func (s *usedSum) plainResources() ([]*mesos.Resource, bool) {
	type total struct {
		name  string
		milli int64
	}
	var buf [8]total
	totals := buf[:0]
	for i := range s.items {
		it := &s.items[i]
		if it.other != nil {
			return nil, false
		}
		if it.milli <= 0 {
			continue
		}
		j := 0
		for j < len(totals) && totals[j].name != it.name {
			j++
		}
		if j == len(totals) {
			totals = append(totals, total{name: it.name})
		}
		totals[j].milli = min(totals[j].milli+it.milli, maxSumMilli)
	}
	if len(totals) == 0 {
		return nil, true
	}
	out := make([]*mesos.Resource, len(totals))
	for i, t := range totals {
		out[i] = &mesos.Resource{Name: strPtr(t.name), Type: mesos.Value_SCALAR.Enum(),
			Scalar: &mesos.Value_Scalar{Value: float64Ptr(float64(t.milli) / 1000)}}
	}
	return out, true
}

func (s *usedSum) addItems(items []sumItem) {
	for _, it := range items {
		if it.other != nil {
			s.items = append(s.items, it)
		} else {
			s.addPlain(it.name, it.role, it.alloc, it.milli)
		}
	}
}
