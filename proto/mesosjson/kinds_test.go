package mesosjson

import (
	"encoding/json"
	"math"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
)

// kindsDescriptor builds, at test time, a proto2 message with a field of
// every scalar kind (singular, repeated, packed) and maps with non-string
// keys; withDefaults declares a default on each singular scalar.
func kindsDescriptor(t testing.TB, withDefaults bool) protoreflect.MessageDescriptor {
	t.Helper()
	type F = descriptorpb.FieldDescriptorProto
	opt, rep := descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum(), descriptorpb.FieldDescriptorProto_LABEL_REPEATED.Enum()
	kinds := []struct {
		name string
		typ  descriptorpb.FieldDescriptorProto_Type
		def  string
	}{
		{"b", descriptorpb.FieldDescriptorProto_TYPE_BOOL, "true"},
		{"i32", descriptorpb.FieldDescriptorProto_TYPE_INT32, "-7"},
		{"i64", descriptorpb.FieldDescriptorProto_TYPE_INT64, "-9000000000"},
		{"u32", descriptorpb.FieldDescriptorProto_TYPE_UINT32, "7"},
		{"u64", descriptorpb.FieldDescriptorProto_TYPE_UINT64, "18446744073709551615"},
		{"s32", descriptorpb.FieldDescriptorProto_TYPE_SINT32, "-3"},
		{"s64", descriptorpb.FieldDescriptorProto_TYPE_SINT64, "-3"},
		{"f32", descriptorpb.FieldDescriptorProto_TYPE_FIXED32, "3"},
		{"f64", descriptorpb.FieldDescriptorProto_TYPE_FIXED64, "3"},
		{"sf32", descriptorpb.FieldDescriptorProto_TYPE_SFIXED32, "-3"},
		{"sf64", descriptorpb.FieldDescriptorProto_TYPE_SFIXED64, "-3"},
		{"fl", descriptorpb.FieldDescriptorProto_TYPE_FLOAT, "1.5"},
		{"db", descriptorpb.FieldDescriptorProto_TYPE_DOUBLE, "inf"},
		{"str", descriptorpb.FieldDescriptorProto_TYPE_STRING, "d\"q"},
		{"byt", descriptorpb.FieldDescriptorProto_TYPE_BYTES, "\\001x"},
	}
	var fields []*F
	num := int32(1)
	for _, k := range kinds {
		if !withDefaults {
			k.def = ""
		}
		fields = append(fields,
			&F{Name: proto.String(k.name), Number: proto.Int32(num), Label: opt, Type: k.typ.Enum(), DefaultValue: nonEmpty(k.def)},
			&F{Name: proto.String("r_" + k.name), Number: proto.Int32(num + 1), Label: rep, Type: k.typ.Enum()})
		if k.typ != descriptorpb.FieldDescriptorProto_TYPE_STRING && k.typ != descriptorpb.FieldDescriptorProto_TYPE_BYTES {
			fields = append(fields, &F{Name: proto.String("p_" + k.name), Number: proto.Int32(num + 2), Label: rep, Type: k.typ.Enum(),
				Options: &descriptorpb.FieldOptions{Packed: proto.Bool(true)}})
		}
		num += 3
	}
	entry := func(name string, key descriptorpb.FieldDescriptorProto_Type) *descriptorpb.DescriptorProto {
		return &descriptorpb.DescriptorProto{
			Name: proto.String(name),
			Field: []*F{
				{Name: proto.String("key"), Number: proto.Int32(1), Label: opt, Type: key.Enum()},
				{Name: proto.String("value"), Number: proto.Int32(2), Label: opt, Type: descriptorpb.FieldDescriptorProto_TYPE_MESSAGE.Enum(), TypeName: proto.String(".k.Kinds")},
			},
			Options: &descriptorpb.MessageOptions{MapEntry: proto.Bool(true)},
		}
	}
	fields = append(fields,
		&F{Name: proto.String("by_int"), Number: proto.Int32(100), Label: rep, Type: descriptorpb.FieldDescriptorProto_TYPE_MESSAGE.Enum(), TypeName: proto.String(".k.Kinds.ByIntEntry")},
		&F{Name: proto.String("by_bool"), Number: proto.Int32(101), Label: rep, Type: descriptorpb.FieldDescriptorProto_TYPE_MESSAGE.Enum(), TypeName: proto.String(".k.Kinds.ByBoolEntry")},
		&F{Name: proto.String("child"), Number: proto.Int32(102), Label: opt, Type: descriptorpb.FieldDescriptorProto_TYPE_MESSAGE.Enum(), TypeName: proto.String(".k.Kinds")},
	)
	fdp := &descriptorpb.FileDescriptorProto{
		Name: proto.String("kinds.proto"), Package: proto.String("k"), Syntax: proto.String("proto2"),
		MessageType: []*descriptorpb.DescriptorProto{{
			Name:       proto.String("Kinds"),
			Field:      fields,
			NestedType: []*descriptorpb.DescriptorProto{entry("ByIntEntry", descriptorpb.FieldDescriptorProto_TYPE_SINT64), entry("ByBoolEntry", descriptorpb.FieldDescriptorProto_TYPE_BOOL)},
		}},
	}
	fd, err := protodesc.NewFile(fdp, nil)
	if err != nil {
		t.Fatal(err)
	}
	return fd.Messages().Get(0)
}

func TestAllKindsDefaults(t *testing.T) {
	md := kindsDescriptor(t, true)
	got, err := Marshal(dynamicpb.NewMessage(md))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"b":true,"i32":-7,"i64":-9000000000,"u32":7,"u64":18446744073709551615,"s32":-3,"s64":-3,` +
		`"f32":3,"f64":3,"sf32":-3,"sf64":-3,"fl":1.5,"db":"Infinity","str":"d\"q","byt":"AXg="}`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// TestAllKindsRoundTrip fills every field, including extreme values, and
// checks that protojson decodes our encoding back to an equal message.
func TestAllKindsRoundTrip(t *testing.T) {
	md := kindsDescriptor(t, false)
	m := dynamicpb.NewMessage(md)
	fds := md.Fields()
	values := map[protoreflect.Kind][]protoreflect.Value{
		protoreflect.BoolKind:     {protoreflect.ValueOfBool(false), protoreflect.ValueOfBool(true)},
		protoreflect.Int32Kind:    {protoreflect.ValueOfInt32(math.MinInt32), protoreflect.ValueOfInt32(math.MaxInt32)},
		protoreflect.Sint32Kind:   {protoreflect.ValueOfInt32(math.MinInt32), protoreflect.ValueOfInt32(-1)},
		protoreflect.Sfixed32Kind: {protoreflect.ValueOfInt32(math.MinInt32), protoreflect.ValueOfInt32(5)},
		protoreflect.Int64Kind:    {protoreflect.ValueOfInt64(math.MinInt64), protoreflect.ValueOfInt64(math.MaxInt64)},
		protoreflect.Sint64Kind:   {protoreflect.ValueOfInt64(math.MinInt64), protoreflect.ValueOfInt64(-1)},
		protoreflect.Sfixed64Kind: {protoreflect.ValueOfInt64(math.MinInt64), protoreflect.ValueOfInt64(5)},
		protoreflect.Uint32Kind:   {protoreflect.ValueOfUint32(0), protoreflect.ValueOfUint32(math.MaxUint32)},
		protoreflect.Fixed32Kind:  {protoreflect.ValueOfUint32(0), protoreflect.ValueOfUint32(math.MaxUint32)},
		protoreflect.Uint64Kind:   {protoreflect.ValueOfUint64(0), protoreflect.ValueOfUint64(math.MaxUint64)},
		protoreflect.Fixed64Kind:  {protoreflect.ValueOfUint64(0), protoreflect.ValueOfUint64(math.MaxUint64)},
		protoreflect.FloatKind:    {protoreflect.ValueOfFloat32(-0.1), protoreflect.ValueOfFloat32(3.4e38)},
		protoreflect.DoubleKind:   {protoreflect.ValueOfFloat64(5e-324), protoreflect.ValueOfFloat64(math.Inf(-1))},
		protoreflect.StringKind:   {protoreflect.ValueOfString(""), protoreflect.ValueOfString("\x00\u2029é")},
		protoreflect.BytesKind:    {protoreflect.ValueOfBytes(nil), protoreflect.ValueOfBytes([]byte{0, 255})},
	}
	for i := range fds.Len() {
		fd := fds.Get(i)
		vs, ok := values[fd.Kind()]
		switch {
		case !ok:
		case fd.IsList():
			l := m.Mutable(fd).List()
			for _, v := range vs {
				l.Append(v)
			}
		default:
			m.Set(fd, vs[1])
		}
	}
	child := dynamicpb.NewMessage(md)
	child.Set(fds.ByName("i32"), protoreflect.ValueOfInt32(1))
	m.Set(fds.ByName("child"), protoreflect.ValueOfMessage(child))
	byInt := m.Mutable(fds.ByName("by_int")).Map()
	byInt.Set(protoreflect.ValueOfInt64(-2).MapKey(), protoreflect.ValueOfMessage(child))
	byInt.Set(protoreflect.ValueOfInt64(10).MapKey(), protoreflect.ValueOfMessage(dynamicpb.NewMessage(md)))
	m.Mutable(fds.ByName("by_bool")).Map().Set(protoreflect.ValueOfBool(true).MapKey(), protoreflect.ValueOfMessage(child))

	b, err := Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(b) {
		t.Fatalf("invalid JSON: %s", b)
	}
	back := dynamicpb.NewMessage(md)
	if err := protojson.Unmarshal(b, back); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	if !proto.Equal(m, back) {
		t.Errorf("round trip differs:\n%v\n%v\n%s", m, back, b)
	}
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
