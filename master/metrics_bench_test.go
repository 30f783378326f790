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

// BenchmarkMetrics10kTasks reads the metrics (/metrics/snapshot, a
// Prometheus scrape) of a master holding 1,000 agents and 10,000 running
// tasks; the read runs in the event loop, so it delays every call.
func BenchmarkMetrics10kTasks(b *testing.B) {
	const agents, tasksPerAgent = 1000, 10
	cfg := DefaultConfig()
	cfg.AllocationInterval = time.Hour
	m, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go m.Run(ctx)
	res, _ := resources.Parse("cpus:8;mem:16384;disk:100000;ports:[31000-32000]")
	for i := range agents {
		s, err := m.SubscribeAgent(ctx, &agentpb.Call{Type: agentpb.Call_SUBSCRIBE.Enum(), Subscribe: &agentpb.Call_Subscribe{
			AgentInfo: &mesos.AgentInfo{Hostname: strPtr(fmt.Sprintf("host-%05d", i)), Port: int32Ptr(5051), Resources: res},
		}}, "10.0.0.1")
		if err != nil {
			b.Fatal(err)
		}
		s.Events.Drain(nil)
	}
	fw, err := m.SubscribeFramework(ctx, &scheduler.Call{Type: scheduler.Call_SUBSCRIBE.Enum(), Subscribe: &scheduler.Call_Subscribe{
		FrameworkInfo: &mesos.FrameworkInfo{User: strPtr("u"), Name: strPtr("metrics"), FailoverTimeout: float64Ptr(3600)},
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
				for range tasksPerAgent {
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
	out, err := m.Metrics(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if got := out["master/cpus_used"]; got != 0.5*agents*tasksPerAgent {
		b.Fatalf("master/cpus_used = %v, want %v", got, 0.5*agents*tasksPerAgent)
	}
	b.ResetTimer()
	for range b.N {
		if _, err := m.Metrics(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
