package mesosjson

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	"github.com/agoraproject/agora/proto/mesos/v1/scheduler"
)

func TestMarshalExact(t *testing.T) {
	tests := []struct {
		name string
		msg  proto.Message
		want string
	}{
		{"nil", nil, `{}`},
		{"empty filters emit default", &mesos.Filters{}, `{"refuse_seconds":5}`},
		{"set filters", &mesos.Filters{RefuseSeconds: proto.Float64(0.5)}, `{"refuse_seconds":0.5}`},
		{"int64 is a number", &mesos.TimeInfo{Nanoseconds: proto.Int64(math.MaxInt64)}, `{"nanoseconds":9223372036854775807}`},
		{"negative int64", &mesos.DurationInfo{Nanoseconds: proto.Int64(-1)}, `{"nanoseconds":-1}`},
		{"uint64 is a number", &mesos.Value_Range{Begin: proto.Uint64(0), End: proto.Uint64(math.MaxUint64)},
			`{"begin":0,"end":18446744073709551615}`},
		{"deprecated default omitted, enum by name", scalar("cpus", 2),
			`{"name":"cpus","type":"SCALAR","scalar":{"value":2}}`},
		{"deprecated field emitted when set",
			&mesos.Resource{Name: proto.String("mem"), Role: proto.String("web")},
			`{"name":"mem","role":"web"}`},
		{"command defaults", &mesos.CommandInfo{Uris: []*mesos.CommandInfo_URI{{Value: proto.String("u")}}},
			`{"uris":[{"value":"u","extract":true}],"shell":true}`},
		{"framework defaults", &mesos.FrameworkInfo{User: proto.String("u"), Name: proto.String("n")},
			`{"user":"u","name":"n","failover_timeout":0,"checkpoint":false}`},
		{"health check defaults", &mesos.HealthCheck{},
			`{"delay_seconds":15,"interval_seconds":10,"timeout_seconds":20,"consecutive_failures":3,"grace_period_seconds":10}`},
		{"enum default", &mesos.Environment_Variable{Name: proto.String("A")}, `{"name":"A","type":"VALUE"}`},
		{"bytes base64", &mesos.UUID{Value: []byte{0xfb, 0xff, 0x01}}, `{"value":"+/8B"}`},
		{"empty repeated omitted", &mesos.Labels{Labels: []*mesos.Label{}}, `{}`},
		{"repeated strings", &scheduler.Call_Revive{Roles: []string{"a", "b"}}, `{"roles":["a","b"]}`},
		{"map sorted", &mesos.TaskInfo{Limits: map[string]*mesos.Value_Scalar{
			"mem": {Value: proto.Float64(64)}, "cpus": {Value: proto.Float64(1.5)}}},
			`{"limits":{"cpus":{"value":1.5},"mem":{"value":64}}}`},
		{"nan", &mesos.Value_Scalar{Value: proto.Float64(math.NaN())}, `{"value":"NaN"}`},
		{"inf", &mesos.Value_Scalar{Value: proto.Float64(math.Inf(-1))}, `{"value":"-Infinity"}`},
		{"tiny and huge floats", &mesos.ResourceStatistics{Timestamp: proto.Float64(1e-7), CpusLimit: proto.Float64(1e21)},
			`{"timestamp":1e-7,"cpus_limit":1e+21}`},
		{"zero uint32", &mesos.Port{Number: proto.Uint32(0)}, `{"number":0}`},
		{"escaping", &mesos.Label{Key: proto.String("q\"\\\n\t\x01<\u2028"), Value: proto.String("bad\xffutf8")},
			`{"key":"q\"\\\n\t\u0001<\u2028","value":"bad�utf8"}`},
		{"unicode kept", &mesos.Label{Key: proto.String("héllo, 世界")}, `{"key":"héllo, 世界"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Marshal(tt.msg)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
			if !json.Valid(got) {
				t.Errorf("invalid JSON: %s", got)
			}
		})
	}
}

func TestAppendMarshalAppends(t *testing.T) {
	got, err := AppendMarshal([]byte("5\n"), &mesos.Filters{})
	if err != nil || string(got) != "5\n{\"refuse_seconds\":5}" {
		t.Fatalf("got %q, %v", got, err)
	}
}

// TestRoundTrip decodes the encoding of real API messages and checks that
// nothing is lost: messages without declared defaults come back equal, and
// re-encoding is stable for all.
func TestRoundTrip(t *testing.T) {
	msgs := []proto.Message{
		subscribeCall(), acceptCall(), offersEvent(3), updateEvent(),
		&scheduler.Event{Type: scheduler.Event_HEARTBEAT.Enum()},
		&scheduler.Event{Type: scheduler.Event_SUBSCRIBED.Enum(), Subscribed: &scheduler.Event_Subscribed{
			FrameworkId:              &mesos.FrameworkID{Value: proto.String("f")},
			HeartbeatIntervalSeconds: proto.Float64(15),
			MasterInfo: &mesos.MasterInfo{Id: proto.String("m"), Ip: proto.Uint32(16777343),
				Port: proto.Uint32(5050), Address: &mesos.Address{Ip: proto.String("127.0.0.1"), Port: proto.Int32(5050)}},
		}},
		&scheduler.Call{Type: scheduler.Call_ACKNOWLEDGE.Enum(), Acknowledge: &scheduler.Call_Acknowledge{
			AgentId: &mesos.AgentID{Value: proto.String("a")}, TaskId: &mesos.TaskID{Value: proto.String("t")},
			Uuid: []byte("0123456789abcdef")}},
		&mesos.Task{
			Name: proto.String("t"), TaskId: &mesos.TaskID{Value: proto.String("t")},
			FrameworkId: &mesos.FrameworkID{Value: proto.String("f")}, AgentId: &mesos.AgentID{Value: proto.String("a")},
			State: mesos.TaskState_TASK_STAGING.Enum(), StatusUpdateState: mesos.TaskState_TASK_RUNNING.Enum(),
			StatusUpdateUuid: []byte{1, 2}, Statuses: []*mesos.TaskStatus{updateEvent().Update.Status},
		},
	}
	for _, m := range msgs {
		name := string(m.ProtoReflect().Descriptor().FullName())
		first, err := Marshal(m)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		back := m.ProtoReflect().New().Interface()
		if err := Unmarshal(first, back); err != nil {
			t.Fatalf("%s: decoding our own output: %v\n%s", name, err, first)
		}
		second, _ := Marshal(back)
		if !bytes.Equal(first, second) {
			t.Errorf("%s: re-encoding differs:\n%s\n%s", name, first, second)
		}
		if !hasDefaults(first) && !proto.Equal(m, back) {
			t.Errorf("%s: round trip lost data:\n%v\n%v", name, m, back)
		}
	}
}

// hasDefaults reports whether the encoding holds fields that the encoder
// may have filled in from declared defaults.
func hasDefaults(b []byte) bool {
	for _, k := range []string{`"shell"`, `"extract"`, `"refuse_seconds"`, `"failover_timeout"`, `"network"`, `"privileged"`, `"checkpoint"`, `"port"`} {
		if bytes.Contains(b, []byte(k)) {
			return true
		}
	}
	return false
}

func TestIntegersAreNumbers(t *testing.T) {
	b, _ := Marshal(updateEvent())
	var v struct {
		Update struct {
			Status struct {
				UnreachableTime struct {
					Nanoseconds json.RawMessage `json:"nanoseconds"`
				} `json:"unreachable_time"`
				State string `json:"state"`
			} `json:"status"`
		} `json:"update"`
		Type string `json:"type"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	if got := string(v.Update.Status.UnreachableTime.Nanoseconds); got != "1712345678125000000" {
		t.Errorf("nanoseconds = %s, want a bare number", got)
	}
	if v.Type != "UPDATE" || v.Update.Status.State != "TASK_RUNNING" {
		t.Errorf("enums = %q, %q; want names", v.Type, v.Update.Status.State)
	}
}

func TestUnmarshalLenient(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want proto.Message
	}{
		{"int64 as string", `{"nanoseconds":"42"}`, &mesos.TimeInfo{Nanoseconds: proto.Int64(42)}},
		{"int64 as number", `{"nanoseconds":42}`, &mesos.TimeInfo{Nanoseconds: proto.Int64(42)}},
		{"enum by number", `{"type":12}`, &scheduler.Call{Type: scheduler.Call_SUPPRESS.Enum()}},
		{"enum by name, unknown field", `{"type":"REVIVE","future_field":{"x":1}}`,
			&scheduler.Call{Type: scheduler.Call_REVIVE.Enum()}},
		{"camelCase names", `{"frameworkId":{"value":"f"},"type":"TEARDOWN"}`,
			&scheduler.Call{FrameworkId: &mesos.FrameworkID{Value: proto.String("f")}, Type: scheduler.Call_TEARDOWN.Enum()}},
		{"unknown enum name is unset", `{"type":"FUTURE_CALL"}`, &scheduler.Call{}},
		{"null is unset", `{"type":"DECLINE","decline":null}`, &scheduler.Call{Type: scheduler.Call_DECLINE.Enum()}},
		{"NaN string", `{"value":"NaN"}`, &mesos.Value_Scalar{Value: proto.Float64(math.NaN())}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.want.ProtoReflect().New().Interface()
			if err := Unmarshal([]byte(tt.in), got); err != nil {
				t.Fatal(err)
			}
			a, _ := Marshal(got)
			b, _ := Marshal(tt.want)
			if !bytes.Equal(a, b) {
				t.Errorf("got %s, want %s", a, b)
			}
		})
	}
}

func TestUnmarshalErrors(t *testing.T) {
	tests := []struct {
		in       string
		contains []string
	}{
		{`{"type":`, []string{"mesos.v1.scheduler.Call"}},
		{`[]`, []string{"mesos.v1.scheduler.Call"}},
		{`{"subscribe":{}}`, []string{"mesos.v1.scheduler.Call", "framework_info"}},
		{`{"framework_id":{"value":1}}`, []string{"mesos.v1.scheduler.Call", "value"}},
	}
	for _, tt := range tests {
		err := Unmarshal([]byte(tt.in), &scheduler.Call{})
		if err == nil {
			t.Errorf("%s: no error", tt.in)
			continue
		}
		for _, s := range tt.contains {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("%s: error %q does not mention %q", tt.in, err, s)
			}
		}
	}
}

// TestUnknownFieldsSkipped: unknown fields, including values of known
// fields that protobuf keeps as unknown (wrong wire types), must not appear
// in the output or duplicate a key. (Go treats proto2 enums as open: the
// last value, 99, wins and is written as a number.)
func TestUnknownFieldsSkipped(t *testing.T) {
	wire, _ := proto.Marshal(&scheduler.Call{
		Type:     scheduler.Call_REVIVE.Enum(),
		Revive:   &scheduler.Call_Revive{Roles: []string{"a"}},
		Suppress: &scheduler.Call_Suppress{},
	})
	wire = protowire.AppendTag(wire, 2, protowire.VarintType) // type = 99: no such enum value
	wire = protowire.AppendVarint(wire, 99)
	wire = protowire.AppendTag(wire, 6, protowire.VarintType) // kill as a varint: wrong wire type
	wire = protowire.AppendVarint(wire, 1)
	wire = protowire.AppendTag(wire, 999, protowire.BytesType) // unknown number
	wire = protowire.AppendString(wire, "x")
	var c scheduler.Call
	if err := proto.Unmarshal(wire, &c); err != nil {
		t.Fatal(err)
	}
	got, err := Marshal(&c)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"type":99,"revive":{"roles":["a"]},"suppress":{}}`; string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
