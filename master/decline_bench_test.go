package master

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/agoraproject/agora/proto/agora/agentpb"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	"github.com/agoraproject/agora/proto/mesos/v1/scheduler"
	"github.com/agoraproject/agora/proto/resources"
)

// BenchmarkDeclineCycle is the offer churn of frameworks that can use none
// of their offers: 2,000 agents, 20 frameworks each declining every offer
// of an OFFERS event in one DECLINE with a 1 s filter, as a rate-limited
// framework does; every declined agent goes to the next framework, and the
// 1 s batch cycle offers agents again once their filters expired. One op
// is one declined offer. It reports the process CPU per offer (the master
// and the frameworks, which only collect IDs), and how many offers an OFFERS
// event (and so a DECLINE) carries, with and without MinAllocationGap.
func BenchmarkDeclineCycle(b *testing.B) {
	for _, gap := range []time.Duration{0, DefaultMinAllocationGap} {
		b.Run(fmt.Sprintf("gap=%v", gap), func(b *testing.B) { benchDeclineCycle(b, gap) })
	}
}

func benchDeclineCycle(b *testing.B, gap time.Duration) {
	const agents, frameworks = 2000, 20
	cfg := DefaultConfig()
	cfg.MinAllocationGap = gap
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
	var declined, events atomic.Int64
	target := int64(b.N)
	done := make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	b.ResetTimer()
	cpu0 := cpuTime()
	start := time.Now()
	for i := range frameworks {
		fw, err := m.SubscribeFramework(ctx, &scheduler.Call{Type: scheduler.Call_SUBSCRIBE.Enum(), Subscribe: &scheduler.Call_Subscribe{
			FrameworkInfo: &mesos.FrameworkInfo{User: strPtr("u"), Name: strPtr(fmt.Sprintf("decline-%d", i))},
		}})
		if err != nil {
			b.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			var batch []*scheduler.Event
			refuse := &mesos.Filters{RefuseSeconds: float64Ptr(1)}
			for {
				select {
				case <-fw.Events.Ready():
				case <-done:
					return
				}
				batch = fw.Events.Drain(batch[:0])
				for _, e := range batch {
					offs := e.GetOffers().GetOffers()
					if len(offs) == 0 {
						continue
					}
					ids := make([]*mesos.OfferID, len(offs))
					for i, o := range offs {
						ids[i] = o.Id
					}
					events.Add(1)
					call := &scheduler.Call{FrameworkId: &mesos.FrameworkID{Value: strPtr(fw.FrameworkID)}, Type: scheduler.Call_DECLINE.Enum(),
						Decline: &scheduler.Call_Decline{OfferIds: ids, Filters: refuse}}
					if err := m.FrameworkCall(ctx, fw.StreamID, call); err != nil {
						return
					}
					if declined.Add(int64(len(ids))) >= target {
						once.Do(func() { close(done) })
					}
				}
			}
		}()
	}
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		b.Fatalf("%d of %d offers declined in 2 minutes", declined.Load(), target)
	}
	elapsed := time.Since(start)
	cpu := cpuTime() - cpu0
	b.StopTimer()
	wg.Wait()
	n := float64(declined.Load())
	b.ReportMetric(float64(cpu.Nanoseconds())/n, "cpu-ns/offer")
	b.ReportMetric(n/float64(events.Load()), "offers/event")
	b.ReportMetric(n/elapsed.Seconds(), "offers/s")
}

// cpuTime is the CPU this process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkReofferAfterTaskEnd is how soon a framework is offered what a
// finished task freed: one agent, one framework that launches a task on
// every offer with all of it; the agent reports the task FINISHED after
// 10 ms (taskRuns). µs/reoffer is TASK_FINISHED sent → OFFERS received.
// The launch's own pass offers nothing (the task takes the whole agent),
// so with MinAllocationGap shorter than the task's run the re-offer is not
// delayed.
func BenchmarkReofferAfterTaskEnd(b *testing.B) {
	for _, gap := range []time.Duration{0, DefaultMinAllocationGap} {
		b.Run(fmt.Sprintf("gap=%v", gap), func(b *testing.B) { benchReoffer(b, gap) })
	}
}

const taskRuns = 10 * time.Millisecond

func benchReoffer(b *testing.B, gap time.Duration) {
	cfg := DefaultConfig()
	cfg.MinAllocationGap = gap
	m, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go m.Run(ctx)
	res, _ := resources.Parse("cpus:8;mem:16384")
	ag, err := m.SubscribeAgent(ctx, &agentpb.Call{Type: agentpb.Call_SUBSCRIBE.Enum(), Subscribe: &agentpb.Call_Subscribe{
		AgentInfo: &mesos.AgentInfo{Hostname: strPtr("host"), Port: int32Ptr(5051), Resources: res},
	}}, "10.0.0.1")
	if err != nil {
		b.Fatal(err)
	}
	fw, err := m.SubscribeFramework(ctx, &scheduler.Call{Type: scheduler.Call_SUBSCRIBE.Enum(), Subscribe: &scheduler.Call_Subscribe{
		FrameworkInfo: &mesos.FrameworkInfo{User: strPtr("u"), Name: strPtr("reoffer")},
	}})
	if err != nil {
		b.Fatal(err)
	}
	nextOffer := func() *mesos.Offer {
		for {
			select {
			case <-fw.Events.Ready():
			case <-time.After(10 * time.Second):
				b.Fatal("no offer in 10 s")
			}
			for _, e := range fw.Events.Drain(nil) {
				if os := e.GetOffers().GetOffers(); len(os) > 0 {
					return os[0]
				}
			}
		}
	}
	var total time.Duration
	o := nextOffer()
	b.ResetTimer()
	for i := range b.N {
		id := fmt.Sprintf("t%d", i)
		call := &scheduler.Call{FrameworkId: &mesos.FrameworkID{Value: strPtr(fw.FrameworkID)}, Type: scheduler.Call_ACCEPT.Enum(),
			Accept: &scheduler.Call_Accept{OfferIds: []*mesos.OfferID{o.Id}, Operations: []*mesos.Offer_Operation{{
				Type: mesos.Offer_Operation_LAUNCH.Enum(), Launch: &mesos.Offer_Operation_Launch{TaskInfos: []*mesos.TaskInfo{{
					Name: strPtr(id), TaskId: &mesos.TaskID{Value: strPtr(id)}, AgentId: o.AgentId,
					Resources: resources.StripAllocation(o.Resources), Command: &mesos.CommandInfo{Value: strPtr("true")},
				}}}}}}}
		if err := m.FrameworkCall(ctx, fw.StreamID, call); err != nil {
			b.Fatal(err)
		}
		ag.Events.Drain(nil)
		time.Sleep(taskRuns)
		start := time.Now()
		err := m.AgentCall(ctx, ag.StreamID, &agentpb.Call{Type: agentpb.Call_UPDATE.Enum(), AgentId: &mesos.AgentID{Value: strPtr(ag.AgentID)},
			Update: &agentpb.Call_Update{FrameworkId: &mesos.FrameworkID{Value: strPtr(fw.FrameworkID)}, Status: &mesos.TaskStatus{
				TaskId: &mesos.TaskID{Value: strPtr(id)}, State: mesos.TaskState_TASK_FINISHED.Enum(), Source: mesos.TaskStatus_SOURCE_EXECUTOR.Enum(),
				AgentId: o.AgentId,
			}}})
		if err != nil {
			b.Fatal(err)
		}
		o = nextOffer()
		total += time.Since(start)
	}
	b.ReportMetric(float64(total.Microseconds())/float64(b.N), "µs/reoffer")
}
