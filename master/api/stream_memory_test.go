package api

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/master"
	"github.com/agoraproject/agora/proto/agora/agentpb"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	"github.com/agoraproject/agora/proto/resources"
)

// liveMemory is the heap after a forced GC plus the goroutine stacks in use.
func liveMemory() (heap, stacks uint64) {
	var ms runtime.MemStats
	for i := 0; i < 3; i++ {
		runtime.GC()
	}
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc, ms.StackInuse
}

// rawAgent subscribes over a bare TCP connection and reads until the
// SUBSCRIBED event has arrived, so that the client side of the benchmark
// holds no buffers or goroutines of its own.
func rawAgent(addr string, i int, res []*mesos.Resource) (net.Conn, error) {
	body, _ := proto.Marshal(&agentpb.Call{
		Type: agentpb.Call_SUBSCRIBE.Enum(),
		Subscribe: &agentpb.Call_Subscribe{AgentInfo: &mesos.AgentInfo{
			Hostname: proto.String(fmt.Sprintf("mem-%05d", i)), Port: proto.Int32(5051), Resources: res,
		}},
	})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	req := fmt.Sprintf("POST /agora/v1/agent HTTP/1.1\r\nHost: master\r\nContent-Type: application/x-protobuf\r\n"+
		"Accept: application/x-protobuf\r\nContent-Length: %d\r\n\r\n", len(body))
	if _, err := c.Write(append([]byte(req), body...)); err != nil {
		c.Close()
		return nil, err
	}
	// The headers, then a chunk holding "<length>\n" and the event, which
	// carries the agent ID "<master id>-S<n>".
	var got []byte
	buf := make([]byte, 512)
	_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
	for !bytes.Contains(got, []byte("-S")) {
		n, err := c.Read(buf)
		if err != nil {
			c.Close()
			return nil, fmt.Errorf("agent %d: reading SUBSCRIBED: %v (got %q)", i, err, got)
		}
		got = append(got, buf[:n]...)
	}
	if !bytes.HasPrefix(got, []byte("HTTP/1.1 200 ")) {
		c.Close()
		return nil, fmt.Errorf("agent %d: %q", i, got)
	}
	_ = c.SetReadDeadline(time.Time{})
	return c, nil
}

// rss is this process's resident set in bytes (Linux), 0 elsewhere.
func rss() uint64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseUint(f[1], 10, 64)
	return pages * uint64(os.Getpagesize())
}

// BenchmarkAgentStreamMemory holds 4,000 agents' event streams open over
// loopback against the master's HTTP API, as an http.Server configured
// like `agora master` serves them, and reports the memory per connected
// agent: live heap, goroutine stacks and their sum, and the process's
// resident set growth (which includes the clients' sockets, a few hundred
// bytes each, and the heap the garbage collector lets grow beyond the live
// one). The master's own records per agent (BenchmarkMasterMemory,
// package master) are part of these figures.
//
// AGORA_STREAM_HEAPPROFILE=file writes a heap profile while the streams
// are open.
func BenchmarkAgentStreamMemory(b *testing.B) {
	const agents = 4000
	res, _ := resources.Parse("cpus:8;mem:16384;disk:100000;ports:[31000-32000]")
	profile := os.Getenv("AGORA_STREAM_HEAPPROFILE")
	if profile != "" {
		defer func(rate int) { runtime.MemProfileRate = rate }(runtime.MemProfileRate)
		runtime.MemProfileRate = 256
	}
	for i := 0; i < b.N; i++ {
		cfg := master.DefaultConfig()
		cfg.AllocationInterval = time.Hour
		m, err := master.New(cfg)
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { _ = m.Run(ctx); close(done) }()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		srv := &http.Server{Handler: New(m, nil), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
		go srv.Serve(ln)

		heap0, stack0 := liveMemory()
		debug.FreeOSMemory() // a previous run's memory does not hide this one's
		rss0 := rss()
		conns := make([]net.Conn, 0, agents)
		for j := 0; j < agents; j++ {
			c, err := rawAgent(ln.Addr().String(), j, res)
			if err != nil {
				b.Fatal(err)
			}
			conns = append(conns, c)
		}
		heap1, stack1 := liveMemory()
		rss1 := rss()
		if profile != "" {
			if f, err := os.Create(profile); err == nil {
				_ = pprof.WriteHeapProfile(f)
				f.Close()
			}
		}
		heap := float64(int64(heap1)-int64(heap0)) / agents
		stacks := float64(int64(stack1)-int64(stack0)) / agents
		b.ReportMetric(heap, "heap-B/agent")
		b.ReportMetric(stacks, "stack-B/agent")
		b.ReportMetric(heap+stacks, "B/agent")
		if rss0 > 0 {
			b.ReportMetric(float64(int64(rss1)-int64(rss0))/agents, "rss-B/agent")
		}
		for _, c := range conns {
			c.Close()
		}
		_ = srv.Close()
		cancel()
		<-done
	}
}
