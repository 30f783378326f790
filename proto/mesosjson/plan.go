package mesosjson

import (
	"sync"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
)

// plan is the precomputed encoding of one message type: its fields in
// declaration order.
type plan struct {
	fields []field
}

// field is the precomputed encoding of one field.
type field struct {
	fd protoreflect.FieldDescriptor
	// key is the quoted field name followed by a colon.
	key []byte
	// emitDefault: write the declared default when the field is unset.
	emitDefault bool
	// sub is the plan of the field's message type (of the map value for
	// maps), nil for scalars.
	sub *plan
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
		return p // recursive type: filled in by the caller up the stack
	}
	p := &plan{}
	building[md] = p
	fds := md.Fields()
	p.fields = make([]field, fds.Len())
	for i := range p.fields {
		fd := fds.Get(i)
		f := field{
			fd:          fd,
			key:         append(appendString(nil, string(fd.Name())), ':'),
			emitDefault: fd.Cardinality() != protoreflect.Repeated && fd.HasDefault() && !deprecated(fd),
		}
		vd := fd
		if fd.IsMap() {
			vd = fd.MapValue()
		}
		if k := vd.Kind(); k == protoreflect.MessageKind || k == protoreflect.GroupKind {
			f.sub = build(vd.Message(), building)
		}
		p.fields[i] = f
	}
	return p
}

func deprecated(fd protoreflect.FieldDescriptor) bool {
	opts, ok := fd.Options().(*descriptorpb.FieldOptions)
	return ok && opts.GetDeprecated()
}
