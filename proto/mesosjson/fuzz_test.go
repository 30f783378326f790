package mesosjson

import (
	"bytes"
	"encoding/json"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/proto/mesos/v1/scheduler"
)

// FuzzUnmarshalCall decodes arbitrary bytes as a scheduler Call, both as
// JSON and as protobuf. Decoding must not panic, and whatever decodes must
// encode to valid JSON that decodes again to the same encoding.
func FuzzUnmarshalCall(f *testing.F) {
	for _, c := range []*scheduler.Call{subscribeCall(), acceptCall()} {
		j, _ := Marshal(c)
		f.Add(j)
		p, _ := proto.Marshal(c)
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var fromJSON scheduler.Call
		if Unmarshal(in, &fromJSON) == nil {
			checkReencode(t, &fromJSON)
		}
		var fromProto scheduler.Call
		if proto.Unmarshal(in, &fromProto) == nil {
			checkReencode(t, &fromProto)
		}
	})
}

func checkReencode(t *testing.T, c *scheduler.Call) {
	t.Helper()
	first, err := Marshal(c)
	if err != nil {
		t.Fatalf("encoding a decoded call: %v", err)
	}
	if !json.Valid(first) {
		t.Fatalf("invalid JSON: %s", first)
	}
	var again scheduler.Call
	if err := Unmarshal(first, &again); err != nil {
		t.Fatalf("decoding our own output: %v\n%s", err, first)
	}
	second, _ := Marshal(&again)
	if !bytes.Equal(first, second) {
		t.Fatalf("unstable encoding:\n%s\n%s", first, second)
	}
}
