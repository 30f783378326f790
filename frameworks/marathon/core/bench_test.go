package core

import (
	"fmt"
	"testing"
	"time"

	"github.com/agoraproject/agora/frameworks/marathon/app"
	"github.com/agoraproject/agora/internal/store"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	"github.com/agoraproject/agora/sdk/sdktest"
)

// BenchmarkAppsSnapshot measures GET /v2/apps's read of 1,000 apps with
// 10,000 tasks from the published snapshot (goal: ≤ 100 ms per request).
func BenchmarkAppsSnapshot(b *testing.B) {
	c, err := New(Config{Master: "127.0.0.1:5050", Store: store.NewMemory(), Clock: sdktest.NewClock(epoch)})
	if err != nil {
		b.Fatal(err)
	}
	c.leader = true
	for i := 0; i < 1000; i++ {
		a := newApp(fmt.Sprintf("/group%d/app%d", i%10, i), 10)
		a.Version = stamp(epoch)
		as := newAppState(a)
		for j := 0; j < 10; j++ {
			t := &task{ID: app.TaskID(a.ID, fmt.Sprintf("%08d-%d", i, j)), AppID: a.ID, Host: "agent.test",
				Ports: []int{31000 + j}, Version: a.Version, State: mesos.TaskState_TASK_RUNNING, StagedAt: epoch, StartedAt: epoch}
			as.tasks[t.ID] = t
			c.tasks[t.ID] = t
		}
		c.apps[a.ID] = as
	}
	start := time.Now()
	c.publish()
	b.ReportMetric(float64(time.Since(start).Microseconds()), "publish-µs")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if apps := c.Apps(false); len(apps) != 1000 {
			b.Fatal(len(apps))
		}
		if apps := c.Apps(true); len(apps[0].Tasks) != 10 {
			b.Fatal(len(apps[0].Tasks))
		}
	}
}

// BenchmarkScaleTo1000 measures scaling one app from 0 to 1,000 instances
// against the fake master: the time until the core counts all running.
func BenchmarkScaleTo1000(b *testing.B) {
	for i := 0; i < b.N; i++ {
		h := newHarness(b, sdktest.Options{Agents: []sdktest.Agent{
			{Resources: "cpus:1000;mem:1000000;disk:100000;ports:[10000-12000]"},
		}})
		a := newApp("/scale", 1000)
		a.CPUs, a.Mem = 0.01, 1
		start := time.Now()
		h.mustDeploy(a)
		h.waitFor("1000 running", func() bool { return h.app("/scale").TasksRunning == 1000 })
		b.ReportMetric(float64(time.Since(start).Milliseconds()), "ms-to-running")
		h.stop()
	}
}
