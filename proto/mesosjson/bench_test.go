package mesosjson

import (
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

var benchMsgs = []struct {
	name string
	msg  proto.Message
}{
	{"Update", updateEvent()},
	{"Offers10", offersEvent(10)},
	{"Accept", acceptCall()},
}

func BenchmarkAppendMarshal(b *testing.B) {
	for _, bm := range benchMsgs {
		b.Run(bm.name, func(b *testing.B) {
			var buf []byte
			b.ReportAllocs()
			for b.Loop() {
				buf, _ = AppendMarshal(buf[:0], bm.msg)
			}
			b.SetBytes(int64(len(buf)))
		})
	}
}

// BenchmarkProtojsonMarshal is the reference: protojson with proto names
// (it writes 64-bit integers as strings, so its output is not Mesos's).
func BenchmarkProtojsonMarshal(b *testing.B) {
	opts := protojson.MarshalOptions{UseProtoNames: true}
	for _, bm := range benchMsgs {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			var n int
			for b.Loop() {
				out, _ := opts.Marshal(bm.msg)
				n = len(out)
			}
			b.SetBytes(int64(n))
		})
	}
}

func BenchmarkUnmarshal(b *testing.B) {
	for _, bm := range benchMsgs {
		data, _ := Marshal(bm.msg)
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				m := bm.msg.ProtoReflect().New().Interface()
				if err := Unmarshal(data, m); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
