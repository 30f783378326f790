package agent

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/agent/containerizer"
	"github.com/agoraproject/agora/agent/containerizer/cgroups"
	"github.com/agoraproject/agora/agent/statusupdate"
	"github.com/agoraproject/agora/proto/agora/agentpb"
	"github.com/agoraproject/agora/proto/codec"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	"github.com/agoraproject/agora/proto/recordio"
)

// benchMaster is the master side of the agent protocol reduced to what a
// launch benchmark needs: it subscribes the agent, sends events, and
// acknowledges every status update at once, reporting each to onUpdate.
// (fakeMaster's helpers take a *testing.T; this one serves benchmarks.)
type benchMaster struct {
	srv      *httptest.Server
	events   chan *agentpb.Event
	onUpdate func(st *mesos.TaskStatus, at time.Time)
}

func newBenchMaster(b *testing.B, onUpdate func(*mesos.TaskStatus, time.Time)) *benchMaster {
	m := &benchMaster{events: make(chan *agentpb.Event, 4096), onUpdate: onUpdate}
	m.srv = httptest.NewServer(http.HandlerFunc(m.serve))
	b.Cleanup(m.srv.Close)
	return m
}

func (m *benchMaster) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	call := &agentpb.Call{}
	if err := proto.Unmarshal(body, call); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if call.GetType() != agentpb.Call_SUBSCRIBE {
		at := time.Now()
		w.WriteHeader(http.StatusAccepted)
		if st := call.GetUpdate().GetStatus(); st != nil {
			m.events <- &agentpb.Event{Type: agentpb.Event_ACKNOWLEDGE.Enum(), Acknowledge: &agentpb.Event_Acknowledge{
				FrameworkId: &mesos.FrameworkID{Value: proto.String("fw")}, TaskId: st.GetTaskId(), Uuid: st.GetUuid()}}
			m.onUpdate(st, at)
		}
		return
	}
	w.Header().Set("Content-Type", codec.MediaTypeProtobuf)
	w.Header().Set("Mesos-Stream-Id", "bench")
	w.WriteHeader(http.StatusOK)
	rw := recordio.NewWriter(w)
	write := func(ev *agentpb.Event) bool {
		b, _ := proto.Marshal(ev)
		if rw.WriteRecord(b) != nil {
			return false
		}
		w.(http.Flusher).Flush()
		return true
	}
	write(&agentpb.Event{Type: agentpb.Event_SUBSCRIBED.Enum(), Subscribed: &agentpb.Event_Subscribed{
		AgentId: &mesos.AgentID{Value: proto.String("B-S0")}, PingIntervalSeconds: proto.Float64(600)}})
	for {
		select {
		case ev := <-m.events:
			if !write(ev) {
				return
			}
		case <-r.Context().Done():
			return
		}
	}
}

// launchRecorder matches RUN_TASKs with their TASK_RUNNING and
// TASK_KILLED updates.
type launchRecorder struct {
	mu      sync.Mutex
	sent    map[string]time.Time
	latency []time.Duration
	running chan string
	killed  chan string
}

func newLaunchRecorder() *launchRecorder {
	return &launchRecorder{sent: map[string]time.Time{}, running: make(chan string, 4096), killed: make(chan string, 4096)}
}

func (r *launchRecorder) update(st *mesos.TaskStatus, at time.Time) {
	id := st.GetTaskId().GetValue()
	switch st.GetState() {
	case mesos.TaskState_TASK_RUNNING:
		r.mu.Lock()
		r.latency = append(r.latency, at.Sub(r.sent[id]))
		r.mu.Unlock()
		r.running <- id
	case mesos.TaskState_TASK_KILLED, mesos.TaskState_TASK_FAILED, mesos.TaskState_TASK_FINISHED:
		r.killed <- id
	}
}

func (r *launchRecorder) run(m *benchMaster, fw *mesos.FrameworkInfo, id string) {
	r.runCmd(m, fw, id, "sleep 10")
}

func (r *launchRecorder) runCmd(m *benchMaster, fw *mesos.FrameworkInfo, id, script string) {
	ti := shellTask(id, script)
	ti.Resources = cgResources(0.01, 32)
	r.mu.Lock()
	r.sent[id] = time.Now()
	r.mu.Unlock()
	m.events <- runTask(fw, ti)
}

func benchAgent(b *testing.B, rec *launchRecorder) *benchMaster {
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			b.Fatal("the launch benchmark needs root for cgroups (CI=true)")
		}
		b.Skip("the launch benchmark needs root for cgroups")
	}
	var cz containerizer.Containerizer
	cz, err := cgroups.New(cgroups.Config{Logger: testLogger(), CPU: true, Memory: true, Pids: true})
	if err != nil {
		b.Fatal(err)
	}
	m := newBenchMaster(b, rec.update)
	a, err := New(Config{
		Master: m.srv.Listener.Addr().String(), WorkDir: b.TempDir(), Hostname: "bench", IP: "127.0.0.1", Port: 5151,
		StatusUpdates: statusupdate.Config{InitialBackoff: 10 * time.Second, MaxBackoff: time.Minute},
		Containerizer: cz, KillGracePeriod: time.Second, Seed: 1, Logger: testLogger(),
	})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = a.Run(ctx); close(done) }()
	b.Cleanup(func() { cancel(); <-done })
	return m
}

// BenchmarkLaunchLatency measures, for native cgroups tasks (sleep 10
// with cpus and mem limits), the time from the master sending RUN_TASK to
// it receiving TASK_RUNNING: one task at a time, 200 per iteration, then
// all killed. The master acknowledges TASK_STARTING at once, as the agent
// sends TASK_RUNNING only after that acknowledgement.
func BenchmarkLaunchLatency(b *testing.B) {
	b.Run("checkpoint=false", func(b *testing.B) { benchLaunchLatency(b, false) })
	// A checkpointing framework (Marathon-style) makes the agent write and
	// fsync each task's record on launch and on every update.
	b.Run("checkpoint=true", func(b *testing.B) { benchLaunchLatency(b, true) })
}

func benchLaunchLatency(b *testing.B, checkpoint bool) {
	rec := newLaunchRecorder()
	m := benchAgent(b, rec)
	fw := frameworkInfo("fw")
	fw.Checkpoint = proto.Bool(checkpoint)
	const perIter = 200
	n := 0
	for b.Loop() {
		var ids []string
		for range perIter {
			n++
			id := "t" + strconv.Itoa(n)
			ids = append(ids, id)
			rec.run(m, fw, id)
			<-rec.running
		}
		b.StopTimer()
		for _, id := range ids {
			m.events <- killTask("fw", id, 0)
		}
		for range ids {
			<-rec.killed
		}
		b.StartTimer()
	}
	p50, p99 := percentiles(rec.latency)
	b.ReportMetric(p50, "p50-ms")
	b.ReportMetric(p99, "p99-ms")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkLaunchThroughput launches tasks back to back, up to 64 in
// flight and at most 200 alive (the oldest are killed meanwhile), and
// reports the sustained rate of tasks reaching TASK_RUNNING.
func BenchmarkLaunchThroughput(b *testing.B) {
	rec := newLaunchRecorder()
	m := benchAgent(b, rec)
	fw := frameworkInfo("fw")
	const total, inFlight, alive = 1000, 64, 200
	var elapsed time.Duration
	n := 0
	for b.Loop() {
		start := time.Now()
		var live []string
		launched, running := 0, 0
		for running < total {
			for launched < total && launched-running < inFlight {
				n++
				launched++
				rec.run(m, fw, "t"+strconv.Itoa(n))
			}
			live = append(live, <-rec.running)
			running++
			if len(live) > alive {
				m.events <- killTask("fw", live[0], 0)
				live = live[1:]
			}
		}
		elapsed += time.Since(start)
		b.StopTimer()
		for _, id := range live {
			m.events <- killTask("fw", id, 0)
		}
		for killed := 0; killed < total; killed++ {
			<-rec.killed
		}
		b.StartTimer()
	}
	p50, p99 := percentiles(rec.latency)
	b.ReportMetric(float64(total*b.N)/elapsed.Seconds(), "tasks/s")
	b.ReportMetric(p50, "p50-ms")
	b.ReportMetric(p99, "p99-ms")
	b.ReportMetric(0, "ns/op")
}

// percentiles returns the median and 99th percentile in milliseconds.
func percentiles(ds []time.Duration) (p50, p99 float64) {
	if len(ds) == 0 {
		return 0, 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	at := func(q float64) float64 { return float64(s[int(q*float64(len(s)-1))]) / 1e6 }
	return at(0.50), at(0.99)
}
