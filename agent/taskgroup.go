package agent

// The launch of task groups under the default executor.

import (
	"errors"
	"fmt"

	"go.uber.org/zap"

	"github.com/agoraproject/agora/agent/containerizer"
	"github.com/agoraproject/agora/proto/agora/agentpb"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// runTaskGroup starts every task of a group as its own container under one
// default executor, with a sandbox each in the executor's tasks/ directory
// (as Mesos's default executor lays them out).
func (a *Agent) runTaskGroup(ev *agentpb.Event_RunTaskGroup) {
	fid, eid := ev.GetFramework().GetId().GetValue(), ev.GetExecutor().GetExecutorId().GetValue()
	log := a.log.With(zap.String("framework_id", fid), zap.String("executor_id", eid))
	if err := errors.Join(checkID(fid), checkID(eid)); err != nil {
		log.Error("refusing RUN_TASK_GROUP with an invalid ID", zap.Error(err))
		return
	}
	if ev.GetExecutor().GetType() == mesos.ExecutorInfo_CUSTOM {
		a.runCustom(ev.GetFramework(), ev.GetExecutor(), ev.GetTaskGroup().GetTasks(), ev.GetTaskGroup())
		return
	}
	var tis []*mesos.TaskInfo
	var cause error
	seen := map[string]bool{}
	for _, ti := range ev.GetTaskGroup().GetTasks() {
		tid := ti.GetTaskId().GetValue()
		if checkID(tid) != nil || seen[tid] || a.tasks[taskKey{fid, tid}] != nil {
			log.Error("dropping a task of a group with an invalid or duplicate ID", zap.String("task_id", tid))
			continue
		}
		seen[tid] = true
		tis = append(tis, ti)
		switch {
		case ti.GetExecutor() != nil:
			cause = fmt.Errorf("task %s of a task group must not have an executor", tid)
		case ti.GetCommand() == nil:
			cause = fmt.Errorf("task %s has no command", tid)
		}
	}
	if len(tis) == 0 {
		log.Error("ignoring an empty task group")
		return
	}
	fw := a.addFramework(ev.GetFramework())
	ex := fw.executors[eid]
	runDir := "" // the executor's run directory, when it is new
	if ex == nil {
		ex = a.newExecutor(fw, eid, ev.GetExecutor())
		runDir = ex.directory
	}
	a.groups++
	tasks := make([]*task, len(tis))
	specs := make([]containerizer.LaunchSpec, len(tis))
	for i, ti := range tis {
		t := a.addTask(ex, ti, a.groups)
		t.sandbox = ex.directory + "/tasks/" + t.key.task
		t.containerID = formatUUID(newUUID())
		tasks[i] = t
		if cause != nil {
			continue
		}
		ci := ti.GetContainer()
		if ci == nil {
			ci = ev.GetExecutor().GetContainer()
		}
		specs[i], cause = a.launchSpec(t, ci)
	}
	log.Info("launching task group", zap.Int("tasks", len(tasks)), zap.String("sandbox", ex.directory))
	if cause != nil {
		for _, t := range tasks {
			a.launchFailed(t, cause)
		}
		return
	}
	a.launch(tasks, specs, runDir)
}
