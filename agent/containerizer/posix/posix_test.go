package posix

import (
	"context"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/agent/containerizer"
	"github.com/agoraproject/agora/agent/containerizer/conformance"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

func TestConformance(t *testing.T) {
	c, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	conformance.Run(t, c)
}

func TestStats(t *testing.T) {
	c, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	ct, err := c.Launch(t.Context(), containerizer.LaunchSpec{
		ContainerID: "stats", Sandbox: t.TempDir(), Env: []string{"PATH=/bin:/usr/bin"},
		Command: &mesos.CommandInfo{Value: proto.String("sleep 1000 & i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done; wait")},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ct.Kill(); _, _ = ct.Wait(context.Background()) }()
	sr := ct.(containerizer.StatsReporter)
	deadline := time.Now().Add(10 * time.Second)
	for {
		s, err := sr.Stats(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if s.GetProcesses() == 2 && s.GetThreads() >= 2 && s.GetMemRssBytes() > 0 && s.GetCpusUserTimeSecs()+s.GetCpusSystemTimeSecs() > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("stats %v", s)
		}
		time.Sleep(20 * time.Millisecond)
	}
	_ = ct.Kill()
	_, _ = ct.Wait(t.Context())
	if _, err := sr.Stats(t.Context()); err == nil {
		t.Error("Stats after exit succeeded")
	}
}
