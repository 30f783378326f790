package mesosjson

import (
	"errors"
	"fmt"
	"sync"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// The encoder does not walk messages with protoreflect, whose per-field
// cost dominates: it marshals the message with the (table-driven) protobuf
// encoder and translates the wire bytes, which Go emits in field-number
// order with repeated fields contiguous and map entries sorted, followed by
// the message's unknown fields. Those are recognised and skipped: an
// unknown number, a wire type that does not fit the field, or a number
// that breaks the ascending order.

var marshalOpts = proto.MarshalOptions{AllowPartial: true, Deterministic: true}

var wirePool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// maxPooled bounds the wire buffers kept for reuse.
const maxPooled = 1 << 20

var errMalformed = errors.New("malformed wire data")

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
	if !r.IsValid() {
		return append(dst, "{}"...), nil
	}
	bp := wirePool.Get().(*[]byte)
	wire, err := marshalOpts.MarshalAppend((*bp)[:0], m)
	if err == nil {
		dst, err = appendMessage(dst, planFor(r.Descriptor()), wire)
	}
	if cap(wire) <= maxPooled {
		*bp = wire
		wirePool.Put(bp)
	}
	if err != nil {
		return dst, fmt.Errorf("mesosjson: encoding %s: %w", r.Descriptor().FullName(), err)
	}
	return dst, nil
}

// appendMessage appends the JSON object of one message given its wire bytes.
func appendMessage(b []byte, p *plan, wire []byte) ([]byte, error) {
	b = append(b, '{')
	first := true
	d := 0               // next entry of p.defaults
	open, count := -1, 0 // the repeated field whose array or object is open
	last := protowire.Number(0)
	for len(wire) > 0 {
		num, typ, n := protowire.ConsumeTag(wire)
		if n < 0 {
			return b, errMalformed
		}
		wire = wire[n:]
		i := p.index(num)
		if i < 0 || !p.fields[i].accepts(typ) || num < last || num == last && open != i {
			if n = protowire.ConsumeFieldValue(num, typ, wire); n < 0 {
				return b, errMalformed
			}
			wire = wire[n:]
			continue
		}
		last = num
		f := &p.fields[i]
		if open >= 0 && open != i {
			b = closeRepeated(b, &p.fields[open])
			open = -1
		}
		if open != i {
			b, d = appendDefaults(b, p, d, num, &first)
		}
		var err error
		switch {
		case f.mapKey != nil:
			if open != i {
				b = appendKey(b, f.key, &first)
				b = append(b, '{')
				open, count = i, 0
			}
			b, n, err = appendMapEntry(b, f, typ, wire, &count)
		case f.repeated:
			if open != i {
				b = appendKey(b, f.key, &first)
				b = append(b, '[')
				open, count = i, 0
			}
			b, n, err = appendElements(b, f, typ, wire, &count)
		default:
			b = appendKey(b, f.key, &first)
			b, n, err = appendWireValue(b, f, typ, wire)
		}
		if err != nil {
			return b, err
		}
		wire = wire[n:]
	}
	if open >= 0 {
		b = closeRepeated(b, &p.fields[open])
	}
	b, _ = appendDefaults(b, p, d, protowire.MaxValidNumber+1, &first)
	return append(b, '}'), nil
}

// appendDefaults writes the defaults of the fields numbered below num,
// from p.defaults[d] on, and skips the default of field num itself, which
// is present. It returns the next index into p.defaults. Fields arrive by
// ascending number, so a default passed over belongs to an unset field.
func appendDefaults(b []byte, p *plan, d int, num protowire.Number, first *bool) ([]byte, int) {
	for ; d < len(p.defaults); d++ {
		f := &p.fields[p.defaults[d]]
		n := f.fd.Number()
		if n == num {
			return b, d + 1
		}
		if n > num {
			break
		}
		b = appendKey(b, f.key, first)
		b = append(b, f.def...)
	}
	return b, d
}

func appendKey(b, key []byte, first *bool) []byte {
	if !*first {
		b = append(b, ',')
	}
	*first = false
	return append(b, key...)
}

func closeRepeated(b []byte, f *field) []byte {
	if f.mapKey != nil {
		return append(b, '}')
	}
	return append(b, ']')
}

// appendElements appends the list elements in one wire field: one element,
// or several when packed.
func appendElements(b []byte, f *field, typ protowire.Type, wire []byte, count *int) ([]byte, int, error) {
	if typ != protowire.BytesType || f.wireType == protowire.BytesType {
		if *count > 0 {
			b = append(b, ',')
		}
		*count++
		return appendWireValue(b, f, typ, wire)
	}
	packed, n := protowire.ConsumeBytes(wire)
	if n < 0 {
		return b, 0, errMalformed
	}
	elemType := protowire.VarintType
	switch f.kind {
	case protoreflect.Fixed32Kind, protoreflect.Sfixed32Kind, protoreflect.FloatKind:
		elemType = protowire.Fixed32Type
	case protoreflect.Fixed64Kind, protoreflect.Sfixed64Kind, protoreflect.DoubleKind:
		elemType = protowire.Fixed64Type
	}
	for len(packed) > 0 {
		if *count > 0 {
			b = append(b, ',')
		}
		*count++
		var m int
		var err error
		if b, m, err = appendWireValue(b, f, elemType, packed); err != nil {
			return b, 0, err
		}
		packed = packed[m:]
	}
	return b, n, nil
}

func packable(k protoreflect.Kind) bool {
	switch k {
	case protoreflect.StringKind, protoreflect.BytesKind, protoreflect.MessageKind, protoreflect.GroupKind:
		return false
	}
	return true
}

// appendMapEntry appends one "key":value pair from a map entry message.
func appendMapEntry(b []byte, f *field, typ protowire.Type, wire []byte, count *int) ([]byte, int, error) {
	if typ != protowire.BytesType {
		return b, 0, errMalformed
	}
	entry, n := protowire.ConsumeBytes(wire)
	if n < 0 {
		return b, 0, errMalformed
	}
	var key, val []byte
	var keyType, valType protowire.Type
	for len(entry) > 0 {
		num, t, m := protowire.ConsumeTag(entry)
		if m < 0 {
			return b, 0, errMalformed
		}
		entry = entry[m:]
		v := entry
		if m = protowire.ConsumeFieldValue(num, t, entry); m < 0 {
			return b, 0, errMalformed
		}
		entry = entry[m:]
		switch num {
		case 1:
			key, keyType = v, t
		case 2:
			val, valType = v, t
		}
	}
	if *count > 0 {
		b = append(b, ',')
	}
	*count++
	var err error
	switch {
	case f.mapKey.kind == protoreflect.StringKind && key != nil:
		b, _, err = appendWireValue(b, f.mapKey, keyType, key)
	case f.mapKey.kind == protoreflect.StringKind:
		b = append(b, `""`...)
	case key != nil:
		b = append(b, '"')
		b, _, err = appendWireValue(b, f.mapKey, keyType, key)
		b = append(b, '"')
	default:
		b = append(b, '"')
		b = appendZero(b, f.mapKey)
		b = append(b, '"')
	}
	if err != nil {
		return b, 0, err
	}
	b = append(b, ':')
	if val == nil {
		return appendZero(b, f.mapValue), n, nil
	}
	b, _, err = appendWireValue(b, f.mapValue, valType, val)
	return b, n, err
}
