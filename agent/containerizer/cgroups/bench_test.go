package cgroups

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/agent/containerizer"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// BenchmarkLaunch measures Launch of sleep 10 with cpu, mem and pids
// limits (until the process runs in its cgroups), one at a time; the
// containers are killed outside the timing.
func BenchmarkLaunch(b *testing.B) {
	c := newFull(b)
	dir := b.TempDir()
	var lat []time.Duration
	var cs []containerizer.Container
	n := 0
	for b.Loop() {
		n++
		s := containerizer.LaunchSpec{
			ContainerID: fmt.Sprintf("bench-%d-%d-%d", os.Getpid(), time.Now().UnixNano(), n), Sandbox: dir,
			Command: shellCommand("sleep 10"), Env: []string{"PATH=/usr/bin:/bin"}, Resources: resources(0.01, 32),
		}
		start := time.Now()
		ct, err := c.Launch(context.Background(), s)
		if err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
		cs = append(cs, ct)
		if len(cs) == 100 {
			b.StopTimer()
			killAll(cs)
			cs = cs[:0]
			b.StartTimer()
		}
	}
	killAll(cs)
	reportLatency(b, lat)
}

// BenchmarkCgroupExecFloor is the floor any cgroup launch pays here: make
// the five v1 cgroups with the same limits, fork and exec sleep 10, and
// put it in the cgroups (joined after exec, the cheapest possible way).
func BenchmarkCgroupExecFloor(b *testing.B) {
	needCgroups(b)
	hier := []string{"cpu", "cpuacct", "memory", "pids", "freezer"}
	limits := map[string][2]string{"cpu": {"cpu.shares", "10"}, "memory": {"memory.limit_in_bytes", "33554432"}, "pids": {"pids.max", "32768"}}
	var lat []time.Duration
	type started struct {
		cmd  *exec.Cmd
		dirs []string
	}
	var all []started
	n := int(time.Now().UnixNano() % 1e9) // unique across -count runs
	cleanup := func() {
		for _, s := range all {
			// The child may have forked between the writes: look in every
			// hierarchy (the race joining before exec avoids).
			procs := func() (out []int) {
				for _, d := range s.dirs {
					pids, _ := readPids(filepath.Join(d, "cgroup.procs"))
					out = append(out, pids...)
				}
				return out
			}
			for _, pid := range procs() {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
			_ = s.cmd.Wait()
			for deadline := time.Now().Add(5 * time.Second); len(procs()) > 0 && time.Now().Before(deadline); {
				time.Sleep(time.Millisecond)
			}
			for _, d := range s.dirs {
				if err := rmdir(d); err != nil {
					b.Error(err)
				}
			}
		}
		all = all[:0]
	}
	for b.Loop() {
		n++
		start := time.Now()
		var dirs []string
		for _, h := range hier {
			d := filepath.Join("/sys/fs/cgroup", h, "agora", fmt.Sprintf("floor-%d-%d", os.Getpid(), n))
			if err := os.Mkdir(d, 0o755); err != nil {
				b.Fatal(err)
			}
			dirs = append(dirs, d)
			if l, ok := limits[h]; ok {
				if err := os.WriteFile(filepath.Join(d, l[0]), []byte(l[1]), 0); err != nil {
					b.Fatal(err)
				}
			}
		}
		cmd := exec.Command("/bin/sh", "-c", "sleep 10")
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		for _, d := range dirs {
			if err := os.WriteFile(filepath.Join(d, "cgroup.procs"), []byte(strconv.Itoa(cmd.Process.Pid)), 0); err != nil {
				b.Fatal(err)
			}
		}
		lat = append(lat, time.Since(start))
		all = append(all, started{cmd, dirs})
		if len(all) == 100 {
			b.StopTimer()
			cleanup()
			b.StartTimer()
		}
	}
	cleanup()
	reportLatency(b, lat)
}

// BenchmarkLaunchParallel launches from 16 goroutines at once and
// reports the rate, with the teardown of earlier containers running
// concurrently as it would on a busy agent.
func BenchmarkLaunchParallel(b *testing.B) {
	c := newFull(b)
	dir := b.TempDir()
	var mu sync.Mutex
	var n int
	var cs []containerizer.Container
	b.SetParallelism(8)
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			mu.Lock()
			n++
			id := fmt.Sprintf("benchp-%d-%d-%d", os.Getpid(), start.UnixNano(), n)
			mu.Unlock()
			ct, err := c.Launch(context.Background(), containerizer.LaunchSpec{
				ContainerID: id, Sandbox: dir, Command: shellCommand("sleep 10"),
				Env: []string{"PATH=/usr/bin:/bin"}, Resources: resources(0.01, 32),
			})
			if err != nil {
				b.Error(err)
				return
			}
			mu.Lock()
			cs = append(cs, ct)
			var old containerizer.Container
			if len(cs) > 200 {
				old, cs = cs[0], cs[1:]
			}
			mu.Unlock()
			if old != nil {
				killAll([]containerizer.Container{old})
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "launches/s")
	killAll(cs)
}

func killAll(cs []containerizer.Container) {
	for _, c := range cs {
		_ = c.Kill()
	}
	for _, c := range cs {
		_, _ = c.Wait(context.Background())
	}
}

func reportLatency(b *testing.B, lat []time.Duration) {
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2])/1e6, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100])/1e6, "p99-ms")
	b.ReportMetric(0, "ns/op")
}

func shellCommand(script string) *mesos.CommandInfo {
	return &mesos.CommandInfo{Value: proto.String(script)}
}
