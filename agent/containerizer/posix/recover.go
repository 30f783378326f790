package posix

import (
	"context"
	"sync"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/agoraproject/agora/agent/containerizer"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

var _ containerizer.Recoverer = (*Containerizer)(nil)

// pollInterval is how often a recovered container's main process is
// looked for in /proc: it is not the agent's child any more, so it cannot
// be waited for.
const pollInterval = 200 * time.Millisecond

// Recover follows again the process groups of a previous agent run, by
// their checkpointed main PID. A container whose main process is gone (or
// is no longer the leader of its own group, its PID reused) is left out.
// The exit status of a recovered container cannot be known: Wait reports
// containerizer.ReasonUnknownExit unless Kill or Terminate ended it.
func (c *Containerizer) Recover(_ context.Context, cps []containerizer.Checkpointed) (map[string]containerizer.Container, error) {
	found := map[string]containerizer.Container{}
	for _, cp := range cps {
		log := c.log.With(zap.String("container_id", cp.ContainerID), zap.Int("pid", cp.PID))
		if cp.PID <= 0 || !leaderAlive(cp.PID) {
			log.Info("the container's process is gone")
			continue
		}
		p := &recovered{process: process{
			id: cp.ContainerID, pgid: cp.PID, done: make(chan struct{}),
			reapTimeout: c.cfg.ReapTimeout, log: log,
		}}
		go p.poll()
		log.Info("recovered the container")
		found[cp.ContainerID] = p
	}
	return found, nil
}

// leaderAlive reports whether pid runs (not a zombie) and leads its own
// process group, as every main process this containerizer starts does.
func leaderAlive(pid int) bool {
	state, pgid, ok := procStat(pid)
	return ok && pgid == pid && state != 'Z' && state != 'X'
}

// recovered is a process group found again after an agent restart.
type recovered struct {
	process
	smu    sync.Mutex
	signal syscall.Signal // the last signal sent through Terminate or Kill
}

func (p *recovered) poll() {
	for leaderAlive(p.pgid) {
		time.Sleep(pollInterval)
	}
	_ = syscall.Kill(-p.pgid, syscall.SIGKILL)
	if !waitGroupGone(p.pgid, p.reapTimeout) {
		p.log.Warn("processes of the group survived SIGKILL")
	}
	p.smu.Lock()
	sig := p.signal
	p.smu.Unlock()
	st := containerizer.ExitStatus{Code: -1, Signal: sig}
	if sig == 0 {
		st.Message, st.Reason = containerizer.ReasonUnknownExit, mesos.TaskStatus_REASON_EXECUTOR_TERMINATED
	}
	p.mu.Lock()
	p.exited, p.status = true, st
	p.mu.Unlock()
	close(p.done)
}

func (p *recovered) Terminate() error { return p.send(syscall.SIGTERM) }

func (p *recovered) Kill() error { return p.send(syscall.SIGKILL) }

func (p *recovered) send(sig syscall.Signal) error {
	p.smu.Lock()
	p.signal = sig
	p.smu.Unlock()
	return p.process.signal(sig)
}
