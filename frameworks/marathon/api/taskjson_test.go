package api

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/agoraproject/agora/frameworks/marathon/state"
)

func TestTaskEncoderMatchesEncodingJSON(t *testing.T) {
	// Every field of state.Task must be known to appendTaskJSON: when one is
	// added, update the encoder and this count.
	if n := reflect.TypeOf(state.Task{}).NumField(); n != 13 {
		t.Fatalf("state.Task has %d fields; appendTaskJSON writes 13", n)
	}
	if n := reflect.TypeOf(state.HealthCheckResult{}).NumField(); n != 7 {
		t.Fatalf("state.HealthCheckResult has %d fields; appendHealthJSON writes 7", n)
	}
	full := state.Task{ID: "prod_web.1", AppID: "/prod/web", Host: "höst<&>\"\\\n", SlaveID: "S1",
		Ports: []int{31000, -1}, ServicePorts: []int{10000}, IPAddresses: []state.IPAddress{{IPAddress: "10.0.0.1", Protocol: "IPv4"}, {IPAddress: "::1", Protocol: "IPv6"}},
		StagedAt: "a", StartedAt: "b", Version: "v", State: "TASK_RUNNING",
		HealthCheckResults: []state.HealthCheckResult{{Alive: true, ConsecutiveFailures: 2, FirstSuccess: "f", LastFailure: "l",
			LastSuccess: "s", LastFailureCause: "c\u2028", InstanceID: "i"}, {InstanceID: "j"}},
		LocalVolumes: []any{map[string]any{"containerPath": "data"}}}
	for _, tk := range []state.Task{full, {}, {ID: "x", State: "TASK_STAGING"}} {
		var got bytes.Buffer
		appendTaskJSON(&got, &tk)
		want, err := json.Marshal(withEmptySlices(tk))
		if err != nil {
			t.Fatal(err)
		}
		if got.String() != string(want) {
			t.Errorf("hand-written encoding\n%s\nencoding/json\n%s", got.String(), want)
		}
	}
}
