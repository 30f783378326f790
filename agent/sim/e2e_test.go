package sim_test

import (
	"context"
	"testing"
	"time"

	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"

	"github.com/agoraproject/agora/agent/sim"
	"github.com/agoraproject/agora/agent/statusupdate"
	"github.com/agoraproject/agora/internal/benchharness"
	"github.com/agoraproject/agora/master"
)

// A real master, 20 simulated agents and one SDK framework launching 100
// tasks: every task is seen RUNNING and then FINISHED, every update is
// acknowledged in the end, and updates whose acknowledgement the agents
// drop are sent again.
func TestEndToEnd(t *testing.T) {
	log := zaptest.NewLogger(t, zaptest.Level(zapcore.WarnLevel))
	mcfg := master.DefaultConfig()
	mcfg.AllocationInterval = 100 * time.Millisecond
	mcfg.TickInterval = 10 * time.Millisecond
	addr, stop, err := benchharness.StartMaster(mcfg, log)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	groups, err := sim.ParseGroups("name=small count=10 resources=cpus:2;mem:2048 attributes=rack:r1 | name=big count=10 resources=cpus:4;mem:4096")
	if err != nil {
		t.Fatal(err)
	}
	res, err := benchharness.Run(ctx, benchharness.Config{
		Master:           addr,
		Frameworks:       1,
		Tasks:            100,
		MaxTasksPerOffer: 10,
		RefuseSeconds:    0.05,
		WaitFinished:     true,
		Logger:           log,
		Sim: sim.Config{
			Groups:        groups,
			Containerizer: sim.ContainerizerConfig{LaunchDelay: 10 * time.Millisecond, TaskDuration: 200 * time.Millisecond},
			Seed:          1,
			AckLossRate:   0.2,
			Updates:       statusupdate.Config{InitialBackoff: 50 * time.Millisecond, MaxBackoff: 200 * time.Millisecond},
		},
	})
	if err != nil {
		t.Fatalf("run: %v (result %+v)", err, res)
	}
	res.Format(testWriter{t})
	if res.Running != 100 || res.States["TASK_RUNNING"] != 100 || res.States["TASK_FINISHED"] != 100 {
		t.Fatalf("%d tasks seen RUNNING, states %v; want all 100 RUNNING then FINISHED", res.Running, res.States)
	}
	s := res.Sim
	if s.Agents != 20 || s.Subscriptions < 20 {
		t.Errorf("%d agents, %d subscriptions; want 20 subscribed", s.Agents, s.Subscriptions)
	}
	// STARTING, RUNNING and FINISHED for each task.
	if s.UpdatesQueued != 300 {
		t.Errorf("agents generated %d updates, want 300", s.UpdatesQueued)
	}
	if s.UpdatesPending() != 0 {
		t.Errorf("%d updates still unacknowledged", s.UpdatesPending())
	}
	if s.AcksDropped == 0 || s.UpdatesResent == 0 {
		t.Errorf("%d acknowledgements dropped, %d updates resent; want both > 0", s.AcksDropped, s.UpdatesResent)
	}
	if s.UpdatesSent != s.UpdatesQueued+s.UpdatesResent {
		t.Errorf("sent %d updates, want %d new + %d resent", s.UpdatesSent, s.UpdatesQueued, s.UpdatesResent)
	}
	if res.Latency.N != 100 || res.Latency.P50 <= 0 || res.TasksPerSecond <= 0 {
		t.Errorf("latency %+v, %.0f tasks/s", res.Latency, res.TasksPerSecond)
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }
