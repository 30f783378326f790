package compose

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/agoraproject/agora/agent/containerizer"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// recorder records which member launched what.
type recorder struct {
	name     string
	launched *[]string
	found    map[string]containerizer.Container
	err      error
}

func (r recorder) Launch(_ context.Context, spec containerizer.LaunchSpec) (containerizer.Container, error) {
	*r.launched = append(*r.launched, r.name+":"+spec.ContainerID)
	return nil, nil
}

type recoverer struct {
	recorder
	got *[]string // the IDs it was asked for
}

func (r recoverer) Recover(_ context.Context, cps []containerizer.Checkpointed) (map[string]containerizer.Container, error) {
	if r.got != nil {
		*r.got = containerizer.IDs(cps)
	}
	return r.found, r.err
}

func TestLaunchPicksTheFirstMemberThatAccepts(t *testing.T) {
	var launched []string
	docker, native := recorder{"docker", &launched, nil, nil}, recorder{"mesos", &launched, nil, nil}
	c, err := New(Docker(docker), Mesos(native))
	if err != nil {
		t.Fatal(err)
	}
	dockerCI := &mesos.ContainerInfo{Type: mesos.ContainerInfo_DOCKER.Enum()}
	mesosCI := &mesos.ContainerInfo{Type: mesos.ContainerInfo_MESOS.Enum()}
	for id, ci := range map[string]*mesos.ContainerInfo{"d": dockerCI, "m": mesosCI, "h": nil} {
		if _, err := c.Launch(t.Context(), containerizer.LaunchSpec{ContainerID: id, Container: ci}); err != nil {
			t.Fatal(err)
		}
	}
	got := strings.Join(launched, " ")
	for _, want := range []string{"docker:d", "mesos:m", "mesos:h"} {
		if !strings.Contains(got, want) {
			t.Errorf("launched %q, want %s", got, want)
		}
	}

	// Docker only: a host container has nowhere to go.
	only, _ := New(Docker(docker))
	_, err = only.Launch(t.Context(), containerizer.LaunchSpec{ContainerID: "x"})
	if err == nil || !strings.Contains(err.Error(), "--containerizers=docker") {
		t.Errorf("host container on a docker-only agent: %v", err)
	}
	if _, err := New(); err == nil {
		t.Error("New() with no members succeeded")
	}
}

func TestRecoverMerges(t *testing.T) {
	var launched []string
	var asked []string
	a := recoverer{recorder{"docker", &launched, map[string]containerizer.Container{"1": nil}, nil}, &asked}
	b := recorder{"mesos", &launched, nil, nil} // cannot recover: skipped
	c, _ := New(Docker(a), Mesos(b))
	dockerCI := &mesos.ContainerInfo{Type: mesos.ContainerInfo_DOCKER.Enum()}
	found, err := c.Recover(t.Context(), []containerizer.Checkpointed{{ContainerID: "1", Container: dockerCI}, {ContainerID: "2"}})
	if err != nil || len(found) != 1 {
		t.Fatalf("found %v, %v", found, err)
	}
	if strings.Join(asked, ",") != "1" {
		t.Errorf("docker was asked for %v, want only its own container 1", asked)
	}
	failing := recoverer{recorder{"docker", &launched, nil, errors.New("engine down")}, nil}
	c, _ = New(Docker(failing), Mesos(b))
	if _, err := c.Recover(t.Context(), nil); err == nil || !strings.Contains(err.Error(), "docker: engine down") {
		t.Errorf("err %v", err)
	}
}
