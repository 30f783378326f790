package resources

import (
	"google.golang.org/protobuf/proto"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// unreservedRole is the role of resources that are not reserved.
const unreservedRole = "*"

// Role returns the role r is reserved for, or "*" when it is unreserved.
// The reservation stack wins over the deprecated role field, because a
// refined reservation's role is always the last entry of the stack.
func Role(r *mesos.Resource) string {
	if n := len(r.GetReservations()); n > 0 {
		return r.GetReservations()[n-1].GetRole()
	}
	if role := r.GetRole(); role != "" && role != unreservedRole {
		return role
	}
	return unreservedRole
}

// reservation is one entry of a reservation stack, in a form that covers
// both the refined stack and the legacy role+reservation pair.
type reservation struct {
	typ       mesos.Resource_ReservationInfo_Type
	role      string
	principal string
	labels    *mesos.Labels
}

// reservationCount is the depth of r's reservation stack.
func reservationCount(r *mesos.Resource) int {
	if n := len(r.GetReservations()); n > 0 {
		return n
	}
	if Role(r) != unreservedRole {
		return 1
	}
	return 0
}

// reservationAt returns entry i of r's stack. A legacy reservation is
// static unless the deprecated ReservationInfo is present, which in Mesos
// marks a dynamic reservation.
func reservationAt(r *mesos.Resource, i int) reservation {
	if rs := r.GetReservations(); len(rs) > 0 {
		ri := rs[i]
		return reservation{ri.GetType(), ri.GetRole(), ri.GetPrincipal(), ri.GetLabels()}
	}
	typ := mesos.Resource_ReservationInfo_STATIC
	if r.GetReservation() != nil {
		typ = mesos.Resource_ReservationInfo_DYNAMIC
	}
	legacy := r.GetReservation()
	return reservation{typ, r.GetRole(), legacy.GetPrincipal(), legacy.GetLabels()}
}

func sameReservations(x, y *mesos.Resource) bool {
	n := reservationCount(x)
	if n != reservationCount(y) {
		return false
	}
	for i := 0; i < n; i++ {
		a, b := reservationAt(x, i), reservationAt(y, i)
		if a.typ != b.typ || a.role != b.role || a.principal != b.principal {
			return false
		}
		if !sameLabels(a.labels, b.labels) {
			return false
		}
	}
	return true
}

func sameLabels(a, b *mesos.Labels) bool {
	if len(a.GetLabels()) == 0 && len(b.GetLabels()) == 0 {
		return true
	}
	return proto.Equal(a, b)
}

// sameDisk compares what makes two disks the same resource. The volume is
// left out, as in Mesos: it says how a task uses the disk, not which disk.
func sameDisk(a, b *mesos.Resource_DiskInfo) bool {
	if (a == nil) != (b == nil) {
		return false
	}
	if a == nil {
		return true
	}
	if (a.Persistence == nil) != (b.Persistence == nil) {
		return false
	}
	if a.GetPersistence().GetId() != b.GetPersistence().GetId() {
		return false
	}
	if (a.Source == nil) != (b.Source == nil) {
		return false
	}
	return a.Source == nil || proto.Equal(a.Source, b.Source)
}

// sameIdentity reports whether x and y are the same kind of resource, so
// their values may be combined. The cheap string comparisons come first:
// this runs for every pair of items in every operation.
func sameIdentity(x, y *mesos.Resource) bool {
	if x.GetName() != y.GetName() || x.GetType() != y.GetType() {
		return false
	}
	if (x.AllocationInfo == nil) != (y.AllocationInfo == nil) ||
		x.GetAllocationInfo().GetRole() != y.GetAllocationInfo().GetRole() {
		return false
	}
	if (x.Revocable == nil) != (y.Revocable == nil) || (x.Shared == nil) != (y.Shared == nil) {
		return false
	}
	if (x.ProviderId == nil) != (y.ProviderId == nil) ||
		x.GetProviderId().GetValue() != y.GetProviderId().GetValue() {
		return false
	}
	if !sameReservations(x, y) {
		return false
	}
	return sameDisk(x.Disk, y.Disk)
}

// indivisible reports whether r can only be handled whole. Splitting a
// persistent volume or an exclusive MOUNT disk would hand half a disk to a
// task, and a shared volume is counted by its users rather than summed.
func indivisible(r *mesos.Resource) bool {
	if r.Shared != nil {
		return true
	}
	d := r.GetDisk()
	return d.GetPersistence() != nil ||
		(d.GetSource() != nil && d.GetSource().GetType() == mesos.Resource_DiskInfo_Source_MOUNT)
}
