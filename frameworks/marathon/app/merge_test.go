package app

import (
	"errors"
	"testing"
)

func base(t *testing.T) *App {
	a := mustDecode(t, `{"id":"/prod/web","cmd":"run","instances":3,"mem":256,"env":{"A":"1"},
		"labels":{"team":"x"},"portDefinitions":[{"port":8080}],"version":"2024-01-01T00:00:00.000Z"}`)
	a.VersionInfo = &VersionInfo{LastScalingAt: "t", LastConfigChangeAt: "t"}
	return a
}

func TestMerge(t *testing.T) {
	b := base(t)
	m, err := Merge(b, []byte(`{"instances":5,"id":"/elsewhere","version":"x"}`))
	if err != nil {
		t.Fatal(err)
	}
	if m.Instances != 5 || m.Mem != 256 || m.Env["A"] != "1" || m.ID != "/prod/web" || m.PortDefinitions[0].Port != 8080 {
		t.Errorf("merged = %+v", m)
	}
	if m.Version != "" || m.VersionInfo != nil {
		t.Errorf("version kept: %q %+v", m.Version, m.VersionInfo)
	}
	if b.Instances != 3 {
		t.Errorf("base modified")
	}
	if ConfigEqual(b, m) != true {
		t.Errorf("scale-only patch changed the configuration")
	}

	// null resets to the default; a replaced object is replaced whole.
	m, err = Merge(b, []byte(`{"mem":null,"env":{"B":"2"},"labels":null}`))
	if err != nil {
		t.Fatal(err)
	}
	if m.Mem != DefaultMem || len(m.Env) != 1 || m.Env["B"] != "2" || len(m.Labels) != 0 || m.Labels == nil {
		t.Errorf("merged = mem %v env %v labels %v", m.Mem, m.Env, m.Labels)
	}
	if ConfigEqual(b, m) {
		t.Errorf("config change not detected")
	}

	// The deprecated form replaces the current one.
	m, err = Merge(b, []byte(`{"ports":[9000,9001]}`))
	if err != nil || len(m.PortDefinitions) != 2 || m.PortDefinitions[1].Port != 9001 {
		t.Errorf("ports patch: %v %+v", err, m)
	}
	m, err = Merge(b, []byte(`{"portDefinitions":null}`))
	if err != nil || len(m.PortDefinitions) != 1 || m.PortDefinitions[0].Port != 0 {
		t.Errorf("portDefinitions reset: %v %+v", err, m.PortDefinitions)
	}
	m, err = Merge(b, []byte(`{"container":{"type":"DOCKER","docker":{"image":"nginx","network":"BRIDGE"}}}`))
	if err != nil || m.Networks[0].Mode != "container/bridge" || len(m.PortDefinitions) != 0 {
		t.Errorf("container patch: %v %+v", err, m.Networks)
	}
}

func TestMergeErrors(t *testing.T) {
	for _, p := range []string{`[]`, `{"cpus":"x"}`, `{`, `null`} {
		_, err := Merge(base(t), []byte(p))
		var de *DecodeError
		if !errors.As(err, &de) {
			t.Errorf("Merge(%s) err = %v, want *DecodeError", p, err)
		}
	}
}

func TestCloneIsDeep(t *testing.T) {
	a := mustDecode(t, `{"id":"a","cmd":"x","constraints":[["hostname","UNIQUE"]],"healthChecks":[{"protocol":"HTTP"}],
		"container":{"type":"DOCKER","docker":{"image":"i"},"portMappings":[{"containerPort":1,"hostPort":0,"labels":{"a":"b"}}]}}`)
	c := a.Clone()
	*c.Cmd = "y"
	c.Constraints[0][0] = "rack"
	*c.HealthChecks[0].PortIndex = 4
	*c.Container.PortMappings[0].HostPort = 9
	c.Container.PortMappings[0].Labels["a"] = "z"
	c.Container.Docker.Image = "j"
	c.Env["X"] = "1"
	c.UpgradeStrategy.MaximumOverCapacity = 0
	if *a.Cmd != "x" || a.Constraints[0][0] != "hostname" || *a.HealthChecks[0].PortIndex != 0 || *a.Container.PortMappings[0].HostPort != 0 ||
		a.Container.PortMappings[0].Labels["a"] != "b" || a.Container.Docker.Image != "i" || len(a.Env) != 0 || a.UpgradeStrategy.MaximumOverCapacity != 1 {
		t.Errorf("clone shares memory with the original")
	}
}

func FuzzMerge(f *testing.F) {
	for _, s := range []string{`{"instances":2}`, `{"mem":null}`, `{"ports":[1,2]}`, `{"container":null}`, `{"unreachableStrategy":"disabled"}`, `{"env":{"A":{"secret":"b"}}}`, `[]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, patch []byte) {
		b := New("/prod/web")
		cmd := "run"
		b.Cmd = &cmd
		m, err := Merge(b, patch)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		if m.ID != "/prod/web" {
			t.Fatalf("ID changed to %q", m.ID)
		}
		// An empty patch on the result changes nothing.
		again, err := Merge(m, []byte(`{}`))
		if err != nil || !ConfigEqual(m, again) || again.Instances != m.Instances {
			t.Fatalf("idempotence: %v", err)
		}
	})
}
