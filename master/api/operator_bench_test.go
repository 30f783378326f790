package api

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/master"
	"github.com/agoraproject/agora/proto/agora/agentpb"
	"github.com/agoraproject/agora/proto/codec"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	masterpb "github.com/agoraproject/agora/proto/mesos/v1/master"
	"github.com/agoraproject/agora/proto/mesos/v1/scheduler"
	"github.com/agoraproject/agora/proto/resources"
)

// bigCluster is a master holding 10,000 agents and 100,000 RUNNING tasks,
// built through the master's real paths (subscribe, offers, ACCEPT,
// updates), shared by the benchmarks below.
type bigCluster struct {
	m       *master.Master
	h       *Handler
	agent   *master.AgentStream
	fwID    string
	taskID  string
	buildIn time.Duration
}

// sharedCluster is a cluster built once for all the benchmarks using it.
type sharedCluster struct {
	once sync.Once
	c    *bigCluster
}

func (sc *sharedCluster) get(b *testing.B, frameworks int) *bigCluster {
	sc.once.Do(func() { sc.c = buildBigCluster(b, 10000, 10, frameworks) })
	if sc.c == nil {
		b.Fatal("building the cluster failed")
	}
	return sc.c
}

var big, spread sharedCluster

func bigMaster(b *testing.B) *bigCluster { return big.get(b, 1) }

// spreadMaster is bigMaster's cluster run by 100 frameworks of 1,000
// tasks each, every agent holding tasks of ten of them: the layout of
// `agora bench --frameworks 100`.
func spreadMaster(b *testing.B) *bigCluster { return spread.get(b, 100) }

// buildBigCluster starts a master of agents agents, each running
// tasksPerAgent tasks; task k of agent j belongs to framework
// (j*tasksPerAgent+k) mod frameworks. The frameworks subscribe one after
// another, each accepting the offers of its agents and declining the rest.
func buildBigCluster(b *testing.B, agents, tasksPerAgent, frameworks int) *bigCluster {
	start := time.Now()
	cfg := master.DefaultConfig()
	cfg.AllocationInterval = time.Hour
	cfg.AgentPingTimeout = time.Hour // these agents never answer pings
	m, err := master.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background() // lives for the whole benchmark binary
	go m.Run(ctx)
	res, _ := resources.Parse("cpus:8;mem:16384;disk:100000;ports:[31000-32000]")
	streams := make([]*master.AgentStream, agents)
	index := make(map[string]int, agents)
	for i := range streams {
		s, err := m.SubscribeAgent(ctx, &agentpb.Call{Type: agentpb.Call_SUBSCRIBE.Enum(), Subscribe: &agentpb.Call_Subscribe{
			AgentInfo: &mesos.AgentInfo{Hostname: proto.String(fmt.Sprintf("host-%05d", i)), Port: proto.Int32(5051), Resources: res},
		}}, "10.0.0.1")
		if err != nil {
			b.Fatal(err)
		}
		s.Events.Drain(nil)
		streams[i] = s
		index[s.AgentID] = i
	}
	l := &launcher{b: b, m: m, ctx: ctx, index: index}
	l.taskRes, _ = resources.Parse("cpus:0.5;mem:256")
	var fws []*master.FrameworkStream
	for f := 0; f < frameworks; f++ {
		wants := make(map[int]int) // agent index → this framework's tasks on it
		for j := 0; j < agents; j++ {
			for k := 0; k < tasksPerAgent; k++ {
				if (j*tasksPerAgent+k)%frameworks == f {
					wants[j]++
				}
			}
		}
		fws = append(fws, l.launch(fmt.Sprintf("bench-%03d", f), wants))
	}
	var last *mesos.TaskInfo
	var lastFramework string
	for _, s := range streams {
		for _, e := range s.Events.Drain(nil) {
			t := e.GetRunTask().GetTask()
			if t == nil {
				continue
			}
			last, lastFramework = t, e.GetRunTask().GetFramework().GetId().GetValue()
			if err := m.AgentCall(ctx, s.StreamID, runningUpdate(s.AgentID, lastFramework, t.GetTaskId().GetValue())); err != nil {
				b.Fatal(err)
			}
		}
	}
	// The framework streams are drained from now on, as live schedulers' are.
	for _, fw := range fws {
		go func() {
			for range fw.Events.Ready() {
				fw.Events.Drain(nil)
			}
		}()
	}
	agent := streams[len(streams)-1]
	if last.GetAgentId().GetValue() != agent.AgentID {
		b.Fatal("the last task is not on the last agent")
	}
	go func() {
		for range agent.Events.Ready() {
			agent.Events.Drain(nil)
		}
	}()
	return &bigCluster{m: m, h: New(m, nil), agent: agent, fwID: lastFramework, taskID: last.GetTaskId().GetValue(), buildIn: time.Since(start)}
}

// launcher subscribes the benchmark's frameworks and launches their tasks.
type launcher struct {
	b        *testing.B
	m        *master.Master
	ctx      context.Context
	index    map[string]int // agent ID → the agent's index
	taskRes  []*mesos.Resource
	launched int
}

// launch subscribes a framework and launches wants[j] tasks on agent j,
// declining the offers of the other agents.
func (l *launcher) launch(name string, wants map[int]int) *master.FrameworkStream {
	fw, err := l.m.SubscribeFramework(l.ctx, &scheduler.Call{Type: scheduler.Call_SUBSCRIBE.Enum(), Subscribe: &scheduler.Call_Subscribe{
		FrameworkInfo: &mesos.FrameworkInfo{User: proto.String("u"), Name: proto.String(name), FailoverTimeout: proto.Float64(3600)},
	}})
	if err != nil {
		l.b.Fatal(err)
	}
	frameworkID := &mesos.FrameworkID{Value: proto.String(fw.FrameworkID)}
	refuse := &mesos.Filters{RefuseSeconds: proto.Float64(3600)}
	var batch []*scheduler.Event
	for len(wants) > 0 {
		select {
		case <-fw.Events.Ready():
		case <-time.After(10 * time.Second):
			l.b.Fatalf("%s: no offers for %d agents", name, len(wants))
		}
		batch = fw.Events.Drain(batch)
		var declined []*mesos.OfferID
		for _, e := range batch {
			for _, o := range e.GetOffers().GetOffers() {
				j := l.index[o.GetAgentId().GetValue()]
				n, ok := wants[j]
				if !ok {
					declined = append(declined, o.Id)
					continue
				}
				delete(wants, j)
				var tasks []*mesos.TaskInfo
				for ; n > 0; n-- {
					id := fmt.Sprintf("task-%07d", l.launched)
					l.launched++
					tasks = append(tasks, &mesos.TaskInfo{Name: proto.String(id), TaskId: &mesos.TaskID{Value: proto.String(id)},
						AgentId: o.AgentId, Resources: l.taskRes, Command: &mesos.CommandInfo{Value: proto.String("sleep 1000")}})
				}
				l.call(fw, &scheduler.Call{FrameworkId: frameworkID, Type: scheduler.Call_ACCEPT.Enum(),
					Accept: &scheduler.Call_Accept{OfferIds: []*mesos.OfferID{o.Id}, Operations: []*mesos.Offer_Operation{{
						Type: mesos.Offer_Operation_LAUNCH.Enum(), Launch: &mesos.Offer_Operation_Launch{TaskInfos: tasks}}},
						Filters: refuse}})
			}
		}
		if len(declined) > 0 {
			l.call(fw, &scheduler.Call{FrameworkId: frameworkID, Type: scheduler.Call_DECLINE.Enum(),
				Decline: &scheduler.Call_Decline{OfferIds: declined, Filters: refuse}})
		}
	}
	return fw
}

func (l *launcher) call(fw *master.FrameworkStream, call *scheduler.Call) {
	if err := l.m.FrameworkCall(l.ctx, fw.StreamID, call); err != nil {
		l.b.Fatal(err)
	}
}

func runningUpdate(agentID, fwID, taskID string) *agentpb.Call {
	return &agentpb.Call{Type: agentpb.Call_UPDATE.Enum(), AgentId: &mesos.AgentID{Value: proto.String(agentID)},
		Update: &agentpb.Call_Update{FrameworkId: &mesos.FrameworkID{Value: proto.String(fwID)}, Status: &mesos.TaskStatus{
			TaskId: &mesos.TaskID{Value: proto.String(taskID)}, State: mesos.TaskState_TASK_RUNNING.Enum(),
			Source: mesos.TaskStatus_SOURCE_EXECUTOR.Enum(), Uuid: make([]byte, 16), Timestamp: proto.Float64(1),
			AgentId: &mesos.AgentID{Value: proto.String(agentID)},
		}}}
}

// countingWriter is a ResponseWriter that only counts, so the benchmark
// measures the master's work rather than a buffer's growth.
type countingWriter struct {
	header http.Header
	status int
	n      int64
}

func (w *countingWriter) Header() http.Header         { return w.header }
func (w *countingWriter) WriteHeader(s int)           { w.status = s }
func (w *countingWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

func serve(b *testing.B, h http.Handler, method, path, ctype, accept, body string) int64 {
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	if ctype != "" {
		r.Header.Set("Content-Type", ctype)
		r.Header.Set("Accept", accept)
	}
	w := &countingWriter{header: http.Header{}, status: 200}
	h.ServeHTTP(w, r)
	if w.status != 200 {
		b.Fatalf("%s %s: %d", method, path, w.status)
	}
	return w.n
}

// BenchmarkStateReads serves the whole state of 10,000 agents and 100,000
// tasks: GET_STATE in protobuf and JSON, and /master/state. A read in
// steady state finds the encodings of unchanged tasks from earlier reads;
// the cold variants drop them first, as after a restart or a long time
// without readers.
func BenchmarkStateReads(b *testing.B) { benchStateReads(b, bigMaster(b)) }

// BenchmarkStateReadsSpread is BenchmarkStateReads on 100 frameworks,
// each agent holding tasks of ten of them.
func BenchmarkStateReadsSpread(b *testing.B) { benchStateReads(b, spreadMaster(b)) }

func benchStateReads(b *testing.B, c *bigCluster) {
	b.Logf("cluster built in %v", c.buildIn)
	getState, _ := codec.JSON.Marshal(callOf(masterpb.Call_GET_STATE))
	for _, bc := range []struct{ name, method, path, ctype, accept, body string }{
		{"GET_STATE/protobuf", http.MethodPost, "/api/v1", codec.MediaTypeJSON, codec.MediaTypeProtobuf, string(getState)},
		{"GET_STATE/json", http.MethodPost, "/api/v1", codec.MediaTypeJSON, codec.MediaTypeJSON, string(getState)},
		{"master_state", http.MethodGet, "/master/state", "", "", ""},
	} {
		for _, cold := range []bool{false, true} {
			name := bc.name
			if cold {
				name += "/cold"
			}
			b.Run(name, func(b *testing.B) {
				var n int64
				var cpu time.Duration
				serve(b, c.h, bc.method, bc.path, bc.ctype, bc.accept, bc.body) // steady state
				c.h.caches.warmer.wait()                                        // a streamed read's encodings are kept
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if cold {
						b.StopTimer()
						c.h.caches.forget(c.m)()
						c.h.caches.warmer.wait() // stopped by the drop
						runtime.GC()             // the drop's garbage is not the read's
						b.StartTimer()
					}
					before := processCPU()
					n = serve(b, c.h, bc.method, bc.path, bc.ctype, bc.accept, bc.body)
					cpu += processCPU() - before
				}
				b.ReportMetric(float64(n)/(1<<20), "MiB/response")
				// CPU time of the whole process (readers, the loop, the
				// garbage collector) during the reads: what a read costs
				// whatever else the machine runs.
				b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/op")
			})
		}
	}
}

// BenchmarkOtherStateReads serves the other reads of the whole cluster
// (10,000 agents, 100,000 tasks), each after an earlier read of its kind.
func BenchmarkOtherStateReads(b *testing.B) {
	c := bigMaster(b)
	for _, call := range []masterpb.Call_Type{masterpb.Call_GET_AGENTS, masterpb.Call_GET_FRAMEWORKS, masterpb.Call_GET_TASKS,
		masterpb.Call_GET_ROLES, masterpb.Call_GET_EXECUTORS} {
		body, _ := codec.JSON.Marshal(callOf(call))
		b.Run(call.String(), func(b *testing.B) {
			var n int64
			serve(b, c.h, http.MethodPost, "/api/v1", codec.MediaTypeJSON, codec.MediaTypeProtobuf, string(body))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				n = serve(b, c.h, http.MethodPost, "/api/v1", codec.MediaTypeJSON, codec.MediaTypeProtobuf, string(body))
			}
			b.ReportMetric(float64(n)/(1<<20), "MiB/response")
		})
	}
	b.Run("state-summary", func(b *testing.B) {
		var n int64
		for i := 0; i < b.N; i++ {
			n = serve(b, c.h, http.MethodGet, "/master/state-summary", "", "", "")
		}
		b.ReportMetric(float64(n)/(1<<20), "MiB/response")
	})
}

// BenchmarkUpdateLatencyDuringStateReads measures how long a status
// update takes to pass through the event loop (AgentCall returns once the
// loop has applied it) while one or two clients read GET_STATE back to
// back, against the same with no readers. Each update changes one task,
// which the next read encodes again; the others' encodings are warm, as
// in steady state.
func BenchmarkUpdateLatencyDuringStateReads(b *testing.B) {
	c := bigMaster(b)
	getState, _ := codec.JSON.Marshal(callOf(masterpb.Call_GET_STATE))
	serve(b, c.h, http.MethodPost, "/api/v1", codec.MediaTypeJSON, codec.MediaTypeProtobuf, string(getState))
	for _, readers := range []int{0, 1, 2} {
		b.Run(fmt.Sprintf("readers=%d", readers), func(b *testing.B) {
			var stop atomic.Bool
			var wg sync.WaitGroup
			var reads atomic.Int64
			for i := 0; i < readers; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for !stop.Load() {
						serve(b, c.h, http.MethodPost, "/api/v1", codec.MediaTypeJSON, codec.MediaTypeProtobuf, string(getState))
						reads.Add(1)
					}
				}()
			}
			ctx := context.Background()
			var lat []time.Duration
			deadline := time.Now().Add(3 * time.Second)
			for time.Now().Before(deadline) || len(lat) < 20 {
				start := time.Now()
				if err := c.m.AgentCall(ctx, c.agent.StreamID, runningUpdate(c.agent.AgentID, c.fwID, c.taskID)); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(start))
				time.Sleep(2 * time.Millisecond)
			}
			stop.Store(true)
			wg.Wait()
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
			b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
			b.ReportMetric(float64(reads.Load()), "state-reads")
		})
	}
}

// processCPU is the CPU time the process has used, user and system.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func heapAlloc() uint64 {
	var ms runtime.MemStats
	for i := 0; i < 3; i++ {
		runtime.GC()
	}
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// BenchmarkStateCacheMemory reports the live heap the state-read caches
// add to a master of 10,000 agents and 100,000 tasks: after a read of each
// kind in turn (cumulative), and how much of it the agents' cache holds.
// The master's own state is BenchmarkMasterMemory's (package master).
func BenchmarkStateCacheMemory(b *testing.B) {
	c := bigMaster(b)
	getState, _ := codec.JSON.Marshal(callOf(masterpb.Call_GET_STATE))
	const tasks, agents = 100000, 10000
	for i := 0; i < b.N; i++ {
		c.h.caches.forget(c.m)()
		prev := heapAlloc()
		base := prev
		for _, bc := range []struct{ name, method, path, accept string }{
			{"protobuf", http.MethodPost, "/api/v1", codec.MediaTypeProtobuf},
			{"json", http.MethodPost, "/api/v1", codec.MediaTypeJSON},
			{"state", http.MethodGet, "/master/state", ""},
		} {
			if bc.method == http.MethodPost {
				serve(b, c.h, bc.method, bc.path, codec.MediaTypeJSON, bc.accept, string(getState))
			} else {
				serve(b, c.h, bc.method, bc.path, "", "", "")
			}
			now := heapAlloc()
			b.ReportMetric(float64(int64(now)-int64(prev))/tasks, "B/task+"+bc.name)
			prev = now
		}
		b.ReportMetric(float64(int64(prev)-int64(base))/tasks, "B/task-all")
		c.h.caches.agents.reset()
		b.ReportMetric(float64(int64(prev)-int64(heapAlloc()))/agents, "B/agent-agent-cache")
		c.h.caches.forget(c.m)() // what the idle drop does
		b.ReportMetric(float64(int64(heapAlloc())-int64(base))/tasks, "B/task-after-drop")
	}
}
