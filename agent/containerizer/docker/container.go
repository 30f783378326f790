package docker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"go.uber.org/zap"

	"github.com/agoraproject/agora/agent/containerizer"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// Timeouts of calls that nothing else bounds.
const (
	// signalTimeout bounds a kill call to a slow engine.
	signalTimeout = 10 * time.Second
	// logDrain is how long Wait waits, after the exit, for the log stream
	// to deliver the rest of the output.
	logDrain = 10 * time.Second
	// waitRetryMax caps the pause between attempts to wait for a
	// container when the engine is unreachable.
	waitRetryMax = 5 * time.Second
)

// dockerContainer is one launched (or recovered) container.
type dockerContainer struct {
	d          *Containerizer
	id         string // the agent's container ID
	dockerID   string
	pid        int // on the host; 0 if unknown
	limMu      sync.Mutex
	cpus       float64 // changed by Update, under limMu
	memBytes   int64   // likewise
	stopSignal string
	network    string
	log        *zap.Logger
	out        outputs
	oom        atomic.Bool

	sigMu      sync.Mutex
	sigQueue   []string // signals to send, in order
	signalling bool     // a goroutine sends sigQueue

	updMu      sync.Mutex
	updNext    []*mesos.Resource // the latest Update's resources, not yet applied
	updPending bool
	updating   bool // a goroutine applies updNext

	done   chan struct{}
	status containerizer.ExitStatus // set before done is closed
	err    error                    // likewise: errClosed when closed first
}

// errClosed is Wait's error for a container whose containerizer was closed
// before the container exited.
var errClosed = errors.New("the Docker containerizer was closed; the container may still run")

var _ containerizer.StatsReporter = (*dockerContainer)(nil)

func (d *Containerizer) newContainer(id, dockerID string, cs *createSpec, out outputs) *dockerContainer {
	return &dockerContainer{
		d: d, id: id, dockerID: dockerID, cpus: cs.cpus, memBytes: cs.memBytes,
		stopSignal: cs.config.StopSignal, network: cs.network, out: out,
		log:  d.log.With(zap.String("container_id", id), zap.String("docker_id", shortID(dockerID))),
		done: make(chan struct{}),
	}
}

func shortID(id string) string { return id[:min(12, len(id))] }

// run copies the output into the sandbox until the container exits, then
// records how it ended and schedules its removal. from is where a
// recovered container's output resumes; nil copies all of it. Closing the
// containerizer ends it early: Wait then fails, and the container runs on
// for a later agent to recover.
func (c *dockerContainer) run(from *resume) {
	logsCtx, cancelLogs := context.WithCancel(c.d.ctx)
	logsDone := make(chan struct{})
	go func() {
		defer close(logsDone)
		c.copyLogs(logsCtx, from)
	}()
	st, ok := c.waitExit()
	if !ok {
		cancelLogs()
		<-logsDone
		c.out.close()
		c.d.untrack(c)
		c.err = errClosed
		close(c.done)
		return
	}
	select {
	case <-logsDone:
		cancelLogs()
	case <-time.After(logDrain):
		c.log.Warn("the log stream did not end with the container; output may be cut short")
		// copyLogs must be done writing before the files close.
		cancelLogs()
		<-logsDone
	}
	c.out.close()
	c.d.untrack(c)
	c.status = st
	close(c.done)
	c.log.Debug("exited", zap.Stringer("status", st))
	c.d.removeLater(c.dockerID)
}

// waitExit waits for the container to stop, riding out an engine that is
// restarting, and returns how it ended; false when the containerizer was
// closed first.
func (c *dockerContainer) waitExit() (containerizer.ExitStatus, bool) {
	for delay := 100 * time.Millisecond; ; delay = min(2*delay, waitRetryMax) {
		waitC, errC := c.d.cli.ContainerWait(c.d.ctx, c.dockerID, container.WaitConditionNotRunning)
		select {
		case r := <-waitC:
			code, oom := int(r.StatusCode), c.oom.Load()
			// The engine notes OOM kills the event stream may have missed.
			ctx, cancel := context.WithTimeout(context.Background(), signalTimeout)
			if info, err := c.d.cli.ContainerInspect(ctx, c.dockerID); err == nil && info.ContainerJSONBase != nil && info.State != nil {
				code, oom = info.State.ExitCode, oom || info.State.OOMKilled
			}
			cancel()
			_, memBytes := c.limits()
			return exitStatus(code, oom, memBytes), true
		case err := <-errC:
			switch {
			case c.d.ctx.Err() != nil:
				return containerizer.ExitStatus{}, false
			case cerrdefs.IsNotFound(err):
				return containerizer.ExitStatus{Code: -1, Reason: mesos.TaskStatus_REASON_EXECUTOR_TERMINATED,
					Message: "Docker container " + shortID(c.dockerID) + " was removed outside the agent"}, true
			}
			c.log.Warn("waiting for the container failed; retrying", zap.Error(err), zap.Duration("in", delay))
			select {
			case <-time.After(delay):
			case <-c.d.ctx.Done():
				return containerizer.ExitStatus{}, false
			}
		}
	}
}

// exitStatus reads the engine's exit code. A process killed by signal n
// exits the container with 128+n (the init passes that on), which is how
// Docker reports signals; an OOM kill inside a memory limit is the
// containerizer's doing and says so, as the cgroups containerizer does.
func exitStatus(code int, oom bool, memBytes int64) containerizer.ExitStatus {
	st := containerizer.ExitStatus{Code: code}
	if code > 128 && code <= 128+64 {
		st.Code, st.Signal = -1, syscall.Signal(code-128)
	}
	if oom && memBytes > 0 {
		st.Message = containerizer.MemoryLimitMessage(uint64(memBytes), 0, "")
		st.Reason = mesos.TaskStatus_REASON_CONTAINER_LIMITATION_MEMORY
	}
	return st
}

// oomed is called for the engine's OOM event: like Mesos's memory
// isolator, a container that hit its limit is destroyed, even if the
// process the kernel chose was not the main one.
func (c *dockerContainer) oomed() {
	if c.oom.Swap(true) {
		return
	}
	_, memBytes := c.limits()
	c.log.Info("OOM in the container; destroying it", zap.Int64("limit_bytes", memBytes))
	_ = c.Kill() // a failure is logged
}

func (c *dockerContainer) Wait(ctx context.Context) (containerizer.ExitStatus, error) {
	select {
	case <-c.done:
		return c.status, c.err
	case <-ctx.Done():
		return containerizer.ExitStatus{}, ctx.Err()
	}
}

// Terminate sends the container's stop signal (SIGTERM unless the task's
// stop-signal parameter says otherwise), which the init passes on to the
// task. The agent's kill grace period plays the part of `docker stop -t`.
// It returns at once (see signal).
func (c *dockerContainer) Terminate() error {
	sig := c.stopSignal
	if sig == "" {
		sig = "TERM"
	}
	c.signal(sig)
	return nil
}

// Kill sends SIGKILL to the container's PID 1, which takes every process
// of its PID namespace with it. It returns at once (see signal).
func (c *dockerContainer) Kill() error {
	c.signal("KILL")
	return nil
}

// signal asks the engine to send sig in the background: Terminate and
// Kill are called from the agent's event loop, which a slow engine (each
// call may take up to signalTimeout) must not hold up. Wait reports the
// end; a failure is logged. Signals are sent in the order asked.
func (c *dockerContainer) signal(sig string) {
	select {
	case <-c.done:
		return
	default:
	}
	c.sigMu.Lock()
	c.sigQueue = append(c.sigQueue, sig)
	start := !c.signalling
	c.signalling = true
	c.sigMu.Unlock()
	if start {
		go c.sendSignals()
	}
}

// sendSignals sends the queued signals one at a time until none is left.
func (c *dockerContainer) sendSignals() {
	for {
		c.sigMu.Lock()
		if len(c.sigQueue) == 0 {
			c.signalling = false
			c.sigMu.Unlock()
			return
		}
		sig := c.sigQueue[0]
		c.sigQueue = c.sigQueue[1:]
		c.sigMu.Unlock()
		if err := c.sendSignal(sig); err != nil {
			c.log.Warn("signalling the container failed", zap.Error(err))
		}
	}
}

func (c *dockerContainer) sendSignal(sig string) error {
	select {
	case <-c.done:
		return nil
	default:
	}
	ctx, cancel := context.WithTimeout(context.Background(), signalTimeout)
	defer cancel()
	err := c.d.cli.ContainerKill(ctx, c.dockerID, sig)
	// Not found or not running: it has already ended, which is no error.
	if err != nil && !cerrdefs.IsNotFound(err) && !cerrdefs.IsConflict(err) {
		return fmt.Errorf("failed to send SIG%s to Docker container %s: %w", sig, shortID(c.dockerID), err)
	}
	return nil
}

func (c *dockerContainer) Status() containerizer.Status {
	return containerizer.Status{ContainerID: c.id, PID: c.pid}
}

// limits returns the container's current cpus and memory limit.
func (c *dockerContainer) limits() (cpus float64, memBytes int64) {
	c.limMu.Lock()
	defer c.limMu.Unlock()
	return c.cpus, c.memBytes
}

var _ containerizer.Updater = (*dockerContainer)(nil)

// Update changes the container's CPU shares, CFS quota and memory limit
// (docker update) with the translation used at create. Like signal, it
// returns at once and the engine is called in the background, so that a
// slow engine does not hold up the agent's loop; updates apply in order,
// and one that has not started yet is replaced by a newer one. Failures
// are logged. The memory limit is not lowered below the container's
// current usage: the higher limit stays, as Mesos keeps it.
func (c *dockerContainer) Update(_ context.Context, rs []*mesos.Resource) error {
	select {
	case <-c.done:
		return nil
	default:
	}
	c.updMu.Lock()
	c.updNext, c.updPending = rs, true
	start := !c.updating
	c.updating = true
	c.updMu.Unlock()
	if start {
		go c.sendUpdates()
	}
	return nil
}

// sendUpdates applies the latest pending update until none is left.
func (c *dockerContainer) sendUpdates() {
	for {
		c.updMu.Lock()
		if !c.updPending {
			c.updating = false
			c.updMu.Unlock()
			return
		}
		rs := c.updNext
		c.updNext, c.updPending = nil, false
		c.updMu.Unlock()
		if err := c.update(rs); err != nil {
			c.log.Warn("updating the container's limits failed", zap.Error(err))
		}
	}
}

func (c *dockerContainer) update(rs []*mesos.Resource) error {
	select {
	case <-c.done:
		return nil
	default:
	}
	var h container.HostConfig
	cpus, mem := limits(&h, rs, c.d.cfg.CFS)
	_, cur := c.limits()
	ctx, cancel := context.WithTimeout(context.Background(), signalTimeout)
	defer cancel()
	if mem > 0 && cur > 0 && mem < cur {
		usage, err := c.memoryUsage(ctx)
		if err != nil || usage >= uint64(mem) {
			c.log.Info("not lowering the memory limit below the container's usage",
				zap.Int64("limit_bytes", cur), zap.Int64("requested_bytes", mem), zap.Uint64("usage_bytes", usage), zap.Error(err))
			mem = cur
		}
	}
	if mem == cur {
		h.Memory, h.MemorySwap = 0, 0 // unchanged
	}
	if h.CPUShares == 0 && h.Memory == 0 {
		return nil
	}
	if _, err := c.d.cli.ContainerUpdate(ctx, c.dockerID, container.UpdateConfig{Resources: h.Resources}); err != nil {
		if cerrdefs.IsNotFound(err) {
			return nil // ended meanwhile
		}
		return fmt.Errorf("failed to update Docker container %s: %w", shortID(c.dockerID), err)
	}
	c.limMu.Lock()
	if cpus > 0 {
		c.cpus = cpus
	}
	if h.Memory > 0 {
		c.memBytes = mem
	}
	c.limMu.Unlock()
	c.log.Debug("updated limits", zap.Float64("cpus", cpus), zap.Int64("mem_bytes", mem))
	return nil
}

// memoryUsage asks the engine for the container's memory usage.
func (c *dockerContainer) memoryUsage(ctx context.Context) (uint64, error) {
	r, err := c.d.cli.ContainerStatsOneShot(ctx, c.dockerID)
	if err != nil {
		return 0, err
	}
	defer r.Body.Close()
	var s container.StatsResponse
	if err := json.NewDecoder(r.Body).Decode(&s); err != nil {
		return 0, err
	}
	return s.MemoryStats.Usage, nil
}
