package mesosjson

import (
	"sync"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
)

// plan is the precomputed encoding of one message type.
type plan struct {
	fields []field // in declaration order
	byNum  []int32 // field number -> index in fields, -1 if none
	// defaults lists the fields with a default to emit when unset, by
	// ascending field number.
	defaults []int
}

// field is the precomputed encoding of one field (or map key or value).
type field struct {
	fd   protoreflect.FieldDescriptor
	kind protoreflect.Kind
	// key is the quoted field name followed by a colon.
	key []byte
	// repeated: a list or a map, encoded as one JSON array or object.
	repeated bool
	// wireType is the field's wire type (of one element, for lists).
	wireType protowire.Type
	// def is the JSON of the declared default, written when the field is
	// unset; nil when there is none or the field is deprecated.
	def []byte
	// sub is the plan of the field's message type, nil for scalars.
	sub *plan
	// mapKey and mapValue describe the entries of a map field.
	mapKey, mapValue *field
}

var (
	plans   sync.Map // protoreflect.MessageDescriptor -> *plan, complete plans only
	buildMu sync.Mutex
)

// planFor returns the plan of md, building it (and the plans of all the
// message types it reaches) on first use.
func planFor(md protoreflect.MessageDescriptor) *plan {
	if p, ok := plans.Load(md); ok {
		return p.(*plan)
	}
	buildMu.Lock()
	defer buildMu.Unlock()
	building := map[protoreflect.MessageDescriptor]*plan{}
	p := build(md, building)
	for d, bp := range building {
		plans.Store(d, bp)
	}
	return p
}

func build(md protoreflect.MessageDescriptor, building map[protoreflect.MessageDescriptor]*plan) *plan {
	if p, ok := plans.Load(md); ok {
		return p.(*plan)
	}
	if p, ok := building[md]; ok {
		return p // recursive type: being filled in up the stack
	}
	p := &plan{}
	building[md] = p
	fds := md.Fields()
	p.fields = make([]field, fds.Len())
	maxNum := protowire.Number(0)
	for i := range p.fields {
		fd := fds.Get(i)
		maxNum = max(maxNum, fd.Number())
		p.fields[i] = newField(fd, building)
	}
	p.byNum = make([]int32, maxNum+1)
	for i := range p.byNum {
		p.byNum[i] = -1
	}
	for i := range p.fields {
		p.byNum[p.fields[i].fd.Number()] = int32(i)
	}
	for _, i := range p.byNum {
		if i >= 0 && p.fields[i].def != nil {
			p.defaults = append(p.defaults, int(i))
		}
	}
	return p
}

func newField(fd protoreflect.FieldDescriptor, building map[protoreflect.MessageDescriptor]*plan) field {
	f := field{
		fd:       fd,
		kind:     fd.Kind(),
		key:      append(appendString(nil, string(fd.Name())), ':'),
		repeated: fd.Cardinality() == protoreflect.Repeated,
		wireType: wireTypeOf(fd.Kind()),
	}
	switch {
	case fd.IsMap():
		k, v := newField(fd.MapKey(), building), newField(fd.MapValue(), building)
		f.mapKey, f.mapValue = &k, &v
	case f.kind == protoreflect.MessageKind || f.kind == protoreflect.GroupKind:
		f.sub = build(fd.Message(), building)
	case !f.repeated && fd.HasDefault() && !deprecated(fd):
		f.def = appendDefault(nil, fd)
	}
	return f
}

func wireTypeOf(k protoreflect.Kind) protowire.Type {
	switch k {
	case protoreflect.Fixed32Kind, protoreflect.Sfixed32Kind, protoreflect.FloatKind:
		return protowire.Fixed32Type
	case protoreflect.Fixed64Kind, protoreflect.Sfixed64Kind, protoreflect.DoubleKind:
		return protowire.Fixed64Type
	case protoreflect.StringKind, protoreflect.BytesKind, protoreflect.MessageKind:
		return protowire.BytesType
	case protoreflect.GroupKind:
		return protowire.StartGroupType
	}
	return protowire.VarintType
}

// accepts reports whether a wire field of type typ can be a value of f:
// the field's own type, or a packed run of a scalar list.
func (f *field) accepts(typ protowire.Type) bool {
	if f.mapKey != nil {
		return typ == protowire.BytesType
	}
	return typ == f.wireType || f.repeated && typ == protowire.BytesType && packable(f.kind)
}

// index returns the index of field num in p.fields, or -1.
func (p *plan) index(num protowire.Number) int {
	if num < 0 || int(num) >= len(p.byNum) {
		return -1
	}
	return int(p.byNum[num])
}

func deprecated(fd protoreflect.FieldDescriptor) bool {
	opts, ok := fd.Options().(*descriptorpb.FieldOptions)
	return ok && opts.GetDeprecated()
}
