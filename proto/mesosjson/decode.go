package mesosjson

import (
	"fmt"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

var decoder = protojson.UnmarshalOptions{DiscardUnknown: true}

// Unmarshal resets m and decodes the JSON in b into it. The error names
// the message type and the offending field or position.
func Unmarshal(b []byte, m proto.Message) error {
	if err := decoder.Unmarshal(b, m); err != nil {
		return fmt.Errorf("mesosjson: decoding %s: %w", m.ProtoReflect().Descriptor().FullName(), err)
	}
	return nil
}
