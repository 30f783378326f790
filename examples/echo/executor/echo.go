package main

import (
	"context"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	execpb "github.com/agoraproject/agora/proto/mesos/v1/executor"
	"github.com/agoraproject/agora/sdk/executor"
)

// echo is the executor's state. Callbacks run on the SDK's Run goroutine;
// task waiters run on their own, hence the lock.
type echo struct {
	cfg executor.Config
	log *zap.Logger

	mu    sync.Mutex
	procs map[string]*proc
}

// proc is one task's process group.
type proc struct {
	id     *mesos.TaskID
	cmd    *exec.Cmd
	killed bool
	done   chan struct{}
}

func newEcho(cfg executor.Config, log *zap.Logger) *echo {
	return &echo{cfg: cfg, log: log, procs: map[string]*proc{}}
}

func (e *echo) callbacks() executor.Callbacks {
	return executor.Callbacks{
		Subscribed: func(_ context.Context, c *executor.Client, _ *execpb.Event_Subscribed) error {
			e.log.Info("subscribed", zap.String("agent_id", c.AgentID().GetValue()))
			return nil
		},
		Launch: e.launch,
		// A group's tasks simply all start; this executor does not make
		// them live and die together.
		LaunchGroup: func(ctx context.Context, c *executor.Client, g *mesos.TaskGroupInfo) error {
			for _, t := range g.GetTasks() {
				if err := e.launch(ctx, c, t); err != nil {
					return err
				}
			}
			return nil
		},
		Kill:     e.kill,
		Message:  e.message,
		Shutdown: e.shutdown,
		Error: func(_ context.Context, _ *executor.Client, msg string) error {
			e.log.Error("the agent reported an error", zap.String("message", msg))
			return nil
		},
	}
}

func status(id *mesos.TaskID, state mesos.TaskState, msg string) *mesos.TaskStatus {
	st := &mesos.TaskStatus{TaskId: id, State: state.Enum()}
	if msg != "" {
		st.Message = proto.String(msg)
	}
	return st
}

// launch starts the task's command in its own process group, so that a
// kill reaches everything it forks. Pdeathsig takes the command down with
// the executor if the executor is killed outright.
func (e *echo) launch(ctx context.Context, c *executor.Client, t *mesos.TaskInfo) error {
	script := string(t.GetData())
	if script == "" {
		script = "true"
	}
	cmd := exec.Command("/bin/sh", "-c", script)
	cmd.Dir = e.cfg.Sandbox
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), "MESOS_TASK_ID="+t.GetTaskId().GetValue())
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return c.Update(ctx, status(t.TaskId, mesos.TaskState_TASK_FAILED, "cannot start: "+err.Error()))
	}
	p := &proc{id: t.TaskId, cmd: cmd, done: make(chan struct{})}
	e.mu.Lock()
	e.procs[t.GetTaskId().GetValue()] = p
	e.mu.Unlock()
	e.log.Info("task started", zap.String("task_id", t.GetTaskId().GetValue()), zap.String("command", script))
	if err := c.Update(ctx, status(t.TaskId, mesos.TaskState_TASK_RUNNING, "")); err != nil {
		return err
	}
	go e.wait(c, p)
	return nil
}

// wait reports how the task ended. Its update is not tied to the callback's
// context: it must be sent whenever the task ends.
func (e *echo) wait(c *executor.Client, p *proc) {
	err := p.cmd.Wait()
	e.mu.Lock()
	killed := p.killed
	delete(e.procs, p.id.GetValue())
	e.mu.Unlock()
	close(p.done)
	st := status(p.id, mesos.TaskState_TASK_FINISHED, "")
	switch {
	case killed:
		st = status(p.id, mesos.TaskState_TASK_KILLED, "killed by request")
	case err != nil:
		st = status(p.id, mesos.TaskState_TASK_FAILED, "command failed: "+err.Error())
	}
	e.log.Info("task ended", zap.String("task_id", p.id.GetValue()), zap.Stringer("state", st.GetState()))
	if err := c.Update(context.Background(), st); err != nil {
		e.log.Error("update refused", zap.Error(err))
	}
}

// kill sends SIGTERM to the task's group, SIGKILL after its grace period.
func (e *echo) kill(ctx context.Context, c *executor.Client, id *mesos.TaskID, policy *mesos.KillPolicy) error {
	e.mu.Lock()
	p := e.procs[id.GetValue()]
	if p != nil {
		p.killed = true
	}
	e.mu.Unlock()
	if p == nil {
		// Already ended (its update is on its way) or never known.
		return nil
	}
	grace := 3 * time.Second
	if d := policy.GetGracePeriod(); d != nil {
		grace = time.Duration(d.GetNanoseconds())
	}
	e.terminate(p, grace)
	return nil
}

func (e *echo) terminate(p *proc, grace time.Duration) {
	pgid := p.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	go func() {
		select {
		case <-p.done:
		case <-time.After(grace):
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
		}
	}()
}

// message echoes the framework's message back.
func (e *echo) message(ctx context.Context, c *executor.Client, data []byte) error {
	e.log.Info("message from the framework", zap.ByteString("data", data))
	return c.Message(ctx, append([]byte("echo: "), data...))
}

// shutdown kills every task and, once their updates are acknowledged or
// the grace period is nearly over, stops the client so the executor exits.
func (e *echo) shutdown(_ context.Context, c *executor.Client) error {
	e.log.Info("shutting down")
	e.mu.Lock()
	var waits []chan struct{}
	for _, p := range e.procs {
		p.killed = true
		e.terminate(p, e.cfg.ShutdownGracePeriod/2)
		waits = append(waits, p.done)
	}
	e.mu.Unlock()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), e.cfg.ShutdownGracePeriod*3/4)
		defer cancel()
		for _, w := range waits {
			select {
			case <-w:
			case <-ctx.Done():
			}
		}
		if err := c.WaitAcknowledged(ctx); err != nil {
			e.log.Warn("exiting with unacknowledged updates", zap.Error(err))
		}
		c.Stop()
	}()
	return nil
}

// killAll kills whatever still runs, at exit.
func (e *echo) killAll() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, p := range e.procs {
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	}
}
