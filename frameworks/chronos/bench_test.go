package chronos_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/agoraproject/agora/frameworks/chronos"
	"github.com/agoraproject/agora/frameworks/chronos/job"
	"github.com/agoraproject/agora/internal/store"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	"github.com/agoraproject/agora/sdk/sdktest"
)

// BenchmarkLaunch1000Due measures the whole framework: 1,000 jobs due at
// the same second, from the second arriving (the fake clock advancing)
// until the fake master holds all 1,000 tasks. It covers the tick, the
// revive, placing the runs on the offers of ten agents, persisting each
// launch to the store, and the ACCEPT calls over HTTP.
func BenchmarkLaunch1000Due(b *testing.B) {
	const n = 1000
	due := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	agents := make([]sdktest.Agent, 10)
	for i := range agents {
		agents[i].Resources = "cpus:12;mem:16384;disk:32768" // 100 runs of 0.1 cpus, 128 MiB, 256 MiB disk each
	}
	for b.Loop() {
		b.StopTimer()
		m, err := sdktest.New(sdktest.Options{AutoOffer: true, Agents: agents,
			// Tasks stay running, so each is launched once and holds its resources.
			TaskResult: func(*mesos.TaskInfo) (mesos.TaskState, string) { return mesos.TaskState_TASK_RUNNING, "" }})
		if err != nil {
			b.Fatal(err)
		}
		clock := sdktest.NewClock(due.Add(-time.Second))
		f, err := chronos.New(chronos.Config{Master: m.Addr(), Store: store.NewMemory(), Clock: clock, Logger: zap.NewNop()})
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- f.Run(ctx) }()
		for i := range n {
			j := job.Job{Name: fmt.Sprintf("job-%04d", i), Command: "true", Shell: true, Retries: 2,
				Schedule: "R/" + due.Format(time.RFC3339) + "/PT1H"}
			if err := f.PutJob(ctx, j); err != nil {
				b.Fatal(err)
			}
		}
		if err := m.Wait(ctx, m.Subscribed); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()

		clock.Advance(time.Second)
		if err := m.Wait(ctx, func() bool { return len(m.Tasks()) == n }); err != nil {
			b.Fatal(err)
		}

		b.StopTimer()
		cancel()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		m.Close()
		b.StartTimer()
	}
}
