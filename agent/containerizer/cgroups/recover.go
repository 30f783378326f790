package cgroups

import (
	"bytes"
	"context"
	"os"
	"slices"
	"strconv"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/agoraproject/agora/agent/containerizer"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

var _ containerizer.Recoverer = (*Containerizer)(nil)

// pollInterval is how often a recovered container's main process is
// looked for: it is not the agent's child any more, so it cannot be
// waited for.
const pollInterval = 200 * time.Millisecond

// Recover follows again the containers of a previous agent run by their
// cgroups and checkpointed main PID. A container whose cgroups are gone is
// left out; one whose main process is no longer in them is destroyed
// (whatever it left behind is killed) and left out. The exit status of a
// recovered container cannot be known: Wait reports
// containerizer.ReasonUnknownExit unless a memory limit or Kill ended it.
func (c *Containerizer) Recover(_ context.Context, cps []containerizer.Checkpointed) (map[string]containerizer.Container, error) {
	found := map[string]containerizer.Container{}
	for _, cp := range cps {
		log := c.log.With(zap.String("container_id", cp.ContainerID), zap.Int("pid", cp.PID))
		if !validPath(cp.ContainerID) {
			continue
		}
		g, err := c.backend.load(cp.ContainerID)
		if err != nil {
			log.Info("the container's cgroups are gone", zap.Error(err))
			continue
		}
		lim := limitsFor(cp.Resources, c.cfg)
		ct := newContainer(cp.ContainerID, g, c.cfg, lim, log)
		ct.pid = cp.PID
		if !ct.mainAlive() {
			log.Info("the container's main process is gone; destroying the container")
			go ct.follow()
			continue
		}
		if lim.memBytes > 0 {
			if stop, err := g.watchOOM(ct.oomed); err == nil {
				ct.stopOOM = stop
			}
		}
		log.Info("recovered the container")
		go ct.follow()
		found[cp.ContainerID] = ct
	}
	return found, nil
}

// mainAlive reports whether the main process is still in the container's
// cgroups.
func (c *container) mainAlive() bool {
	pids, err := c.g.procs()
	return err == nil && c.pid > 0 && slices.Contains(pids, c.pid) && running(c.pid)
}

// running reports whether pid exists and is not a zombie.
func running(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil && err != syscall.EPERM {
		return false
	}
	return !zombie(pid)
}

// follow is run for a recovered container: it polls until the main
// process is gone, then destroys the container as run does.
func (c *container) follow() {
	for c.mainAlive() {
		time.Sleep(pollInterval)
	}
	st := containerizer.ExitStatus{Code: -1}
	if sig := c.signalled.Load(); sig != 0 {
		st.Signal = syscall.Signal(sig)
	} else {
		st.Message, st.Reason = containerizer.ReasonUnknownExit, mesos.TaskStatus_REASON_EXECUTOR_TERMINATED
	}
	c.destroy(st)
}

// zombie reports whether pid has exited but is not reaped yet (or /proc
// no longer lists it).
func zombie(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 >= len(b) {
		return false
	}
	return b[i+2] == 'Z' || b[i+2] == 'X'
}
