package cgroups

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	cgroupsv3 "github.com/containerd/cgroups/v3"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/agent/containerizer"
	"github.com/agoraproject/agora/agent/containerizer/conformance"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// needCgroups skips (or under CI=true fails) a test on a host where the
// agent could not use cgroups: not root, or nothing mounted.
func needCgroups(t testing.TB) {
	t.Helper()
	var why string
	switch {
	case os.Geteuid() != 0:
		why = "cgroups need root; running as uid " + strconv.Itoa(os.Geteuid())
	case cgroupsv3.Mode() == cgroupsv3.Unavailable:
		why = "no cgroup hierarchy is mounted at /sys/fs/cgroup"
	default:
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatal(why + " (CI=true)")
	}
	t.Skip(why)
}

// full is the configuration of --isolation=cgroups/cpu,cgroups/mem,cgroups/pids.
func full(t testing.TB) Config {
	log := zap.NewNop() // benchmarks: no log lines per launch
	if _, ok := t.(*testing.T); ok {
		log = zaptest.NewLogger(t)
	}
	return Config{Logger: log, CPU: true, CFS: true, Memory: true, Pids: true}
}

func newFull(t testing.TB) *Containerizer {
	t.Helper()
	needCgroups(t)
	c, err := New(full(t))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestConformance(t *testing.T) {
	conformance.RunWith(t, newFull(t), conformance.Options{Limits: true})
}

// TestConformanceV2NoControllers runs the suite on a hybrid host's
// unified hierarchy, which has no controllers: it exercises the v2
// launch (CLONE_INTO_CGROUP), freeze, kill and delete paths here.
func TestConformanceV2NoControllers(t *testing.T) {
	needCgroups(t)
	if cgroupsv3.Mode() != cgroupsv3.Hybrid {
		t.Skip("the host is not hybrid; TestConformance covers its only cgroup version")
	}
	c, err := New(Config{Logger: zaptest.NewLogger(t), Version: 2, Mountpoint: "/sys/fs/cgroup/unified"})
	if err != nil {
		t.Fatal(err)
	}
	conformance.Run(t, c)
}

func resources(cpus, mem float64) []*mesos.Resource {
	scalar := func(name string, v float64) *mesos.Resource {
		return &mesos.Resource{Name: proto.String(name), Type: mesos.Value_SCALAR.Enum(), Scalar: &mesos.Value_Scalar{Value: proto.Float64(v)}}
	}
	return []*mesos.Resource{scalar("cpus", cpus), scalar("mem", mem)}
}

func spec(t *testing.T, script string, rs []*mesos.Resource) containerizer.LaunchSpec {
	return containerizer.LaunchSpec{
		ContainerID: fmt.Sprintf("test-%d-%d", os.Getpid(), time.Now().UnixNano()),
		Sandbox:     t.TempDir(),
		Command:     &mesos.CommandInfo{Value: proto.String(script)},
		Env:         []string{"PATH=/usr/local/bin:/usr/bin:/bin"},
		Resources:   rs,
	}
}

func launch(t *testing.T, c *Containerizer, s containerizer.LaunchSpec) *container {
	t.Helper()
	ct, err := c.Launch(t.Context(), s)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = ct.Kill()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, _ = ct.Wait(ctx)
	})
	return ct.(*container)
}

func wait(t *testing.T, c containerizer.Container) containerizer.ExitStatus {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	st, err := c.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestLimitsWritten checks the cgroup files the limits end up in.
func TestLimitsWritten(t *testing.T) {
	c := newFull(t)
	s := spec(t, "sleep 1000", resources(0.5, 64))
	ct := launch(t, c, s)
	want := map[string]string{"cpu.shares": "512", "cpu.cfs_quota_us": "50000", "cpu.cfs_period_us": "100000",
		"memory.limit_in_bytes": "67108864", "pids.max": "32768"}
	if c.Version() == 2 {
		want = map[string]string{"cpu.max": "50000 100000", "memory.max": "67108864", "pids.max": "32768"}
	}
	for file, v := range want {
		dir := "/sys/fs/cgroup/" + strings.Split(file, ".")[0] + "/agora/" + s.ContainerID
		if c.Version() == 2 {
			dir = "/sys/fs/cgroup/agora/" + s.ContainerID
		}
		b, err := os.ReadFile(filepath.Join(dir, file))
		if got := strings.TrimSpace(string(b)); err != nil || got != v {
			t.Errorf("%s = %q (%v), want %q", file, got, err, v)
		}
	}
	if err := ct.Kill(); err != nil {
		t.Fatal(err)
	}
	if st := wait(t, ct); st.Signal != syscall.SIGKILL {
		t.Errorf("exit %+v", st)
	}
	// Deleted with the container.
	if _, err := os.Stat("/sys/fs/cgroup/freezer/agora/" + s.ContainerID); c.Version() == 1 && !os.IsNotExist(err) {
		t.Errorf("freezer cgroup still there: %v", err)
	}
}

// TestSetsidEscapeeKilled: a process that leaves the process group (which
// posix cannot catch) is still in the cgroup and dies with the container.
func TestSetsidEscapeeKilled(t *testing.T) {
	c := newFull(t)
	s := spec(t, `setsid sh -c 'echo $$ > escapee.tmp; mv escapee.tmp escapee; exec sleep 1000' & wait`, nil)
	ct := launch(t, c, s)
	var pid int
	for deadline := time.Now().Add(10 * time.Second); pid == 0; time.Sleep(5 * time.Millisecond) {
		if b, err := os.ReadFile(filepath.Join(s.Sandbox, "escapee")); err == nil {
			pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		} else if time.Now().After(deadline) {
			t.Fatal("no escapee")
		}
	}
	if err := ct.Kill(); err != nil {
		t.Fatal(err)
	}
	wait(t, ct)
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil && !strings.Contains(string(b), ") Z") {
		t.Errorf("escapee %d survived: %s", pid, b)
	}
}

// TestThrottlingInStats: a busy loop under a 0.1 cpu CFS quota is
// throttled, and Stats shows it.
func TestThrottlingInStats(t *testing.T) {
	c := newFull(t)
	ct := launch(t, c, spec(t, "while :; do :; done", resources(0.1, 64)))
	deadline := time.Now().Add(10 * time.Second)
	for {
		s, err := ct.Stats(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if s.GetCpusNrThrottled() > 0 && s.GetCpusThrottledTimeSecs() > 0 {
			if s.GetCpusLimit() != 0.1 || s.GetMemLimitBytes() != 64<<20 || s.GetProcesses() != 1 || s.GetMemTotalBytes() == 0 {
				t.Errorf("stats %v", s)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("never throttled: %v", s)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestStatsAfterExit(t *testing.T) {
	c := newFull(t)
	ct := launch(t, c, spec(t, "true", nil))
	wait(t, ct)
	if _, err := ct.Stats(t.Context()); err == nil {
		t.Error("Stats of an exited container succeeded")
	}
}

// TestSweepRemovesStaleEmptyCgroups: New removes the empty container
// cgroups a dead agent left, but neither fresh ones (a launch in progress)
// nor ones with processes.
func TestSweepRemovesStaleEmptyCgroups(t *testing.T) {
	needCgroups(t)
	cfg := full(t)
	cfg.Root = fmt.Sprintf("agora/sweep-%d", os.Getpid())
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	parents := c.backend.parents()
	t.Cleanup(func() {
		for _, p := range parents {
			for _, name := range []string{"stale", "fresh", "busy"} {
				_ = os.Remove(filepath.Join(p, name))
			}
			_ = os.Remove(p)
		}
	})
	sleep := exec.Command("sleep", "100")
	if err := sleep.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sleep.Process.Kill(); _ = sleep.Wait() }()
	old := time.Now().Add(-2 * sweepAge)
	for _, p := range parents {
		for _, name := range []string{"stale", "fresh", "busy"} {
			if err := os.Mkdir(filepath.Join(p, name), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		for _, name := range []string{"stale", "busy"} {
			if err := os.Chtimes(filepath.Join(p, name), old, old); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := os.WriteFile(filepath.Join(parents[0], "busy", "cgroup.procs"), []byte(strconv.Itoa(sleep.Process.Pid)), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := New(cfg); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"fresh", "busy"} {
		if _, err := os.Stat(filepath.Join(parents[0], name)); err != nil {
			t.Errorf("%s removed: %v", name, err)
		}
	}
	if _, err := os.Stat(filepath.Join(parents[0], "stale")); !os.IsNotExist(err) {
		t.Errorf("stale cgroup kept: %v", err)
	}
	// The deferred kill empties busy before Cleanup removes it.
}

// TestUpdate raises and lowers a running container's limits.
func TestUpdate(t *testing.T) {
	c := newFull(t)
	s := spec(t, "sleep 1000", resources(0.25, 32))
	ct := launch(t, c, s)
	read := func(file string) string {
		t.Helper()
		dir := "/sys/fs/cgroup/" + strings.Split(file, ".")[0] + "/agora/" + s.ContainerID
		if c.Version() == 2 {
			dir = "/sys/fs/cgroup/agora/" + s.ContainerID
		}
		b, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(b))
	}
	memFile, cpuFile, want := "memory.limit_in_bytes", "cpu.shares", "1024"
	if c.Version() == 2 {
		memFile, cpuFile, want = "memory.max", "cpu.weight", "39"
	}
	var u containerizer.Updater = ct
	if err := u.Update(t.Context(), resources(1, 64)); err != nil {
		t.Fatal(err)
	}
	if got := read(memFile); got != "67108864" {
		t.Errorf("%s = %s after raising mem to 64, want 67108864", memFile, got)
	}
	if got := read(cpuFile); got != want {
		t.Errorf("%s = %s after raising cpus to 1, want %s", cpuFile, got, want)
	}
	if s, err := ct.Stats(t.Context()); err != nil || s.GetMemLimitBytes() != 64<<20 || s.GetCpusLimit() != 1 {
		t.Errorf("stats %v (%v), want the new limits", s, err)
	}
	// Lowering is fine while usage (a sleeping shell) is far below.
	if err := u.Update(t.Context(), resources(0.25, 40)); err != nil {
		t.Fatal(err)
	}
	if got := read(memFile); got != strconv.Itoa(40<<20) {
		t.Errorf("%s = %s after lowering mem to 40, want %d", memFile, got, 40<<20)
	}
	if err := ct.Kill(); err != nil {
		t.Fatal(err)
	}
	wait(t, ct)
	if err := u.Update(t.Context(), resources(1, 64)); err != nil {
		t.Errorf("Update after exit: %v", err)
	}
}

// TestUpdateKeepsLimitAboveUsage: lowering the limit below what the
// container uses keeps the old limit instead of OOM-killing it.
func TestUpdateKeepsLimitAboveUsage(t *testing.T) {
	c := newFull(t)
	s := spec(t, "dd if=/dev/zero of=/dev/shm/agora-update-test-$$ bs=1M count=48 2>/dev/null; echo ok > ready; sleep 1000", resources(0.25, 96))
	ct := launch(t, c, s)
	t.Cleanup(func() { _ = exec.Command("sh", "-c", "rm -f /dev/shm/agora-update-test-*").Run() })
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(filepath.Join(s.Sandbox, "ready")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the container did not fill its memory")
		}
	}
	if err := ct.Update(t.Context(), resources(0.25, 32)); err != nil {
		t.Fatal(err)
	}
	if st, err := ct.Stats(t.Context()); err != nil || st.GetMemLimitBytes() != 96<<20 {
		t.Errorf("stats %v (%v), want the limit kept at 96 MB", st, err)
	}
	select {
	case <-ct.done:
		t.Fatalf("the container ended: %+v", ct.status)
	default:
	}
}

// TestParallelLaunchesBound: launches beyond ParallelLaunches wait for a
// slot (or give up with their context), and a burst of them all runs.
func TestParallelLaunchesBound(t *testing.T) {
	needCgroups(t)
	cfg := full(t)
	cfg.ParallelLaunches = 2
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.slots <- struct{}{} // two launches in progress
	c.slots <- struct{}{}
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.Launch(ctx, spec(t, "sleep 100", nil)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Launch with no slot free: %v, want it to give up with its context", err)
	}
	<-c.slots
	<-c.slots
	errs := make(chan error, 12)
	cts := make(chan containerizer.Container, 12)
	for range 12 {
		go func() {
			ct, err := c.Launch(t.Context(), spec(t, "sleep 100", nil))
			errs <- err
			cts <- ct
		}()
	}
	for range 12 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
		if ct := <-cts; ct != nil {
			_ = ct.Kill()
			wait(t, ct)
		}
	}
}
