package master

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/agoraproject/agora/proto/agora/agentpb"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	"github.com/agoraproject/agora/proto/mesos/v1/scheduler"
	"github.com/agoraproject/agora/proto/resources"
)

// BenchmarkStateLoopShare measures the event loop's share of a state read
// (the copy State asks the loop for) with 10,000 agents and 100,000
// running tasks, when one task changed since the previous read and when
// none did; and the whole State, whose ordering and sums run on the
// caller's goroutine.
func BenchmarkStateLoopShare(b *testing.B) {
	m, agent, fwID, taskIDs := buildStateCluster(b, 10000, 10)
	ctx := context.Background()
	update := func(i int) {
		call := &agentpb.Call{Type: agentpb.Call_UPDATE.Enum(), AgentId: &mesos.AgentID{Value: strPtr(agent.AgentID)},
			Update: &agentpb.Call_Update{FrameworkId: &mesos.FrameworkID{Value: strPtr(fwID)}, Status: &mesos.TaskStatus{
				TaskId: &mesos.TaskID{Value: strPtr(taskIDs[i%len(taskIDs)])}, State: mesos.TaskState_TASK_RUNNING.Enum(),
				Source: mesos.TaskStatus_SOURCE_EXECUTOR.Enum(), Uuid: make([]byte, 16), Timestamp: float64Ptr(1)}}}
		if err := m.AgentCall(ctx, agent.StreamID, call); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := m.State(ctx); err != nil { // the first read builds every view
		b.Fatal(err)
	}
	for _, changed := range []bool{false, true} {
		b.Run(fmt.Sprintf("loop/changed=%v", changed), func(b *testing.B) {
			var loop time.Duration
			for i := 0; i < b.N; i++ {
				if changed {
					update(i)
				}
				start := time.Now()
				if err := m.do(ctx, func() { start = time.Now(); m.copyState(); loop += time.Since(start) }); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(loop.Microseconds())/1000/float64(b.N), "loop-ms/read")
		})
	}
	b.Run("State/changed=true", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			update(i)
			if _, err := m.State(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// buildStateCluster registers agents and runs tasksPerAgent tasks on each
// through the master's real paths; it returns the last agent's stream, the
// framework and that agent's task IDs.
func buildStateCluster(b *testing.B, agents, tasksPerAgent int) (*Master, *AgentStream, string, []string) {
	cfg := DefaultConfig()
	cfg.AllocationInterval = time.Hour
	cfg.AgentPingTimeout = time.Hour // these agents never answer pings
	m, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	go m.Run(ctx)
	res, _ := resources.Parse("cpus:8;mem:16384;disk:100000;ports:[31000-32000]")
	streams := make([]*AgentStream, agents)
	for i := range streams {
		s, err := m.SubscribeAgent(ctx, &agentpb.Call{Type: agentpb.Call_SUBSCRIBE.Enum(), Subscribe: &agentpb.Call_Subscribe{
			AgentInfo: &mesos.AgentInfo{Hostname: strPtr(fmt.Sprintf("host-%05d", i)), Port: int32Ptr(5051), Resources: res},
		}}, "10.0.0.1")
		if err != nil {
			b.Fatal(err)
		}
		s.Events.Drain(nil)
		streams[i] = s
	}
	fw, err := m.SubscribeFramework(ctx, &scheduler.Call{Type: scheduler.Call_SUBSCRIBE.Enum(), Subscribe: &scheduler.Call_Subscribe{
		FrameworkInfo: &mesos.FrameworkInfo{User: strPtr("u"), Name: strPtr("bench"), FailoverTimeout: float64Ptr(3600)},
	}})
	if err != nil {
		b.Fatal(err)
	}
	taskRes, _ := resources.Parse("cpus:0.5;mem:256")
	launched := 0
	var batch []*scheduler.Event
	for launched < agents*tasksPerAgent {
		select {
		case <-fw.Events.Ready():
		case <-time.After(10 * time.Second):
			b.Fatalf("no offers after %d tasks", launched)
		}
		batch = fw.Events.Drain(batch)
		for _, e := range batch {
			for _, o := range e.GetOffers().GetOffers() {
				var tasks []*mesos.TaskInfo
				for j := 0; j < tasksPerAgent && launched < agents*tasksPerAgent; j++ {
					id := fmt.Sprintf("task-%07d", launched)
					launched++
					tasks = append(tasks, &mesos.TaskInfo{Name: strPtr(id), TaskId: &mesos.TaskID{Value: strPtr(id)},
						AgentId: o.AgentId, Resources: taskRes, Command: &mesos.CommandInfo{Value: strPtr("sleep 1000")}})
				}
				call := &scheduler.Call{FrameworkId: &mesos.FrameworkID{Value: strPtr(fw.FrameworkID)}, Type: scheduler.Call_ACCEPT.Enum(),
					Accept: &scheduler.Call_Accept{OfferIds: []*mesos.OfferID{o.Id}, Operations: []*mesos.Offer_Operation{{
						Type: mesos.Offer_Operation_LAUNCH.Enum(), Launch: &mesos.Offer_Operation_Launch{TaskInfos: tasks}}},
						Filters: &mesos.Filters{RefuseSeconds: float64Ptr(3600)}}}
				if err := m.FrameworkCall(ctx, fw.StreamID, call); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	go func() { // a live scheduler drains its stream
		for range fw.Events.Ready() {
			fw.Events.Drain(nil)
		}
	}()
	last := streams[len(streams)-1]
	var ids []string
	for _, e := range last.Events.Drain(nil) {
		if t := e.GetRunTask().GetTask(); t != nil {
			ids = append(ids, t.GetTaskId().GetValue())
		}
	}
	go func() {
		for range last.Events.Ready() {
			last.Events.Drain(nil)
		}
	}()
	if len(ids) == 0 {
		b.Fatal("no task on the last agent")
	}
	return m, last, fw.FrameworkID, ids
}
