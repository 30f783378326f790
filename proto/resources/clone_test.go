package resources

import (
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// fill sets every field of m, recursively, to a non-default value, so a
// copy that forgets a field no longer compares equal.
func fill(m protoreflect.Message, depth int) {
	fields := m.Descriptor().Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		if fd.ContainingOneof() != nil && i > 0 && fields.Get(i-1).ContainingOneof() == fd.ContainingOneof() {
			continue // one member of a oneof is enough
		}
		switch {
		case fd.IsMap():
			continue
		case fd.IsList():
			l := m.Mutable(fd).List()
			if fd.Kind() == protoreflect.MessageKind || fd.Kind() == protoreflect.GroupKind {
				if depth > 0 {
					e := l.NewElement()
					fill(e.Message(), depth-1)
					l.Append(e)
				}
				continue
			}
			l.Append(sample(fd))
		case fd.Kind() == protoreflect.MessageKind || fd.Kind() == protoreflect.GroupKind:
			if depth > 0 {
				fill(m.Mutable(fd).Message(), depth-1)
			}
		default:
			m.Set(fd, sample(fd))
		}
	}
}

func sample(fd protoreflect.FieldDescriptor) protoreflect.Value {
	switch fd.Kind() {
	case protoreflect.BoolKind:
		return protoreflect.ValueOfBool(true)
	case protoreflect.EnumKind:
		vals := fd.Enum().Values()
		return protoreflect.ValueOfEnum(vals.Get(vals.Len() - 1).Number())
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return protoreflect.ValueOfInt32(7)
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return protoreflect.ValueOfInt64(7)
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return protoreflect.ValueOfUint32(7)
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return protoreflect.ValueOfUint64(7)
	case protoreflect.FloatKind:
		return protoreflect.ValueOfFloat32(7)
	case protoreflect.DoubleKind:
		return protoreflect.ValueOfFloat64(7)
	case protoreflect.StringKind:
		return protoreflect.ValueOfString("x-" + string(fd.Name()))
	default:
		return protoreflect.ValueOfBytes([]byte("x"))
	}
}

func TestCloneIdentityCoversEveryField(t *testing.T) {
	r := &mesos.Resource{}
	fill(r.ProtoReflect(), 4)
	r.Ranges, r.Set = nil, nil
	r.Type = mesos.Value_SCALAR.Enum()

	got := cloneIdentity(r)
	got.Scalar = &mesos.Value_Scalar{Value: proto.Float64(r.GetScalar().GetValue())}
	if !proto.Equal(got, r) {
		t.Fatalf("cloneIdentity lost fields:\n got %v\nwant %v", got, r)
	}
	// Nothing may be shared: change everything reachable in the copy.
	before := proto.Clone(r)
	fill(got.ProtoReflect(), 4)
	*got.Name, *got.Role = "changed", "changed"
	*got.Reservations[0].Role = "changed"
	*got.AllocationInfo.Role = "changed"
	if !proto.Equal(r, before) {
		t.Fatal("cloneIdentity's result shares memory with its input")
	}
}

func TestCloneIdentityKeepsUnknownFields(t *testing.T) {
	unknown := protowire.AppendTag(nil, 999, protowire.VarintType)
	unknown = protowire.AppendVarint(unknown, 42)

	r := sc("cpus", 1, "ads")
	r.ProtoReflect().SetUnknown(unknown)
	r.Reservations[0].ProtoReflect().SetUnknown(unknown)
	sum := Add(list(r), list(sc("cpus", 1, "ads")))
	if len(sum) != 1 || sum[0].GetScalar().GetValue() != 2 {
		t.Fatalf("Add = %s, want cpus(ads):2", String(sum))
	}
	if string(sum[0].ProtoReflect().GetUnknown()) != string(unknown) ||
		string(sum[0].Reservations[0].ProtoReflect().GetUnknown()) != string(unknown) {
		t.Error("unknown fields were dropped")
	}

	a := allocated(sc("cpus", 1, ""), "web")
	a.AllocationInfo.ProtoReflect().SetUnknown(unknown)
	if got := Normalize(list(a)); string(got[0].AllocationInfo.ProtoReflect().GetUnknown()) != string(unknown) {
		t.Error("unknown fields of allocation_info were dropped")
	}
}
