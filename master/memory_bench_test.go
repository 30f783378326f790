package master

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/agoraproject/agora/proto/agora/agentpb"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	"github.com/agoraproject/agora/proto/mesos/v1/scheduler"
	"github.com/agoraproject/agora/proto/resources"
)

func heapInUse() uint64 {
	var ms runtime.MemStats
	for i := 0; i < 3; i++ {
		runtime.GC()
	}
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// BenchmarkMasterMemory registers 10,000 agents and runs 100,000 tasks
// through the master's real paths (subscribe, offers, accept, RUNNING
// updates) and reports the live heap per agent and per task. Connection
// transport (HTTP buffers, goroutine stacks) is not included: this is the
// master's own state.
func BenchmarkMasterMemory(b *testing.B) {
	const agents, tasksPerAgent = 10000, 10
	for i := 0; i < b.N; i++ {
		perAgent, perTask := measureMasterMemory(b, agents, tasksPerAgent)
		b.ReportMetric(perAgent, "B/agent")
		b.ReportMetric(perTask, "B/task")
	}
}

func measureMasterMemory(b *testing.B, agents, tasksPerAgent int) (float64, float64) {
	cfg := DefaultConfig()
	cfg.AllocationInterval = time.Hour // only event-triggered allocation
	m, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go m.Run(ctx)
	res, _ := resources.Parse("cpus:8;mem:16384;disk:100000;ports:[31000-32000]")

	base := heapInUse()
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
	afterAgents := heapInUse()

	fw, err := m.SubscribeFramework(ctx, &scheduler.Call{Type: scheduler.Call_SUBSCRIBE.Enum(), Subscribe: &scheduler.Call_Subscribe{
		FrameworkInfo: &mesos.FrameworkInfo{User: strPtr("u"), Name: strPtr("mem"), FailoverTimeout: float64Ptr(3600)},
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
					tasks = append(tasks, &mesos.TaskInfo{
						Name: strPtr(id), TaskId: &mesos.TaskID{Value: strPtr(id)}, AgentId: o.AgentId,
						Resources: taskRes, Command: &mesos.CommandInfo{Value: strPtr("sleep 1000")},
					})
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
	// Every agent reports its tasks RUNNING (with a uuid), as a real one does.
	for _, s := range streams {
		for _, e := range s.Events.Drain(nil) {
			t := e.GetRunTask().GetTask()
			if t == nil {
				continue
			}
			err := m.AgentCall(ctx, s.StreamID, &agentpb.Call{Type: agentpb.Call_UPDATE.Enum(), AgentId: &mesos.AgentID{Value: strPtr(s.AgentID)},
				Update: &agentpb.Call_Update{FrameworkId: &mesos.FrameworkID{Value: strPtr(fw.FrameworkID)}, Status: &mesos.TaskStatus{
					TaskId: t.TaskId, State: mesos.TaskState_TASK_RUNNING.Enum(), Source: mesos.TaskStatus_SOURCE_EXECUTOR.Enum(),
					Uuid: make([]byte, 16), Timestamp: float64Ptr(1), AgentId: t.AgentId,
				}}})
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	fw.Events.Drain(nil)
	afterTasks := heapInUse()
	runtime.KeepAlive(streams)
	tasks := float64(agents * tasksPerAgent)
	return float64(afterAgents-base) / float64(agents), float64(afterTasks-afterAgents) / tasks
}
