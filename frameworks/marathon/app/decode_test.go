package app

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func mustDecode(t *testing.T, body string) *App {
	t.Helper()
	a, err := Decode([]byte(body))
	if err != nil {
		t.Fatalf("Decode(%s): %v", body, err)
	}
	a.Normalize()
	return a
}

func TestDecodeClientQuirks(t *testing.T) {
	// A body as the marathon CLI and older client libraries send it.
	a := mustDecode(t, `{"id":"prod/web/","cmd":"python3 -m http.server $PORT0","ports":null,
		"dependencies":null,"uris":["http://x/app.tar.gz","http://x/run.sh"],"tasksRunning":3,
		"container":{"type":"DOCKER","docker":{"image":"nginx","network":"BRIDGE",
		"portMappings":[{"containerPort":80,"hostPort":0}]}}}`)
	if a.ID != "/prod/web" {
		t.Errorf("ID = %q, want /prod/web", a.ID)
	}
	if a.Instances != 1 || a.CPUs != 1 || a.Mem != 128 || a.BackoffFactor != 1.15 || a.MaxLaunchDelaySeconds != 300 {
		t.Errorf("defaults not applied: %+v", a)
	}
	if len(a.Networks) != 1 || a.Networks[0].Mode != "container/bridge" {
		t.Errorf("networks = %+v, want container/bridge", a.Networks)
	}
	if c := a.Container; len(c.PortMappings) != 1 || c.PortMappings[0].ContainerPort != 80 || c.PortMappings[0].Protocol != "tcp" || c.Docker.PortMappings != nil || c.Docker.Network != "" {
		t.Errorf("port mappings not moved: %+v %+v", c.PortMappings, c.Docker)
	}
	if len(a.Fetch) != 2 || !a.Fetch[0].Extract || a.Fetch[1].Extract || a.URIs != nil {
		t.Errorf("fetch = %+v", a.Fetch)
	}
	if a.Dependencies == nil || len(a.PortDefinitions) != 0 {
		t.Errorf("deps %v, portDefinitions %v", a.Dependencies, a.PortDefinitions)
	}
	if v := a.Validate(); v != nil {
		t.Errorf("Validate = %v", v)
	}
	out, _ := json.Marshal(a)
	for _, want := range []string{`"constraints":[]`, `"labels":{}`, `"env":{}`, `"healthChecks":[]`, `"dependencies":[]`, `"upgradeStrategy":{"minimumHealthCapacity":1,"maximumOverCapacity":1}`, `"unreachableStrategy":{"inactiveAfterSeconds":300,"expungeAfterSeconds":600}`, `"killSelection":"YOUNGEST_FIRST"`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("JSON lacks %s: %s", want, out)
		}
	}
}

func TestDecodePorts(t *testing.T) {
	for _, tc := range []struct {
		body  string
		ports []int
	}{
		{`{"id":"a","cmd":"x"}`, []int{0}},
		{`{"id":"a","cmd":"x","ports":null}`, []int{0}},
		{`{"id":"a","cmd":"x","ports":[]}`, []int{}},
		{`{"id":"a","cmd":"x","portDefinitions":[]}`, []int{}},
		{`{"id":"a","cmd":"x","ports":[8080,0]}`, []int{8080, 0}},
		{`{"id":"a","cmd":"x","portDefinitions":[{"port":9000,"name":"http"}]}`, []int{9000}},
	} {
		a := mustDecode(t, tc.body)
		got := []int{}
		for _, p := range a.PortDefinitions {
			got = append(got, p.Port)
			if p.Protocol != "tcp" {
				t.Errorf("%s: protocol %q", tc.body, p.Protocol)
			}
		}
		if !equalInts(got, tc.ports) {
			t.Errorf("%s: ports %v, want %v", tc.body, got, tc.ports)
		}
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestDecodeExplicitZerosSurvive(t *testing.T) {
	a := mustDecode(t, `{"id":"a","cmd":"x","instances":0,"cpus":0.1,"healthChecks":[{"protocol":"TCP","gracePeriodSeconds":0}],
		"upgradeStrategy":{"minimumHealthCapacity":0.5},"unreachableStrategy":{"inactiveAfterSeconds":0,"expungeAfterSeconds":0}}`)
	if a.Instances != 0 || a.CPUs != 0.1 {
		t.Errorf("instances %d cpus %v", a.Instances, a.CPUs)
	}
	h := a.HealthChecks[0]
	if h.GracePeriodSeconds != 0 || h.IntervalSeconds != 60 || h.TimeoutSeconds != 20 || h.MaxConsecutiveFailures != 3 || h.DelaySeconds != 15 || h.PortIndex == nil || *h.PortIndex != 0 {
		t.Errorf("health check = %+v", h)
	}
	if *a.UpgradeStrategy != (UpgradeStrategy{0.5, 1}) {
		t.Errorf("upgradeStrategy = %+v", a.UpgradeStrategy)
	}
	if *a.UnreachableStrategy != (UnreachableStrategy{}) {
		t.Errorf("unreachableStrategy = %+v", a.UnreachableStrategy)
	}
}

func TestDecodeUnreachableDisabled(t *testing.T) {
	a := mustDecode(t, `{"id":"a","cmd":"x","unreachableStrategy":"disabled"}`)
	if !a.UnreachableStrategy.Disabled {
		t.Fatalf("not disabled: %+v", a.UnreachableStrategy)
	}
	out, _ := json.Marshal(a)
	if !strings.Contains(string(out), `"unreachableStrategy":"disabled"`) {
		t.Errorf("rendered %s", out)
	}
	b, err := Decode(out)
	if err != nil || !b.UnreachableStrategy.Disabled {
		t.Errorf("round trip: %v %+v", err, b)
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, tc := range []struct{ body, path, msg string }{
		{`{"id":"a","cmd":"x","env":{"DB_PASSWORD":{"secret":"pw"}}}`, "/env/DB_PASSWORD", "secret"},
		{`{"id":"a","cmd":"x","env":{"N":1}}`, "/env/N", "strings"},
		{`{"id":"a","cpus":"lots"}`, "/cpus", "jsnumber"},
		{`{"id":"a","container":{"docker":{"image":5}}}`, "/container/docker/image", "jsstring"},
		{`{"id":"a","unreachableStrategy":"sometimes"}`, "/unreachableStrategy", "disabled"},
		{`{"id":"a",`, "", "Invalid JSON"},
		{``, "", "empty"},
		{`[1]`, "", "jsobject"},
		{`{"id":"a"} {}`, "", "after"},
	} {
		_, err := Decode([]byte(tc.body))
		var de *DecodeError
		if !errors.As(err, &de) {
			t.Errorf("%s: err %v, want *DecodeError", tc.body, err)
			continue
		}
		if de.Path != tc.path || !strings.Contains(de.Msg, tc.msg) {
			t.Errorf("%s: got %q %q, want path %q msg containing %q", tc.body, de.Path, de.Msg, tc.path, tc.msg)
		}
	}
}

func TestDecodeList(t *testing.T) {
	apps, err := DecodeList([]byte(`[{"id":"a","cmd":"x"},{"id":"/b","cmd":"y","instances":3}]`))
	if err != nil || len(apps) != 2 || apps[1].Instances != 3 || apps[0].Instances != 1 {
		t.Fatalf("DecodeList = %v, %v", apps, err)
	}
	_, err = DecodeList([]byte(`[{"id":"a"},{"id":"b","mem":"x"}]`))
	var de *DecodeError
	if !errors.As(err, &de) || de.Path != "(1)/mem" {
		t.Errorf("err = %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"id":"a","cmd":"x"}`,
		`{"id":"prod/web","ports":null,"dependencies":null,"env":{"A":"b"}}`,
		`{"id":"a","container":{"type":"DOCKER","docker":{"image":"x","network":"BRIDGE","portMappings":[{"containerPort":80}]}}}`,
		`{"id":"a","unreachableStrategy":"disabled","healthChecks":[{"protocol":"HTTP"}],"constraints":[["hostname","UNIQUE"]]}`,
		`{"id":"a","env":{"S":{"secret":"x"}}}`,
		`[`, `null`, `{}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := Decode(data)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		a.Normalize()
		_ = a.Validate()
		// Normalized apps survive a JSON round trip unchanged.
		out, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		b, err := Decode(out)
		if err != nil {
			t.Fatalf("re-decode of %s: %v", out, err)
		}
		b.Normalize()
		if !ConfigEqual(a, b) || a.Instances != b.Instances {
			out2, _ := json.Marshal(b)
			t.Fatalf("round trip changed the app:\n%s\n%s", out, out2)
		}
	})
}
