package agent

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"time"

	"go.uber.org/zap"

	"github.com/agoraproject/agora/agent/containerizer"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// Recovery modes (--recover), as Mesos's.
const (
	// RecoverReconnect reattaches to the containers of the tasks of
	// checkpointing frameworks and reregisters under the same agent ID.
	RecoverReconnect = "reconnect"
	// RecoverCleanup kills whatever an earlier run left and registers as
	// a new agent.
	RecoverCleanup = "cleanup"
)

// recoverTimeout bounds the containerizer's recovery (Docker's daemon may
// be slow) and the wait for containers killed during recovery.
const recoverTimeout = 30 * time.Second

// unknownExitMessage is the message of the terminal update of a task whose
// container ended while the agent was down.
const unknownExitMessage = "Executor terminated while the agent was down"

// recoverState reads the checkpoint of an earlier run and brings its tasks
// back before the agent first subscribes: with the same boot ID and
// --recover=reconnect, the tasks of checkpointing frameworks whose
// containers still run are followed again, those whose containers ended
// get a terminal update, and the agent keeps its ID. Everything else an
// earlier run left (other frameworks' tasks, custom executors, which
// cannot resubscribe to a new agent process yet, and all of it after a
// reboot or with cleanup) is killed. Unacknowledged updates are queued
// again; they are sent once the agent has subscribed.
func (a *Agent) recoverState(ctx context.Context) {
	var ar agentRecord
	b, err := os.ReadFile(a.metaPath("agent.json"))
	if err == nil {
		err = json.Unmarshal(b, &ar)
	}
	records := a.readTaskRecords()
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		a.log.Error("ignoring an unreadable agent checkpoint", zap.Error(err))
	}
	fresh := err != nil || ar.AgentID == "" || checkID(ar.AgentID) != nil
	switch {
	case fresh:
	case ar.BootID != a.bootID:
		a.log.Info("the host rebooted since the checkpoint; starting as a new agent",
			zap.String("old_agent_id", ar.AgentID), zap.String("old_boot_id", ar.BootID))
		fresh = true
	case a.cfg.Recover == RecoverCleanup:
		a.log.Info("--recover=cleanup: killing what the previous run left; starting as a new agent", zap.String("old_agent_id", ar.AgentID))
		fresh = true
	}
	var decodedRecs []*decoded
	var cps []containerizer.Checkpointed
	seen := map[string]bool{}
	for _, r := range records {
		d, err := decodeRecord(r)
		if err != nil {
			a.log.Error("ignoring an invalid task checkpoint", zap.Error(err))
			continue
		}
		decodedRecs = append(decodedRecs, d)
		if r.ContainerID == "" || seen[r.ContainerID] {
			continue
		}
		seen[r.ContainerID] = true
		rs := d.task.GetResources()
		if r.Custom {
			rs = d.executor.GetResources()
		}
		cps = append(cps, containerizer.Checkpointed{ContainerID: r.ContainerID, PID: r.PID, Container: d.container, Resources: rs})
	}
	found := map[string]containerizer.Container{}
	if rc, ok := a.containerizer.(containerizer.Recoverer); ok {
		rctx, cancel := context.WithTimeout(ctx, recoverTimeout)
		found, err = rc.Recover(rctx, cps)
		cancel()
		if err != nil {
			a.log.Error("recovering containers failed", zap.Error(err))
		}
		if found == nil {
			found = map[string]containerizer.Container{}
		}
	}
	if fresh {
		a.killRecovered(found)
		if err := os.RemoveAll(a.metaPath()); err != nil {
			a.log.Error("removing the old checkpoint failed", zap.Error(err))
		}
		return
	}
	a.id.Store(&ar.AgentID)
	a.dirty = true
	kill := map[string]containerizer.Container{}
	n := 0
	for _, d := range decodedRecs {
		c := found[d.rec.ContainerID]
		if !d.framework.GetCheckpoint() {
			if c != nil {
				kill[d.rec.ContainerID] = c
			}
			_ = os.Remove(a.taskRecordPath(taskKey{d.framework.GetId().GetValue(), d.task.GetTaskId().GetValue()}))
			continue
		}
		a.recoverTask(d, c)
		n++
	}
	a.killRecovered(kill)
	a.log.Info("recovered from the checkpoint", zap.String("agent_id", ar.AgentID), zap.Int("tasks", n),
		zap.Int("containers", len(found)-len(kill)))
	// Custom executors: the executor process cannot resubscribe to this
	// agent yet, so it is shut down and its tasks fail.
	for _, fw := range a.frameworks {
		for _, ex := range fw.executors {
			if ex.run != nil {
				a.endRecoveredExecutor(ex, found[ex.containerID])
			}
		}
	}
	for _, t := range a.tasks {
		a.checkpointTask(t)
	}
}

// recoverTask rebuilds one task of a checkpointing framework.
func (a *Agent) recoverTask(d *decoded, c containerizer.Container) {
	r := d.rec
	fid := d.framework.GetId().GetValue()
	fw := a.addFramework(d.framework)
	ex := fw.executors[r.ExecutorID]
	if ex == nil {
		ex = &executor{
			id: r.ExecutorID, frameworkID: fid, info: d.executor, containerID: r.ExecutorContainerID,
			directory: r.ExecutorDirectory, tasks: map[string]*task{},
		}
		if r.Custom {
			ex.run = &executorRun{grace: a.executorGrace(d.executor), shuttingDown: true}
		}
		fw.executors[ex.id] = ex
	}
	t := a.addTask(ex, d.task, r.Group)
	a.groups = max(a.groups, r.Group)
	t.sandbox, t.containerID, t.state, t.statuses = r.Sandbox, r.ContainerID, d.state, d.statuses
	now := a.clock.Now()
	for _, st := range d.pending {
		if err := a.updates.Add(fid, st, now); err != nil {
			a.log.Warn("dropping a checkpointed update", zap.String("task_id", t.key.task), zap.Error(err))
		}
	}
	log := a.log.With(zap.String("framework_id", fid), zap.String("task_id", t.key.task))
	if ex.run != nil || !t.live() {
		return // custom executors: endRecoveredExecutor
	}
	if c == nil {
		log.Info("the task's container ended while the agent was down")
		t.exited = true
		reason := mesos.TaskStatus_REASON_EXECUTOR_TERMINATED
		if r.KillRequested {
			a.update(t, mesos.TaskState_TASK_KILLED, mesos.TaskStatus_SOURCE_AGENT, &reason, unknownExitMessage)
		} else {
			a.update(t, mesos.TaskState_TASK_FAILED, mesos.TaskStatus_SOURCE_AGENT, &reason, unknownExitMessage)
		}
		return
	}
	log.Info("recovered the task", zap.Int("pid", c.Status().PID), zap.Stringer("state", t.state))
	t.container = c
	key, ctx := t.key, a.runCtx
	go func() {
		st, err := c.Wait(ctx)
		a.post(exited{key: key, container: c, status: st, err: err})
	}()
	if r.KillRequested {
		a.killTask(t, nil, false)
		return
	}
	if t.state == mesos.TaskState_TASK_STAGING || t.state == mesos.TaskState_TASK_STARTING {
		a.update(t, mesos.TaskState_TASK_RUNNING, mesos.TaskStatus_SOURCE_EXECUTOR, nil, "")
	}
	a.startHealthCheck(t)
}

// endRecoveredExecutor kills a custom executor found again after a restart;
// when it has exited, its tasks fail (REASON_EXECUTOR_TERMINATED) and the
// master gets EXECUTOR_EXITED, as for any executor that ends.
func (a *Agent) endRecoveredExecutor(ex *executor, c containerizer.Container) {
	r := ex.run
	log := a.log.With(zap.String("framework_id", ex.frameworkID), zap.String("executor_id", ex.id))
	if c == nil {
		log.Info("the custom executor ended while the agent was down")
		r.exited = true
		reason := mesos.TaskStatus_REASON_EXECUTOR_TERMINATED
		for _, t := range ex.tasks {
			if t.live() {
				a.update(t, mesos.TaskState_TASK_FAILED, mesos.TaskStatus_SOURCE_AGENT, &reason, unknownExitMessage)
			}
		}
		a.sendExecutorExited(ex.frameworkID, ex.id, nil)
		a.retireIfIdle(ex)
		return
	}
	log.Info("killing a recovered custom executor: executors cannot resubscribe after an agent restart yet")
	r.container = c
	ctx := a.runCtx
	go func() {
		st, err := c.Wait(ctx)
		a.post(executorExited{ex: ex, status: st, err: err})
	}()
	_ = c.Kill()
}

// killRecovered kills containers recovery does not keep and waits (a
// bounded time) for them to end.
func (a *Agent) killRecovered(cs map[string]containerizer.Container) {
	if len(cs) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(a.runCtx, recoverTimeout)
	defer cancel()
	for id, c := range cs {
		a.log.Info("killing a container of the previous run", zap.String("container_id", id))
		_ = c.Kill()
	}
	for id, c := range cs {
		if _, err := c.Wait(ctx); err != nil {
			a.log.Warn("a killed container did not end", zap.String("container_id", id), zap.Error(err))
		}
	}
}

// detach ends Run while leaving the tasks of checkpointing frameworks
// running, for a later agent to recover (Config.DetachOnStop); the other
// frameworks' tasks are killed as drain kills them.
func (a *Agent) detach() {
	a.disconnect()
	keep := func(fid string) bool {
		fw := a.frameworks[fid]
		return fw != nil && fw.info.GetCheckpoint()
	}
	var kill []string
	for fid := range a.frameworks {
		if !keep(fid) {
			kill = append(kill, fid)
		}
	}
	for _, fid := range kill {
		a.shutdownFramework(fid)
	}
	live := func() int {
		n := 0
		for _, t := range a.tasks {
			if t.container != nil && !t.exited && !keep(t.key.framework) {
				n++
			}
		}
		a.eachCustomExecutor(func(ex *executor) {
			if ex.run.container != nil && !keep(ex.frameworkID) {
				n++
			}
		})
		return n
	}
	a.waitContainers(a.cfg.KillGracePeriod+a.cfg.ExecutorShutdownGracePeriod, live)
	a.log.Info("detached: tasks of checkpointing frameworks keep running", zap.Int("tasks", len(a.tasks)))
}
