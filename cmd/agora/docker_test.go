package main

import (
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/agoraproject/agora/agent/containerizer/compose"
	"github.com/agoraproject/agora/agent/containerizer/docker/dockertest"
	"github.com/agoraproject/agora/agent/containerizer/posix"
)

func TestContainerizerOrder(t *testing.T) {
	for in, want := range map[string]string{"mesos": "mesos", "docker,mesos": "docker,mesos", " mesos , docker ": "mesos,docker"} {
		got, err := containerizerOrder(in)
		if err != nil || strings.Join(got, ",") != want {
			t.Errorf("%q: %v %v", in, got, err)
		}
	}
	for _, in := range []string{"docker,docker", "lxc", ""} {
		if _, err := containerizerOrder(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}

func TestWithDocker(t *testing.T) {
	native, err := posix.New(posix.Config{})
	if err != nil {
		t.Fatal(err)
	}
	flags := dockerFlags{cli: defaultDockerCLI, socket: "/nonexistent/docker.sock", killOrphans: true}
	c, closeFn, err := withDocker(t.Context(), "mesos", native, flags, t.TempDir(), false, zap.NewNop())
	if err != nil || c != native {
		t.Fatalf("mesos only: %v %v", c, err)
	}
	closeFn()
	if _, _, err := withDocker(t.Context(), "docker,mesos", native, flags, t.TempDir(), false, zap.NewNop()); err == nil ||
		!strings.Contains(err.Error(), "/nonexistent/docker.sock") {
		t.Errorf("engine down: %v", err)
	}

	dockertest.Client(t) // an engine at the default socket, or skip (fail under CI=true)
	flags.socket = ""
	c, closeFn, err = withDocker(t.Context(), "docker,mesos", native, flags, t.TempDir(), false, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	if names := c.(*compose.Containerizer).Names(); strings.Join(names, ",") != "docker,mesos" {
		t.Errorf("composed %v", names)
	}
}
