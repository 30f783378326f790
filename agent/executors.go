package agent

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/agent/containerizer"
	"github.com/agoraproject/agora/proto/agora/agentpb"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// Custom executors: a TaskInfo.executor (or a LAUNCH_GROUP executor of type
// CUSTOM) makes the agent run the framework's own executor process in the
// executor's sandbox. The process subscribes over the executor API
// (executorcalls.go); until it does, its tasks wait in its queue. Several
// tasks share one executor, which lives until it exits, is shut down, or
// fails to subscribe in time. When it ends, its unfinished tasks fail and
// the master is told (EXECUTOR_EXITED), which releases its resources.

// executorRun is a custom executor's process and API connection; nil for
// command executors and task groups' default executors.
type executorRun struct {
	container    containerizer.Container // nil until launched
	launching    bool
	cancelLaunch context.CancelFunc // ends a slow fetch when it is shut down
	exited       bool
	// sized is what the container was last sized for (executorResources);
	// resizer applies later sizes to it.
	sized   []*mesos.Resource
	resizer *resizer

	conn       *execConn // the current subscription; nil while none
	subscribed bool      // it has subscribed at least once

	// launches are the LAUNCH (one task) or LAUNCH_GROUP events owed to
	// the executor, in order; sent ones are kept until their tasks run,
	// to be sent again if they were lost with a broken connection.
	launches []*launchEntry
	// pendingKills are KILLs asked for while the executor was not
	// connected, sent when it subscribes again.
	pendingKills map[string]*mesos.KillPolicy

	registerBy   time.Time // killed if not subscribed by then; zero once subscribed
	timedOut     bool      // it did not subscribe in time
	shuttingDown bool      // no new tasks; SHUTDOWN sent or due
	grace        time.Duration
	killAt       time.Time // SIGKILL due at the end of the shutdown grace period
	heartbeatAt  time.Time
}

// alive reports whether the executor's process may still run; a nil run
// (not a custom executor) has no process of its own.
func (r *executorRun) alive() bool { return r != nil && !r.exited }

type launchEntry struct {
	tasks []*task
	group *mesos.TaskGroupInfo // nil: a LAUNCH of tasks[0]
	sent  bool
}

// runCustom starts tasks (one, or a task group) on a custom executor,
// launching the executor first when it does not run on the agent yet.
func (a *Agent) runCustom(fwInfo *mesos.FrameworkInfo, info *mesos.ExecutorInfo, tis []*mesos.TaskInfo, group *mesos.TaskGroupInfo) {
	fid, eid := fwInfo.GetId().GetValue(), info.GetExecutorId().GetValue()
	log := a.log.With(zap.String("framework_id", fid), zap.String("executor_id", eid))
	// Tasks with an invalid or duplicate ID are dropped, as in task groups.
	var valid []*mesos.TaskInfo
	seen := map[string]bool{}
	for _, ti := range tis {
		tid := ti.GetTaskId().GetValue()
		if checkID(tid) != nil || seen[tid] || a.tasks[taskKey{fid, tid}] != nil {
			log.Error("dropping a task with an invalid or duplicate ID", zap.String("task_id", tid))
			continue
		}
		seen[tid] = true
		valid = append(valid, ti)
	}
	if len(valid) == 0 {
		return
	}
	if group != nil && len(valid) != len(tis) {
		group = &mesos.TaskGroupInfo{Tasks: valid}
	}
	var ex *executor
	if fw := a.frameworks[fid]; fw != nil {
		ex = fw.executors[eid]
	}
	if ex != nil && ex.run != nil && ex.run.exited {
		// Its last tasks' updates are still unacknowledged: keep them with
		// the old run and start a new one.
		a.retireExecutor(ex)
		ex = nil
	}
	var refuse error
	state, reason := mesos.TaskState_TASK_FAILED, mesos.TaskStatus_REASON_TASK_INVALID
	switch {
	case checkID(eid) != nil:
		refuse = fmt.Errorf("invalid executor ID: %w", checkID(eid))
	case info.GetCommand() == nil:
		refuse = errors.New("the executor has no command")
	case ex != nil && ex.run == nil:
		refuse = fmt.Errorf("executor ID %s is in use by a command task or a task group", eid)
	case ex != nil && ex.run.shuttingDown:
		refuse = fmt.Errorf("executor %s is shutting down", eid)
		state, reason = mesos.TaskState_TASK_LOST, mesos.TaskStatus_REASON_EXECUTOR_TERMINATED
		if hasCapability(fwInfo, mesos.FrameworkInfo_Capability_PARTITION_AWARE) {
			state = mesos.TaskState_TASK_DROPPED
		}
	}
	if refuse != nil {
		log.Warn("refusing tasks for a custom executor", zap.Error(refuse))
		for _, ti := range valid {
			a.orphanUpdate(fid, ti.GetTaskId().GetValue(), state, reason, refuse.Error())
		}
		if ex == nil || ex.run == nil {
			// The master started accounting for an executor that will not
			// run; let it release the resources.
			a.sendExecutorExited(fid, eid, nil)
		}
		return
	}
	fw := a.addFramework(fwInfo)
	start := ex == nil
	if start {
		ex = a.newExecutor(fw, eid, info)
		ex.run = &executorRun{grace: a.executorGrace(info)}
	}
	if group != nil {
		a.groups++
	}
	entry := &launchEntry{group: group}
	for _, ti := range valid {
		g := 0
		if group != nil {
			g = a.groups
		}
		t := a.addTask(ex, ti, g)
		t.sandbox, t.containerID = ex.directory, ex.containerID
		entry.tasks = append(entry.tasks, t)
	}
	ex.run.launches = append(ex.run.launches, entry)
	log.Info("tasks for a custom executor", zap.Int("tasks", len(valid)), zap.Bool("launching_executor", start))
	if start {
		a.startExecutor(ex)
		return
	}
	a.resizeExecutor(ex) // before the tasks reach it, as in Mesos
	a.sendLaunches(ex)
}

// startExecutor creates the sandbox and launches the executor's command in
// a goroutine (fetching its URIs first).
func (a *Agent) startExecutor(ex *executor) {
	spec, err := a.executorSpec(ex)
	if err == nil {
		err = createRunDir(ex.directory)
	}
	if err != nil {
		a.executorLaunched(executorLaunched{ex: ex, err: err})
		return
	}
	ex.run.launching = true
	ex.run.sized = spec.Resources
	a.launching++
	ctx, cancel := context.WithCancel(a.runCtx)
	ex.run.cancelLaunch = cancel
	c, f := a.containerizer, a.fetcher
	uris, user := ex.info.GetCommand().GetUris(), spec.User
	go func() {
		m := executorLaunched{ex: ex}
		if m.err = f.Fetch(ctx, uris, spec.Sandbox, user); m.err == nil {
			m.container, m.err = c.Launch(ctx, spec)
		}
		a.post(m)
	}()
}

// Messages of executor goroutines and HTTP handlers; the loop applies them.
type (
	executorLaunched struct {
		ex        *executor
		container containerizer.Container
		err       error
	}
	executorExited struct {
		ex     *executor
		status containerizer.ExitStatus
		err    error
	}
)

func (m executorLaunched) apply(a *Agent) {
	a.launching--
	a.executorLaunched(m)
}

func (m executorExited) apply(a *Agent) { a.executorExited(m) }

func (a *Agent) executorLaunched(m executorLaunched) {
	ex, r := m.ex, m.ex.run
	r.launching = false
	if r.cancelLaunch != nil {
		r.cancelLaunch()
	}
	a.dirty = true
	log := a.log.With(zap.String("framework_id", ex.frameworkID), zap.String("executor_id", ex.id))
	if m.err != nil {
		log.Warn("executor launch failed", zap.Error(m.err))
		r.exited = true
		reason := mesos.TaskStatus_REASON_CONTAINER_LAUNCH_FAILED
		for _, t := range ex.tasks {
			if t.live() {
				a.update(t, mesos.TaskState_TASK_FAILED, mesos.TaskStatus_SOURCE_AGENT, &reason, "Failed to launch container: "+m.err.Error())
			}
		}
		r.launches = nil
		a.sendExecutorExited(ex.frameworkID, ex.id, nil)
		a.retireIfIdle(ex)
		return
	}
	r.container = m.container
	ctx, c := a.runCtx, m.container
	go func() {
		st, err := c.Wait(ctx)
		a.post(executorExited{ex: ex, status: st, err: err})
	}()
	log.Info("executor launched", zap.String("container_id", ex.containerID), zap.Int("pid", c.Status().PID))
	for _, t := range ex.tasks {
		a.checkpointTask(t) // with the executor's PID
	}
	if r.shuttingDown {
		_ = c.Kill() // shut down before it could subscribe
		return
	}
	r.registerBy = a.clock.Now().Add(a.cfg.ExecutorRegistrationTimeout)
	a.resizeExecutor(ex) // tasks joined or ended during the launch
}

func (a *Agent) executorExited(m executorExited) {
	ex, r := m.ex, m.ex.run
	if r.exited {
		return
	}
	r.exited, r.registerBy, r.killAt, r.heartbeatAt = true, time.Time{}, time.Time{}, time.Time{}
	r.launches, r.pendingKills = nil, nil
	if r.conn != nil {
		r.conn.close()
		r.conn = nil
	}
	a.dirty = true
	st := m.status
	msg, reason := "Executor terminated: "+st.String(), mesos.TaskStatus_REASON_EXECUTOR_TERMINATED
	var status *int32
	switch {
	case m.err != nil:
		msg = "Failed to wait for the executor: " + m.err.Error()
	case r.timedOut:
		msg, reason = "Executor did not subscribe within "+a.cfg.ExecutorRegistrationTimeout.String(), mesos.TaskStatus_REASON_EXECUTOR_REGISTRATION_TIMEOUT
		status = proto.Int32(waitStatus(st))
	case st.Message != "":
		// The containerizer ended it (a memory limit, for example).
		msg, reason = st.Message, st.Reason
		status = proto.Int32(waitStatus(st))
	default:
		status = proto.Int32(waitStatus(st))
	}
	a.log.Info("executor exited", zap.String("framework_id", ex.frameworkID), zap.String("executor_id", ex.id), zap.String("message", msg))
	for _, t := range ex.tasks {
		if !t.live() {
			continue
		}
		if t.killRequested {
			a.update(t, mesos.TaskState_TASK_KILLED, mesos.TaskStatus_SOURCE_AGENT, &reason, msg)
			continue
		}
		a.update(t, mesos.TaskState_TASK_FAILED, mesos.TaskStatus_SOURCE_AGENT, &reason, msg)
	}
	a.sendExecutorExited(ex.frameworkID, ex.id, status)
	a.retireIfIdle(ex)
}

// waitStatus encodes an exit the way wait(2) does, which is what Mesos
// reports in the scheduler's FAILURE event.
func waitStatus(st containerizer.ExitStatus) int32 {
	if st.Signal != 0 {
		return int32(st.Signal)
	}
	return int32(st.Code&0xff) << 8
}

func (a *Agent) sendExecutorExited(fid, eid string, status *int32) {
	a.exits.pending = append(a.exits.pending, &exitReport{call: &agentpb.Call_ExecutorExited{
		FrameworkId: &mesos.FrameworkID{Value: proto.String(fid)},
		ExecutorId:  &mesos.ExecutorID{Value: proto.String(eid)},
		Status:      status,
	}})
	a.exits.next = time.Time{}
}

// retireIfIdle moves an ended executor without tasks to the completed
// ones; with tasks left, forget does it after their last acknowledgement.
func (a *Agent) retireIfIdle(ex *executor) {
	if len(ex.tasks) == 0 {
		a.retireExecutor(ex)
	}
}

// retireExecutor moves ex to its framework's completed executors, and the
// framework to the completed ones when it has nothing left. Tasks still
// waiting for acknowledgements keep pointing to ex.
func (a *Agent) retireExecutor(ex *executor) {
	fw := a.frameworks[ex.frameworkID]
	if fw == nil || fw.executors[ex.id] != ex {
		return
	}
	delete(fw.executors, ex.id)
	fw.completed = appendBounded(fw.completed, ex, maxCompletedExecutors)
	a.dirty = true
	a.retireFrameworkIfIdle(ex.frameworkID)
}

// retireFrameworkIfIdle moves a framework without executors or tasks to
// the completed ones.
func (a *Agent) retireFrameworkIfIdle(fid string) {
	fw := a.frameworks[fid]
	if fw == nil || len(fw.executors) > 0 {
		return
	}
	for k := range a.tasks {
		if k.framework == fid {
			return
		}
	}
	delete(a.frameworks, fid)
	a.completedFrameworks = appendBounded(a.completedFrameworks, fw, maxCompletedFrameworks)
}

// executorDone tells forget whether an executor whose last task it forgot
// can be retired: not while its own process runs. One retired already (a
// newer run took its ID) is not retired again, but its framework may now
// have nothing left.
func (a *Agent) executorDone(ex *executor) bool {
	fw := a.frameworks[ex.frameworkID]
	if fw == nil {
		return false
	}
	if fw.executors[ex.id] != ex {
		a.retireFrameworkIfIdle(ex.frameworkID)
		return false
	}
	return !ex.run.alive()
}
