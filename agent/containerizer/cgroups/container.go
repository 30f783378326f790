package cgroups

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/agent/containerizer"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// freezeTimeout bounds the wait for a freeze or thaw to take effect. Kill
// and Terminate run on the agent's loop: when a process stuck in the
// kernel keeps the group FREEZING, the signals go out anyway (a frozen
// process dies of SIGKILL once thawed).
const freezeTimeout = 100 * time.Millisecond

// group is one container's cgroups in one cgroup version.
type group interface {
	// start starts cmd so that its first instruction already runs inside
	// the group.
	start(cmd *exec.Cmd) error
	// limitCPU applies l's CPU shares and quota. It is called after start:
	// exec under a weight of 10 (0.01 cpus) on a busy host takes tens of
	// milliseconds, and a quota could stall it for a whole period.
	limitCPU(l limits) error
	// limitMemory changes the memory limit of a running group to bytes
	// (and memory+swap with it where swap is accounted).
	limitMemory(bytes int64) error
	// memoryUsage is the group's current memory usage in bytes.
	memoryUsage() (int64, error)
	// procs lists the processes in the group.
	procs() ([]int, error)
	// freeze stops every process of the group; thaw resumes them.
	freeze() error
	thaw() error
	// watchOOM calls fn when the kernel reports an out-of-memory event in
	// the group, until stop is called.
	watchOOM(fn func()) (stop func(), err error)
	// oomKilled reports whether the OOM killer killed a process of the
	// group and, if so, Mesos's message describing the limit.
	oomKilled() (bool, string)
	// stats adds the group's accounting to s.
	stats(s *mesos.ResourceStatistics) error
	// delete removes the group, which must be empty.
	delete() error
}

// container is one launched container.
type container struct {
	id          string
	pid         int
	g           group
	cfg         Config
	reapTimeout time.Duration
	log         *zap.Logger
	stopOOM     func()
	oom         atomic.Bool
	signalled   atomic.Int32 // the last signal of Terminate or Kill (recovered containers)

	mu     sync.Mutex // serializes signals and updates with the teardown
	lim    limits     // changed by Update
	gone   bool       // the cgroups are deleted (or being deleted)
	status containerizer.ExitStatus
	done   chan struct{}
}

var _ containerizer.StatsReporter = (*container)(nil)

func newContainer(id string, g group, cfg Config, lim limits, log *zap.Logger) *container {
	return &container{id: id, g: g, cfg: cfg, lim: lim, reapTimeout: cfg.ReapTimeout, log: log, stopOOM: func() {}, done: make(chan struct{})}
}

// run waits for the main process, then destroys the container: whatever
// the main process left behind is killed, as Mesos destroys a container
// when its executor exits.
func (c *container) run(cmd *exec.Cmd) {
	err := cmd.Wait()
	st := containerizer.ExitStatus{Code: -1}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok {
		switch {
		case ws.Exited():
			st.Code = ws.ExitStatus()
		case ws.Signaled():
			st.Signal = ws.Signal()
		}
	} else if err != nil {
		st.Message = "Failed to wait for the command: " + err.Error()
	}
	c.destroy(st)
}

// destroy kills what the main process left behind, deletes the cgroups
// and publishes st (or the memory limit that ended the container).
func (c *container) destroy(st containerizer.ExitStatus) {
	if pids, _ := c.g.procs(); len(othersThan(pids)) > 0 {
		c.signalAll(syscall.SIGKILL)
	}
	if !c.waitEmpty() {
		c.log.Warn("processes of the container survived SIGKILL", zap.Duration("waited", c.reapTimeout))
	}
	c.mu.Lock()
	memBytes := c.lim.memBytes
	c.mu.Unlock()
	if memBytes > 0 {
		if killed, msg := c.g.oomKilled(); killed || c.oom.Load() {
			if msg == "" {
				msg = containerizer.MemoryLimitMessage(uint64(memBytes), 0, "")
			}
			st.Message, st.Reason = msg, mesos.TaskStatus_REASON_CONTAINER_LIMITATION_MEMORY
		}
	}
	c.mu.Lock()
	c.stopOOM() // under mu: Update may start a watch until gone is set
	c.gone = true
	if err := c.g.delete(); err != nil {
		c.log.Error("failed to delete the container's cgroups", zap.Error(err))
	}
	c.status = st
	c.mu.Unlock()
	c.log.Debug("exited", zap.Stringer("status", st))
	close(c.done)
}

// oomed is called by the OOM watch: Mesos destroys a container whose
// memory limit was hit.
func (c *container) oomed() {
	if c.oom.Swap(true) {
		return
	}
	c.mu.Lock()
	memBytes := c.lim.memBytes
	c.mu.Unlock()
	c.log.Info("OOM detected; destroying the container", zap.Int64("limit_bytes", memBytes))
	_ = c.Kill()
}

// waitEmpty polls until the group has no process or the reap timeout
// passes, and reports which.
func (c *container) waitEmpty() bool {
	deadline := time.Now().Add(c.reapTimeout)
	for delay := 100 * time.Microsecond; ; delay = min(2*delay, 50*time.Millisecond) {
		pids, err := c.g.procs()
		if err != nil || len(pids) == 0 {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(delay)
	}
}

// signalAll freezes the group so that nothing can fork or exit under us,
// sends sig to every process in it, and thaws it.
func (c *container) signalAll(sig syscall.Signal) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gone {
		return nil
	}
	ferr := c.g.freeze() // signal anyway if it does not take (see freezeTimeout)
	pids, err := c.g.procs()
	var errs []error
	if err != nil {
		errs = append(errs, err)
	}
	for _, pid := range othersThan(pids) {
		if err := syscall.Kill(pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
			errs = append(errs, fmt.Errorf("signal %v to %d: %w", sig, pid, err))
		}
	}
	// Thaw even after a failed freeze: the write may have half-happened.
	if err := c.g.thaw(); err != nil && ferr == nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// othersThan drops the agent's own PID: one of its threads is inside a
// container's v1 cgroups for the moment it forks the main process.
func othersThan(pids []int) []int {
	self := os.Getpid()
	out := pids[:0:0]
	for _, p := range pids {
		if p != self {
			out = append(out, p)
		}
	}
	return out
}

func (c *container) Wait(ctx context.Context) (containerizer.ExitStatus, error) {
	select {
	case <-c.done:
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.status, nil
	case <-ctx.Done():
		return containerizer.ExitStatus{}, ctx.Err()
	}
}

func (c *container) Terminate() error {
	c.signalled.Store(int32(syscall.SIGTERM))
	return c.signalAll(syscall.SIGTERM)
}

func (c *container) Kill() error {
	c.signalled.Store(int32(syscall.SIGKILL))
	return c.signalAll(syscall.SIGKILL)
}

func (c *container) Status() containerizer.Status {
	return containerizer.Status{ContainerID: c.id, PID: c.pid}
}

// Stats reads the container's accounting from its cgroups.
func (c *container) Stats(context.Context) (*mesos.ResourceStatistics, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gone {
		return nil, fmt.Errorf("container %s has exited", c.id)
	}
	s := &mesos.ResourceStatistics{Timestamp: proto.Float64(float64(time.Now().UnixNano()) / 1e9)}
	if c.lim.cpus > 0 {
		s.CpusLimit = proto.Float64(c.lim.cpus)
	}
	if c.lim.memBytes > 0 {
		s.MemLimitBytes = proto.Uint64(uint64(c.lim.memBytes))
	}
	if err := c.g.stats(s); err != nil {
		return nil, fmt.Errorf("container %s: %w", c.id, err)
	}
	return s, nil
}

var _ containerizer.Updater = (*container)(nil)

// Update applies the limits of rs to the running container as Launch does
// (CPU shares and quota, memory limit). A resource rs lacks keeps its
// limit. The memory limit is not lowered below the container's current
// usage: the old, higher limit stays (Mesos keeps it rather than have the
// kernel OOM-kill), and a later Update lowers it once usage allows.
func (c *container) Update(_ context.Context, rs []*mesos.Resource) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gone {
		return nil
	}
	l := limitsFor(rs, c.cfg)
	var errs []error
	if l.cpus > 0 {
		if err := c.g.limitCPU(l); err != nil {
			errs = append(errs, fmt.Errorf("failed to update the container's CPU limits: %w", err))
		} else {
			c.lim.cpus, c.lim.shares, c.lim.quotaUS, c.lim.periodUS = l.cpus, l.shares, l.quotaUS, l.periodUS
		}
	}
	if mem := l.memBytes; mem > 0 && mem != c.lim.memBytes {
		if c.lim.memBytes > 0 && mem < c.lim.memBytes {
			if usage, err := c.g.memoryUsage(); err != nil || usage >= mem {
				c.log.Info("not lowering the memory limit below the container's usage",
					zap.Int64("limit_bytes", c.lim.memBytes), zap.Int64("requested_bytes", mem), zap.Int64("usage_bytes", usage), zap.Error(err))
				mem = c.lim.memBytes
			}
		}
		if mem != c.lim.memBytes {
			if err := c.g.limitMemory(mem); err != nil {
				errs = append(errs, fmt.Errorf("failed to update the container's memory limit: %w", err))
			} else {
				if c.lim.memBytes == 0 { // launched without a limit: watch for OOMs from now on
					if stop, err := c.g.watchOOM(c.oomed); err == nil {
						c.stopOOM = stop
					} else {
						errs = append(errs, fmt.Errorf("failed to watch the container's memory cgroup: %w", err))
					}
				}
				c.lim.memBytes = mem
			}
		}
	}
	if len(errs) == 0 {
		c.log.Debug("updated limits", zap.Float64("cpus", c.lim.cpus), zap.Int64("mem_bytes", c.lim.memBytes))
	}
	return errors.Join(errs...)
}
