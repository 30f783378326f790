package integration

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/agent/sim"
	"github.com/agoraproject/agora/internal/zktest"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	sdksched "github.com/agoraproject/agora/sdk/scheduler"
)

// benchMaster is a master process a benchmark kills and restarts.
type benchMaster struct {
	port int
	dir  string
	url  string
	cmd  *exec.Cmd
	done chan struct{}
	out  *syncBuffer
}

func (m *benchMaster) start(b *testing.B, zk string) {
	b.Helper()
	m.out = &syncBuffer{}
	m.cmd = exec.Command(agoraBin, "master", "--ip=127.0.0.1", "--advertise_ip=127.0.0.1",
		"--port="+strconv.Itoa(m.port), "--work_dir="+m.dir, "--zk="+zk, "--zk_session_timeout="+haSessionTimeout,
		"--allocation_interval=100ms", "--logging_level=WARNING", "--tls=false")
	m.cmd.Stdout, m.cmd.Stderr = m.out, m.out
	if err := m.cmd.Start(); err != nil {
		b.Fatal(err)
	}
	m.done = make(chan struct{})
	go func() { _ = m.cmd.Wait(); close(m.done) }()
}

func (m *benchMaster) kill9() {
	_ = m.cmd.Process.Kill()
	<-m.done
}

// benchRole is what a master's answer to /master/state-summary shows.
type benchRole int

const (
	roleNone    benchRole = iota // no answer, 503, or a redirect elsewhere
	roleElected                  // a redirect to itself: elected, still recovering
	roleServing                  // 200: it leads and answers calls
)

// role asks m for /master/state-summary. An elected master that has not
// finished recovering names itself as the leader and so redirects to
// itself.
func (m *benchMaster) role() benchRole {
	resp, err := noRedirect.Get(m.url + "/master/state-summary")
	if err != nil {
		return roleNone
	}
	resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusOK:
		return roleServing
	case resp.StatusCode == http.StatusTemporaryRedirect &&
		strings.HasPrefix(resp.Header.Get("Location"), "//127.0.0.1:"+strconv.Itoa(m.port)+"/"):
		return roleElected
	}
	return roleNone
}

func activated(url string) int {
	var s struct {
		Activated int `json:"activated_slaves"`
	}
	if err := getJSON(url+"/master/state", &s); err != nil {
		return -1
	}
	return s.Activated
}

// BenchmarkMasterFailover measures, over b.N kills of the leading master
// (SIGKILL) among three on one ZooKeeper: when a new leader answers
// calls, when an SDK scheduler (following the leader through ZooKeeper)
// gets offers again, and when 1,000 simulated agents (pointed at a
// follower, following its 307) have reregistered. Each iteration restarts
// the killed master as a follower. Run with:
//
//	go test ./integration -run '^$' -bench MasterFailover -benchtime 20x
func BenchmarkMasterFailover(b *testing.B) {
	const agents = 1000
	zks := zktest.Start(b)
	zkURL := "zk://" + zks.Addr + "/agora-bench"
	var masters []*benchMaster
	for range 3 {
		port := freePortTB(b)
		m := &benchMaster{port: port, dir: b.TempDir(), url: "http://127.0.0.1:" + strconv.Itoa(port)}
		m.start(b, zkURL)
		masters = append(masters, m)
	}
	b.Cleanup(func() {
		for _, m := range masters {
			m.kill9()
		}
	})
	leader, _ := waitBenchLeader(b, masters, nil)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	offers := make(chan time.Time, 1024)
	client, err := sdksched.New(sdksched.Config{
		Master:     zkURL,
		Framework:  &mesos.FrameworkInfo{User: proto.String("root"), Name: proto.String("failover-bench"), FailoverTimeout: proto.Float64(3600)},
		MinBackoff: 50 * time.Millisecond, MaxBackoff: time.Second,
	}, sdksched.Callbacks{Offers: func(context.Context, *sdksched.Client, []*mesos.Offer) error {
		select {
		case offers <- time.Now():
		default:
		}
		return nil
	}})
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = client.Run(ctx) }()

	// The simulated agents reach the leader through a TCP forwarder, as
	// through a virtual IP that follows the leader.
	vip := newForwarder(b, leader.url)
	fleet, err := sim.New(sim.Config{Master: vip.url, Groups: sim.UniformGroups(agents), Seed: 1,
		Backoff: 50 * time.Millisecond, BackoffMax: time.Second})
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = fleet.Run(ctx) }()
	waitBench(b, 60*time.Second, "agents registered", func() bool {
		return activated(leader.url) == agents
	})

	// The benchmark's own ZooKeeper session watches the leader's znode, to
	// tell when the server expired the killed leader's session.
	zc, _, err := zk.Connect([]string{zks.Addr}, 10*time.Second, zk.WithLogInfo(false))
	if err != nil {
		b.Fatal(err)
	}
	defer zc.Close()

	var expired, elected, serving, offering, reregistered, electing, recovering []time.Duration
	b.ResetTimer()
	for range b.N {
		for len(offers) > 0 {
			<-offers
		}
		// On a busy machine a leader may have lost its session since the
		// last iteration; kill the one that leads now.
		leader, _ = waitBenchLeader(b, masters, nil)
		gone := watchZnodeOf(b, zc, "/agora-bench", leader)
		killed := leader
		leader.kill9()
		t0 := time.Now()
		var electedAt time.Time
		leader, electedAt = waitBenchLeader(b, masters, killed)
		serving = append(serving, time.Since(t0))
		elected = append(elected, electedAt.Sub(t0))
		select {
		case at := <-gone:
			expired = append(expired, at.Sub(t0))
		case <-time.After(30 * time.Second):
			b.Fatal("the killed leader's znode was not deleted within 30s")
		}
		// The phases: ZooKeeper expires the session and deletes the znode;
		// the next contender's watch fires and it is elected; it recovers
		// the registry and serves (each as this client first sees it).
		electing = append(electing, elected[len(elected)-1]-expired[len(expired)-1])
		recovering = append(recovering, serving[len(serving)-1]-elected[len(elected)-1])
		vip.target.Store(&leader.url)
		waitBench(b, 30*time.Second, "offers", func() bool {
			select {
			case at := <-offers:
				if at.After(t0) {
					offering = append(offering, at.Sub(t0))
					return true
				}
			default:
			}
			return false
		})
		waitBench(b, 60*time.Second, "agents reregistered", func() bool { return activated(leader.url) == agents })
		reregistered = append(reregistered, time.Since(t0))
		killed.start(b, zkURL) // back as a follower
	}
	b.StopTimer()
	reportQuantiles(b, "zk-expired", expired)
	reportQuantiles(b, "elected", elected)
	reportQuantiles(b, "expired-to-elected", electing)
	reportQuantiles(b, "elected-to-serving", recovering)
	reportQuantiles(b, "leader", serving)
	reportQuantiles(b, "offers", offering)
	reportQuantiles(b, "agents", reregistered)
}

// waitBenchLeader waits for a live master other than not to lead, and
// returns it and when a master was first seen elected (at the latest, when
// it served).
func waitBenchLeader(b *testing.B, masters []*benchMaster, not *benchMaster) (*benchMaster, time.Time) {
	var leader *benchMaster
	var electedAt time.Time
	waitBench(b, 30*time.Second, "a leader", func() bool {
		for _, m := range masters {
			if m == not {
				continue
			}
			switch m.role() {
			case roleServing:
				if electedAt.IsZero() {
					electedAt = time.Now()
				}
				leader = m
				return true
			case roleElected:
				if electedAt.IsZero() {
					electedAt = time.Now()
				}
			}
		}
		return false
	})
	return leader, electedAt
}

// watchZnodeOf finds m's contender znode under dir (its data names m's
// port) and returns a channel that receives when it is deleted.
func watchZnodeOf(b *testing.B, zc *zk.Conn, dir string, m *benchMaster) <-chan time.Time {
	kids, _, err := zc.Children(dir)
	if err != nil {
		b.Fatal(err)
	}
	var own string
	for _, k := range kids {
		if !strings.HasPrefix(k, "json.info_") {
			continue
		}
		data, _, err := zc.Get(dir + "/" + k)
		var info struct {
			Port int `json:"port"`
		}
		if err == nil && json.Unmarshal(data, &info) == nil && info.Port == m.port {
			own = k
		}
	}
	if own == "" {
		b.Fatalf("no contender znode of port %d under %s", m.port, dir)
	}
	gone := make(chan time.Time, 1)
	go func() {
		for {
			ok, _, ch, err := zc.ExistsW(dir + "/" + own)
			if err == nil && !ok {
				gone <- time.Now()
				return
			}
			if err != nil {
				time.Sleep(10 * time.Millisecond)
				continue
			}
			ev := <-ch
			if ev.Type == zk.EventNodeDeleted {
				gone <- time.Now()
				return
			}
		}
	}()
	return gone
}

func waitBench(b *testing.B, timeout time.Duration, what string, cond func() bool) {
	b.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			b.Fatalf("%s: not within %v", what, timeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// report adds the median and p99 (nearest rank) of ds as metrics.
func reportQuantiles(b *testing.B, name string, ds []time.Duration) {
	if len(ds) == 0 {
		return
	}
	slices.Sort(ds)
	p := func(q float64) time.Duration { return ds[min(len(ds)-1, int(q*float64(len(ds))))] }
	b.ReportMetric(p(0.5).Seconds(), name+"-p50-s")
	b.ReportMetric(p(0.99).Seconds(), name+"-p99-s")
	var parts []string
	for _, d := range ds {
		parts = append(parts, d.Round(time.Millisecond).String())
	}
	b.Logf("%s: %s", name, strings.Join(parts, " "))
}

func freePortTB(b testing.TB) int {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatalf("finding a free port: %v", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// forwarder relays TCP connections to target, which a benchmark moves to
// the new leader.
type forwarder struct {
	url    string
	target atomic.Pointer[string] // http://host:port
}

func newForwarder(b *testing.B, target string) *forwarder {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ln.Close() })
	f := &forwarder{url: "http://" + ln.Addr().String()}
	f.target.Store(&target)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				up, err := net.Dial("tcp", strings.TrimPrefix(*f.target.Load(), "http://"))
				if err != nil {
					return
				}
				defer up.Close()
				go func() { _, _ = io.Copy(up, c); up.Close() }()
				_, _ = io.Copy(c, up)
			}()
		}
	}()
	return f
}
