package main

import (
	"errors"
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/agoraproject/agora/agent/containerizer"
	"github.com/agoraproject/agora/agent/containerizer/cgroups"
	"github.com/agoraproject/agora/agent/containerizer/posix"
)

func TestPlanContainerizer(t *testing.T) {
	def := containerizerFlags{containerizers: "mesos", cgroupsRoot: "agora"}
	with := func(iso string, cfs bool) containerizerFlags {
		f := def
		f.isolation, f.enableCFS = iso, cfs
		return f
	}
	for _, tc := range []struct {
		name     string
		flags    containerizerFlags
		cgroups  *cgroups.Config // nil: posix
		explicit bool
		err      string
	}{
		{"default tries all cgroups isolators", def, &cgroups.Config{Root: "agora", CPU: true, Memory: true, Pids: true}, false, ""},
		{"default with CFS", with("", true), &cgroups.Config{Root: "agora", CPU: true, CFS: true, Memory: true, Pids: true}, false, ""},
		{"explicit cgroups", with("cgroups/cpu,cgroups/mem", false), &cgroups.Config{Root: "agora", CPU: true, Memory: true}, true, ""},
		{"cgroups/all with CFS", with("cgroups/all,filesystem/posix", true), &cgroups.Config{Root: "agora", CPU: true, CFS: true, Memory: true, Pids: true}, true, ""},
		{"CFS needs cgroups/cpu", with("cgroups/mem", true), &cgroups.Config{Root: "agora", Memory: true}, true, ""},
		{"pids only", with("cgroups/pids", false), &cgroups.Config{Root: "agora", Pids: true}, true, ""},
		{"posix", with("posix/cpu,posix/mem", false), nil, true, ""},
		{"mixed", with("posix/cpu,cgroups/mem", false), nil, false, "exclude each other"},
		{"unknown isolator", with("cgroups/net", false), nil, false, "unknown isolator"},
		{"pid namespace", with("cgroups/cpu,namespaces/pid", false), nil, false, "namespaces/pid"},
		{"docker beside mesos", containerizerFlags{containerizers: "docker,mesos", cgroupsRoot: "agora"}, &cgroups.Config{Root: "agora", CPU: true, Memory: true, Pids: true}, false, ""},
		{"unknown containerizer", containerizerFlags{containerizers: "lxc"}, nil, false, "lxc"},
		{"bad root", containerizerFlags{containerizers: "mesos", cgroupsRoot: "../x"}, nil, false, "root"},
	} {
		plan, err := planContainerizer(tc.flags)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if (plan.cgroups == nil) != (tc.cgroups == nil) || (plan.cgroups != nil && *plan.cgroups != *tc.cgroups) || plan.explicit != tc.explicit {
			t.Errorf("%s: plan %+v (cgroups %+v), want cgroups %+v explicit %v", tc.name, plan, plan.cgroups, tc.cgroups, tc.explicit)
		}
	}
}

func TestNewContainerizerFallsBack(t *testing.T) {
	unusable := func(cgroups.Config) (containerizer.Containerizer, error) {
		return nil, errors.New("read-only file system")
	}
	c, err := newContainerizer(containerizerFlags{containerizers: "mesos", cgroupsRoot: "agora"}, zap.NewNop(), unusable)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.(*posix.Containerizer); !ok {
		t.Errorf("default on a host without cgroups: %T, want posix", c)
	}
	_, err = newContainerizer(containerizerFlags{containerizers: "mesos", cgroupsRoot: "agora", isolation: "cgroups/mem"}, zap.NewNop(), unusable)
	if err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Errorf("explicit cgroups on a host without them: %v, want the cause", err)
	}
	var got cgroups.Config
	usable := func(cfg cgroups.Config) (containerizer.Containerizer, error) {
		got = cfg
		return &posix.Containerizer{}, nil
	}
	if _, err := newContainerizer(containerizerFlags{containerizers: "mesos", cgroupsRoot: "x", enableCFS: true}, zap.NewNop(), usable); err != nil {
		t.Fatal(err)
	}
	if got.Root != "x" || !got.CFS || !got.Memory || got.Logger == nil {
		t.Errorf("cgroups config %+v", got)
	}
}
