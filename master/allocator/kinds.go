package allocator

import (
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// kind identifies "the same resource" for arithmetic: name and type plus any
// identity a Resource carries besides its quantity, reservation and
// allocation (disk info such as a persistent volume, revocable, shared,
// provider ID). Two resources of one kind and one reservation pool add up;
// different kinds never do. Kinds are interned once and never forgotten (a
// cluster has few: its resource names plus its volumes), so the hot path
// compares small integers instead of strings or messages.
type kind struct {
	name string
	typ  mesos.Value_Type
	// dim is the share dimension of a scalar kind: all scalar kinds of one
	// name (plain disk and persistent volumes alike) count toward the same
	// dominant-share coordinate. -1 for ranges and sets.
	dim int
	// extra holds the identity fields beyond name and type (Disk, Revocable,
	// Shared, ProviderId), copied into produced offers; nil for plain kinds.
	extra *mesos.Resource
}

type kindTable struct {
	kinds []kind
	plain [3]map[string]int32 // plain kinds by type and name: no key to build
	index map[string]int32    // kinds with extra identity, by a built key
	dims  []string            // scalar names; dims 0..3 are cpus, mem, disk, gpus
	dimOf map[string]int
}

func newKindTable() kindTable {
	t := kindTable{index: map[string]int32{}, dimOf: map[string]int{}}
	for i := range t.plain {
		t.plain[i] = map[string]int32{}
	}
	for _, n := range [numFixed]string{"cpus", "mem", "disk", "gpus"} {
		t.intern(n, mesos.Value_SCALAR, nil, "")
	}
	return t
}

// kindOf interns the kind of r. ok is false for types the allocator does not
// account (TEXT, unknown).
func (t *kindTable) kindOf(r *mesos.Resource) (k int32, ok bool) {
	typ := r.GetType()
	if typ != mesos.Value_SCALAR && typ != mesos.Value_RANGES && typ != mesos.Value_SET {
		return 0, false
	}
	if r.Disk == nil && r.Revocable == nil && r.Shared == nil && r.ProviderId == nil {
		return t.intern(r.GetName(), typ, nil, ""), true
	}
	extra := &mesos.Resource{Disk: r.Disk, Revocable: r.Revocable, Shared: r.Shared, ProviderId: r.ProviderId}
	b, err := proto.MarshalOptions{Deterministic: true, AllowPartial: true}.Marshal(extra)
	if err != nil {
		return 0, false
	}
	return t.intern(r.GetName(), typ, extra, string(b)), true
}

// intern returns the kind of (name, typ, extra), adding it if new. extra is
// cloned when added: the caller's messages may change later.
func (t *kindTable) intern(name string, typ mesos.Value_Type, extra *mesos.Resource, extraKey string) int32 {
	var key string
	if extra == nil {
		if k, ok := t.plain[typ][name]; ok {
			return k
		}
	} else {
		key = string(rune('0'+typ)) + name + "\x00" + extraKey
		if k, ok := t.index[key]; ok {
			return k
		}
		extra = proto.Clone(extra).(*mesos.Resource)
	}
	dim := -1
	if typ == mesos.Value_SCALAR {
		d, ok := t.dimOf[name]
		if !ok {
			d = len(t.dims)
			t.dims = append(t.dims, name)
			t.dimOf[name] = d
		}
		dim = d
	}
	k := int32(len(t.kinds))
	t.kinds = append(t.kinds, kind{name: name, typ: typ, dim: dim, extra: extra})
	if extra == nil {
		t.plain[typ][name] = k
	} else {
		t.index[key] = k
	}
	return k
}

// reservation is the normalized reservation of a resource: the stack in
// post-refinement format (legacy role/reservation fields converted) and the
// key that identifies it. Unreserved resources have an empty key and role "*".
type reservation struct {
	key   string
	role  string
	stack []*mesos.Resource_ReservationInfo
}

func reservationOf(r *mesos.Resource) (reservation, error) {
	stack := r.Reservations
	if len(stack) == 0 {
		if r.Role == nil || *r.Role == "*" || *r.Role == "" { //nolint:staticcheck // legacy format still arrives on the wire
			return reservation{role: "*"}, nil
		}
		ri := &mesos.Resource_ReservationInfo{Role: proto.String(*r.Role)} //nolint:staticcheck
		if old := r.Reservation; old != nil {                              //nolint:staticcheck
			ri.Type = mesos.Resource_ReservationInfo_DYNAMIC.Enum()
			ri.Principal, ri.Labels = old.Principal, old.Labels
		} else {
			ri.Type = mesos.Resource_ReservationInfo_STATIC.Enum()
		}
		stack = []*mesos.Resource_ReservationInfo{ri}
	}
	var key []byte
	for _, ri := range stack {
		b, err := proto.MarshalOptions{Deterministic: true, AllowPartial: true}.Marshal(ri)
		if err != nil {
			return reservation{}, err
		}
		key = protowire.AppendBytes(key, b)
	}
	return reservation{key: string(key), role: stack[len(stack)-1].GetRole(), stack: stack}, nil
}
