package agent

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/agoraproject/agora/agent/containerizer"
	"github.com/agoraproject/agora/agent/statusupdate"
	"github.com/agoraproject/agora/proto/agora/agentpb"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// Bounds on what /state remembers of finished work, as Mesos's
// --max_completed_executors_per_framework.
const (
	maxCompletedExecutors  = 150
	maxCompletedTasks      = 200
	maxCompletedFrameworks = 50
)

type taskKey struct{ framework, task string }

type framework struct {
	info      *mesos.FrameworkInfo
	executors map[string]*executor
	completed []*executor
}

// executor is the command executor of one command task (its ID is the
// task's), or the default executor of one or more task groups.
type executor struct {
	id, frameworkID string
	info            *mesos.ExecutorInfo // nil for a command task
	run             *executorRun        // custom executors only (executors.go)
	containerID     string
	directory       string
	tasks           map[string]*task // not yet forgotten
	completedTasks  []*task
}

type task struct {
	key         taskKey
	info        *mesos.TaskInfo
	executor    *executor
	group       int // tasks launched by one RUN_TASK_GROUP share it
	sandbox     string
	containerID string
	container   containerizer.Container // nil until launched
	state       mesos.TaskState
	statuses    []*mesos.TaskStatus

	launching          bool
	exited             bool
	killRequested      bool
	killedDuringLaunch bool
	killDeadline       time.Time // SIGKILL is due; zero when not armed
	// cancelFetch cancels the fetch of the task's launch (fetch.go).
	cancelFetch context.CancelFunc

	// health is the task's health checker (healthchecks.go); nil if none.
	health *taskHealth
	// view caches the task's /state entry while viewKey matches
	// (state.go): a snapshot of many tasks re-renders only those that
	// changed.
	view    *taskJSON
	viewKey taskViewKey

	// recorded: the task has a checkpoint record (checkpoint.go);
	// checkpointDue: it is queued for the next flush.
	recorded, checkpointDue bool
}

// live reports whether the task may still change state.
func (t *task) live() bool { return !statusupdate.IsTerminal(t.state) }

// Messages from launch and wait goroutines.
type (
	launched struct {
		keys       []taskKey
		containers []containerizer.Container // nil on failure
		errs       []error
		failed     error // the first launch error; all of the group failed
	}
	exited struct {
		key       taskKey
		container containerizer.Container
		status    containerizer.ExitStatus
		err       error
	}
)

func (a *Agent) addFramework(info *mesos.FrameworkInfo) *framework {
	id := info.GetId().GetValue()
	fw := a.frameworks[id]
	if fw == nil {
		// A framework that comes back keeps its history.
		for i, c := range a.completedFrameworks {
			if c.info.GetId().GetValue() == id {
				fw = c
				a.completedFrameworks = append(a.completedFrameworks[:i:i], a.completedFrameworks[i+1:]...)
				break
			}
		}
	}
	if fw == nil {
		fw = &framework{executors: map[string]*executor{}}
	}
	a.frameworks[id] = fw
	fw.info = info // the newest info wins: capabilities may have changed
	return fw
}

func (a *Agent) newExecutor(fw *framework, id string, info *mesos.ExecutorInfo) *executor {
	fid := fw.info.GetId().GetValue()
	cid := formatUUID(newUUID())
	ex := &executor{
		id: id, frameworkID: fid, info: info, containerID: cid,
		directory: a.runDir(fid, id, cid), tasks: map[string]*task{},
	}
	fw.executors[id] = ex
	return ex
}

func (a *Agent) addTask(ex *executor, ti *mesos.TaskInfo, group int) *task {
	t := &task{
		key:  taskKey{ex.frameworkID, ti.GetTaskId().GetValue()},
		info: ti, executor: ex, group: group, state: mesos.TaskState_TASK_STAGING,
	}
	ex.tasks[t.key.task] = t
	a.tasks[t.key] = t
	a.dirty = true
	return t
}

// runTask starts a command task under its own command executor.
func (a *Agent) runTask(ev *agentpb.Event_RunTask) {
	ti := ev.GetTask()
	fid, tid := ev.GetFramework().GetId().GetValue(), ti.GetTaskId().GetValue()
	log := a.log.With(zap.String("framework_id", fid), zap.String("task_id", tid))
	if err := errors.Join(checkID(fid), checkID(tid)); err != nil {
		log.Error("refusing RUN_TASK with an invalid ID", zap.Error(err))
		if checkID(fid) == nil {
			a.orphanUpdate(fid, tid, mesos.TaskState_TASK_FAILED, mesos.TaskStatus_REASON_TASK_INVALID, err.Error())
		}
		return
	}
	if a.tasks[taskKey{fid, tid}] != nil {
		log.Warn("ignoring RUN_TASK for a task the agent already runs")
		return
	}
	if ti.GetExecutor() != nil {
		a.runCustom(ev.GetFramework(), ti.GetExecutor(), []*mesos.TaskInfo{ti}, nil)
		return
	}
	fw := a.addFramework(ev.GetFramework())
	var cause error
	switch {
	case ti.GetCommand() == nil:
		cause = errors.New("the task has neither a command nor an executor")
	}
	ex := a.newExecutor(fw, tid, nil)
	t := a.addTask(ex, ti, 0)
	t.sandbox, t.containerID = ex.directory, ex.containerID
	log.Info("launching task", zap.String("sandbox", t.sandbox))
	var spec containerizer.LaunchSpec
	if cause == nil {
		spec, cause = a.launchSpec(t, ti.GetContainer())
	}
	if cause != nil {
		a.launchFailed(t, cause)
		return
	}
	a.launch([]*task{t}, []containerizer.LaunchSpec{spec}, ex.directory)
}

func (a *Agent) launched(m launched) {
	a.launching--
	for i, key := range m.keys {
		t := a.tasks[key]
		c := m.containers[i]
		if t == nil { // cannot happen: launching tasks are never forgotten
			if c != nil {
				_ = c.Kill()
			}
			continue
		}
		t.launching = false
		if m.failed != nil {
			cause := m.errs[i]
			if cause == nil {
				// A task killed while the group's URIs were fetched takes
				// the group with it, killed rather than failed.
				t.killRequested = t.killRequested || errors.Is(m.failed, context.Canceled)
				cause = fmt.Errorf("another task of the group failed to launch: %w", m.failed)
			}
			a.launchFailed(t, cause)
			continue
		}
		t.container = c
		a.dirty = true
		ctx := a.runCtx
		go func() {
			st, err := c.Wait(ctx)
			a.post(exited{key: key, container: c, status: st, err: err})
		}()
		if t.killRequested {
			// Killed before it ever ran: no STARTING or RUNNING, no grace.
			_ = c.Kill()
			continue
		}
		a.update(t, mesos.TaskState_TASK_STARTING, mesos.TaskStatus_SOURCE_EXECUTOR, nil, "")
		a.update(t, mesos.TaskState_TASK_RUNNING, mesos.TaskStatus_SOURCE_EXECUTOR, nil, "")
		a.startHealthCheck(t)
	}
}

func (a *Agent) launchFailed(t *task, cause error) {
	a.log.Warn("task launch failed", zap.String("framework_id", t.key.framework),
		zap.String("task_id", t.key.task), zap.Error(cause))
	if t.killRequested {
		reason := mesos.TaskStatus_REASON_TASK_KILLED_DURING_LAUNCH
		a.update(t, mesos.TaskState_TASK_KILLED, mesos.TaskStatus_SOURCE_AGENT, &reason, "Task killed during launch")
		return
	}
	if isInvalidTask(cause) {
		reason := mesos.TaskStatus_REASON_TASK_INVALID
		a.update(t, mesos.TaskState_TASK_ERROR, mesos.TaskStatus_SOURCE_AGENT, &reason, cause.Error())
		return
	}
	reason := mesos.TaskStatus_REASON_CONTAINER_LAUNCH_FAILED
	a.update(t, mesos.TaskState_TASK_FAILED, mesos.TaskStatus_SOURCE_AGENT, &reason, "Failed to launch container: "+cause.Error())
}

func (a *Agent) liveContainers() int {
	n := a.liveExecutorContainers()
	for _, t := range a.tasks {
		if t.container != nil && !t.exited {
			n++
		}
	}
	return n
}
