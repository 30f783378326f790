package resources

import (
	"google.golang.org/protobuf/proto"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// Every result of Add and Subtract is a fresh message, and proto.Clone,
// being reflective, was most of their cost. cloneIdentity copies the fields
// by hand instead, leaving the value fields empty for the caller to fill.
// Rare sub-messages still go through proto.Clone. TestCloneIdentityCovers-
// EveryField fills every field of the generated types, so a field added to
// mesos.proto cannot be dropped here silently.
func cloneIdentity(t *mesos.Resource) *mesos.Resource {
	if len(t.ProtoReflect().GetUnknown()) > 0 {
		r := proto.Clone(t).(*mesos.Resource)
		r.Scalar, r.Ranges, r.Set = nil, nil, nil
		return r
	}
	r := &mesos.Resource{
		ProviderId:  cloneMsg(t.ProviderId),
		Name:        cloneString(t.Name),
		Role:        cloneString(t.Role),
		Reservation: cloneMsg(t.Reservation),
		Disk:        cloneMsg(t.Disk),
		Revocable:   cloneMsg(t.Revocable),
		Shared:      cloneMsg(t.Shared),
	}
	if t.Type != nil {
		r.Type = t.Type.Enum()
	}
	if a := t.AllocationInfo; a != nil {
		if len(a.ProtoReflect().GetUnknown()) > 0 {
			r.AllocationInfo = cloneMsg(a)
		} else {
			r.AllocationInfo = &mesos.Resource_AllocationInfo{Role: cloneString(a.Role)}
		}
	}
	if len(t.Reservations) > 0 {
		r.Reservations = make([]*mesos.Resource_ReservationInfo, len(t.Reservations))
		for i, ri := range t.Reservations {
			r.Reservations[i] = cloneReservation(ri)
		}
	}
	return r
}

func cloneReservation(t *mesos.Resource_ReservationInfo) *mesos.Resource_ReservationInfo {
	if t == nil || len(t.ProtoReflect().GetUnknown()) > 0 {
		return cloneMsg(t)
	}
	r := &mesos.Resource_ReservationInfo{
		Role:      cloneString(t.Role),
		Principal: cloneString(t.Principal),
		Labels:    cloneMsg(t.Labels),
	}
	if t.Type != nil {
		r.Type = t.Type.Enum()
	}
	return r
}

// cloneString copies the pointer, not the (immutable) bytes, so a caller
// assigning through a result's pointer cannot reach the input.
func cloneString(s *string) *string {
	if s == nil {
		return nil
	}
	return proto.String(*s)
}

func cloneMsg[M proto.Message](m M) M {
	var zero M
	if !m.ProtoReflect().IsValid() {
		return zero
	}
	return proto.Clone(m).(M)
}
