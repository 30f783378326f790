package resources

import (
	"encoding/json"
	"errors"
	"fmt"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// parseJSON reads the JSON form of --resources: an array of Resource
// messages in protobuf JSON (Mesos's own encoding is a subset: proto field
// names, enums by name, 64-bit integers as numbers or strings).
func parseJSON(s string) ([]*mesos.Resource, error) {
	var raw []json.RawMessage
	if err := json.Unmarshal([]byte(s), &raw); err != nil {
		return nil, fmt.Errorf("resources: not a JSON array of resources: %w", err)
	}
	opts := protojson.UnmarshalOptions{DiscardUnknown: true}
	p := &pool{}
	types := map[string]mesos.Value_Type{}
	for i, m := range raw {
		r := &mesos.Resource{}
		err := opts.Unmarshal(m, r)
		if err == nil {
			upgradeRole(r)
			err = agentOnlyError(r)
		}
		if err == nil {
			err = validateOne(r)
		}
		if err == nil {
			err = checkType(types, r)
		}
		if err != nil {
			return nil, fmt.Errorf("resources: item %d (%s): %w", i, r.GetName(), err)
		}
		p.add(r)
	}
	return p.resources(), nil
}

// upgradeRole gives a JSON item the same shape as a text item: a legacy
// static role gains the reservation stack, a stack gains the legacy role.
func upgradeRole(r *mesos.Resource) {
	role := Role(r)
	if role == unreservedRole {
		return
	}
	if len(r.Reservations) == 0 && r.Reservation == nil {
		r.Reservations = []*mesos.Resource_ReservationInfo{{
			Type: mesos.Resource_ReservationInfo_STATIC.Enum(),
			Role: proto.String(role),
		}}
	}
	if r.Role == nil {
		r.Role = proto.String(role)
	}
}

// agentOnlyError rejects what an agent cannot declare about itself, as
// Mesos does for --resources: volumes, dynamic reservations and revocable
// resources are created at run time by operators and the master.
func agentOnlyError(r *mesos.Resource) error {
	switch {
	case r.GetDisk().GetPersistence() != nil:
		return errors.New("persistent volumes cannot be declared in --resources")
	case r.Revocable != nil:
		return errors.New("revocable resources cannot be declared in --resources")
	case r.Reservation != nil:
		return errors.New("dynamic reservations cannot be declared in --resources")
	}
	for _, ri := range r.GetReservations() {
		if ri.GetType() != mesos.Resource_ReservationInfo_STATIC {
			return errors.New("dynamic reservations cannot be declared in --resources")
		}
	}
	return nil
}
