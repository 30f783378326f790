package mesosjson

import (
	"encoding/base64"
	"math"
	"strconv"
	"unsafe"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// appendWireValue appends one value of field f read from the start of
// wire, and returns how many bytes it consumed.
func appendWireValue(b []byte, f *field, typ protowire.Type, wire []byte) ([]byte, int, error) {
	switch f.kind {
	case protoreflect.BoolKind, protoreflect.EnumKind,
		protoreflect.Int32Kind, protoreflect.Int64Kind, protoreflect.Uint32Kind, protoreflect.Uint64Kind,
		protoreflect.Sint32Kind, protoreflect.Sint64Kind:
		if typ != protowire.VarintType {
			return b, 0, errMalformed
		}
		v, n := protowire.ConsumeVarint(wire)
		if n < 0 {
			return b, 0, errMalformed
		}
		return appendVarint(b, f, v), n, nil
	case protoreflect.Fixed32Kind, protoreflect.Sfixed32Kind, protoreflect.FloatKind:
		if typ != protowire.Fixed32Type {
			return b, 0, errMalformed
		}
		v, n := protowire.ConsumeFixed32(wire)
		if n < 0 {
			return b, 0, errMalformed
		}
		switch f.kind {
		case protoreflect.Fixed32Kind:
			return strconv.AppendUint(b, uint64(v), 10), n, nil
		case protoreflect.Sfixed32Kind:
			return strconv.AppendInt(b, int64(int32(v)), 10), n, nil
		}
		return appendFloat(b, float64(math.Float32frombits(v)), 32), n, nil
	case protoreflect.Fixed64Kind, protoreflect.Sfixed64Kind, protoreflect.DoubleKind:
		if typ != protowire.Fixed64Type {
			return b, 0, errMalformed
		}
		v, n := protowire.ConsumeFixed64(wire)
		if n < 0 {
			return b, 0, errMalformed
		}
		switch f.kind {
		case protoreflect.Fixed64Kind:
			return strconv.AppendUint(b, v, 10), n, nil
		case protoreflect.Sfixed64Kind:
			return strconv.AppendInt(b, int64(v), 10), n, nil
		}
		return appendFloat(b, math.Float64frombits(v), 64), n, nil
	case protoreflect.StringKind, protoreflect.BytesKind, protoreflect.MessageKind:
		if typ != protowire.BytesType {
			return b, 0, errMalformed
		}
		v, n := protowire.ConsumeBytes(wire)
		if n < 0 {
			return b, 0, errMalformed
		}
		switch f.kind {
		case protoreflect.StringKind:
			// v is only read during the call.
			return appendString(b, unsafe.String(unsafe.SliceData(v), len(v))), n, nil
		case protoreflect.BytesKind:
			b = append(b, '"')
			b = base64.StdEncoding.AppendEncode(b, v)
			return append(b, '"'), n, nil
		}
		b, err := appendMessage(b, f.sub, v)
		return b, n, err
	}
	// Groups: Mesos messages have none.
	return b, 0, errMalformed
}

func appendVarint(b []byte, f *field, v uint64) []byte {
	switch f.kind {
	case protoreflect.BoolKind:
		return strconv.AppendBool(b, v != 0)
	case protoreflect.Int32Kind:
		return strconv.AppendInt(b, int64(int32(v)), 10)
	case protoreflect.Int64Kind:
		return strconv.AppendInt(b, int64(v), 10)
	case protoreflect.Uint32Kind:
		return strconv.AppendUint(b, uint64(uint32(v)), 10)
	case protoreflect.Uint64Kind:
		return strconv.AppendUint(b, v, 10)
	case protoreflect.Sint32Kind:
		return strconv.AppendInt(b, int64(int32(protowire.DecodeZigZag(v&math.MaxUint32))), 10)
	case protoreflect.Sint64Kind:
		return strconv.AppendInt(b, protowire.DecodeZigZag(v), 10)
	}
	return appendEnum(b, f.fd, protoreflect.EnumNumber(int32(v)))
}

// appendEnum writes an enum by name, or by number when the number has none.
func appendEnum(b []byte, fd protoreflect.FieldDescriptor, n protoreflect.EnumNumber) []byte {
	if ev := fd.Enum().Values().ByNumber(n); ev != nil {
		return appendString(b, string(ev.Name()))
	}
	return strconv.AppendInt(b, int64(n), 10)
}

// appendDefault appends the declared default of a scalar field.
func appendDefault(b []byte, fd protoreflect.FieldDescriptor) []byte {
	v := fd.Default()
	switch fd.Kind() {
	case protoreflect.BoolKind:
		return strconv.AppendBool(b, v.Bool())
	case protoreflect.EnumKind:
		return appendEnum(b, fd, v.Enum())
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind,
		protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return strconv.AppendInt(b, v.Int(), 10)
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind, protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
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
	}
	return nil
}

// appendZero appends the zero value of a map value absent from its entry.
func appendZero(b []byte, f *field) []byte {
	switch f.kind {
	case protoreflect.MessageKind, protoreflect.GroupKind:
		return append(b, "{}"...)
	case protoreflect.StringKind, protoreflect.BytesKind:
		return append(b, `""`...)
	case protoreflect.BoolKind:
		return append(b, "false"...)
	case protoreflect.EnumKind:
		return appendEnum(b, f.fd, f.fd.Enum().Values().Get(0).Number())
	}
	return append(b, '0')
}
