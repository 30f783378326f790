package mesosjson

import (
	"encoding/base64"
	"slices"
	"strconv"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Marshal returns the Mesos JSON encoding of m.
func Marshal(m proto.Message) ([]byte, error) {
	return AppendMarshal(nil, m)
}

// AppendMarshal appends the Mesos JSON encoding of m to dst. A nil message
// encodes as {}.
func AppendMarshal(dst []byte, m proto.Message) ([]byte, error) {
	if m == nil {
		return append(dst, "{}"...), nil
	}
	r := m.ProtoReflect()
	return appendMessage(dst, planFor(r.Descriptor()), r), nil
}

func appendMessage(b []byte, p *plan, m protoreflect.Message) []byte {
	b = append(b, '{')
	if !m.IsValid() {
		return append(b, '}')
	}
	first := true
	for i := range p.fields {
		f := &p.fields[i]
		fd := f.fd
		switch {
		case fd.IsList():
			if !m.Has(fd) {
				continue
			}
			b = appendKey(b, f.key, &first)
			b = appendList(b, f, m.Get(fd).List())
		case fd.IsMap():
			if !m.Has(fd) {
				continue
			}
			b = appendKey(b, f.key, &first)
			b = appendMap(b, f, m.Get(fd).Map())
		default:
			if !m.Has(fd) && !f.emitDefault {
				continue
			}
			b = appendKey(b, f.key, &first)
			b = appendValue(b, fd, f.sub, m.Get(fd))
		}
	}
	return append(b, '}')
}

func appendKey(b, key []byte, first *bool) []byte {
	if !*first {
		b = append(b, ',')
	}
	*first = false
	return append(b, key...)
}

func appendList(b []byte, f *field, l protoreflect.List) []byte {
	b = append(b, '[')
	for i, n := 0, l.Len(); i < n; i++ {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendValue(b, f.fd, f.sub, l.Get(i))
	}
	return append(b, ']')
}

func appendMap(b []byte, f *field, mp protoreflect.Map) []byte {
	keys := make([]protoreflect.MapKey, 0, mp.Len())
	mp.Range(func(k protoreflect.MapKey, _ protoreflect.Value) bool {
		keys = append(keys, k)
		return true
	})
	slices.SortFunc(keys, compareKeys)
	vd := f.fd.MapValue()
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k.String())
		b = append(b, ':')
		b = appendValue(b, vd, f.sub, mp.Get(k))
	}
	return append(b, '}')
}

func compareKeys(a, b protoreflect.MapKey) int {
	switch av := a.Interface().(type) {
	case string:
		return cmp3(av, b.String())
	case bool:
		return cmp3(strconv.FormatBool(av), strconv.FormatBool(b.Bool()))
	case int32, int64:
		return cmp3(a.Int(), b.Int())
	default:
		return cmp3(a.Uint(), b.Uint())
	}
}

func cmp3[T int64 | uint64 | string](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// appendValue appends one singular value of the field's kind; sub is the
// plan of its message type, if any.
func appendValue(b []byte, fd protoreflect.FieldDescriptor, sub *plan, v protoreflect.Value) []byte {
	switch fd.Kind() {
	case protoreflect.BoolKind:
		return strconv.AppendBool(b, v.Bool())
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind,
		protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return strconv.AppendInt(b, v.Int(), 10)
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind,
		protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return strconv.AppendUint(b, v.Uint(), 10)
	case protoreflect.FloatKind:
		return appendFloat(b, v.Float(), 32)
	case protoreflect.DoubleKind:
		return appendFloat(b, v.Float(), 64)
	case protoreflect.StringKind:
		return appendString(b, v.String())
	case protoreflect.BytesKind:
		b = append(b, '"')
		b = base64.StdEncoding.AppendEncode(b, v.Bytes())
		return append(b, '"')
	case protoreflect.EnumKind:
		n := v.Enum()
		if ev := fd.Enum().Values().ByNumber(n); ev != nil {
			return appendString(b, string(ev.Name()))
		}
		return strconv.AppendInt(b, int64(n), 10)
	case protoreflect.MessageKind, protoreflect.GroupKind:
		return appendMessage(b, sub, v.Message())
	}
	return append(b, "null"...)
}
