// Package codec chooses how Mesos-style HTTP APIs encode messages: JSON
// (Mesos's dialect, see proto/mesosjson) or protobuf, from a request's
// Content-Type and Accept headers. Master, agent and SDK share it.
//
// It negotiates and encodes single messages only: RecordIO framing lives in
// proto/recordio, and HTTP status mapping is the caller's, helped by
// Error.HTTPStatus.
package codec

import (
	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/proto/mesosjson"
)

// Media types of the Mesos v1 HTTP APIs.
const (
	MediaTypeJSON     = "application/json"
	MediaTypeProtobuf = "application/x-protobuf"
)

// Codec encodes and decodes messages in one media type.
type Codec interface {
	Marshal(proto.Message) ([]byte, error)
	Unmarshal([]byte, proto.Message) error
	// MediaType is the exact Content-Type to answer with (no parameters).
	MediaType() string
}

// Appender is implemented by codecs that can encode into a caller's buffer,
// which streaming writers use to avoid an allocation per event. JSON and
// Protobuf implement it.
type Appender interface {
	AppendMarshal(dst []byte, m proto.Message) ([]byte, error)
}

// The supported codecs.
var (
	JSON     Codec = jsonCodec{}
	Protobuf Codec = protobufCodec{}
)

type jsonCodec struct{}

func (jsonCodec) Marshal(m proto.Message) ([]byte, error) { return mesosjson.Marshal(m) }

func (jsonCodec) AppendMarshal(dst []byte, m proto.Message) ([]byte, error) {
	return mesosjson.AppendMarshal(dst, m)
}

func (jsonCodec) Unmarshal(b []byte, m proto.Message) error { return mesosjson.Unmarshal(b, m) }
func (jsonCodec) MediaType() string                         { return MediaTypeJSON }
func (jsonCodec) String() string                            { return MediaTypeJSON }

type protobufCodec struct{}

func (protobufCodec) Marshal(m proto.Message) ([]byte, error) { return proto.Marshal(m) }

func (protobufCodec) AppendMarshal(dst []byte, m proto.Message) ([]byte, error) {
	return proto.MarshalOptions{}.MarshalAppend(dst, m)
}

func (protobufCodec) Unmarshal(b []byte, m proto.Message) error { return proto.Unmarshal(b, m) }
func (protobufCodec) MediaType() string                         { return MediaTypeProtobuf }
func (protobufCodec) String() string                            { return MediaTypeProtobuf }

// byMediaType maps a lower-case media type without parameters to its codec.
func byMediaType(mt string) Codec {
	switch mt {
	case MediaTypeJSON:
		return JSON
	case MediaTypeProtobuf:
		return Protobuf
	}
	return nil
}
