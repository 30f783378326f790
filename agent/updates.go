package agent

import (
	"crypto/rand"
	"errors"
	"fmt"

	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/agent/statusupdate"
	"github.com/agoraproject/agora/proto/agora/agentpb"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// update moves t to state and queues the status update for the master.
// States only move forward: nothing follows a terminal state. opts add to
// the status what the other arguments cannot say (health, for instance).
func (a *Agent) update(t *task, state mesos.TaskState, source mesos.TaskStatus_Source, reason *mesos.TaskStatus_Reason, msg string, opts ...statusOption) {
	if !t.live() {
		a.log.Warn("ignoring an update after a terminal state", zap.String("task_id", t.key.task),
			zap.Stringer("state", t.state), zap.Stringer("update", state))
		return
	}
	st := a.newStatus(t.key.task, state, source, reason, msg)
	st.ExecutorId = &mesos.ExecutorID{Value: proto.String(t.executor.id)}
	if t.containerID != "" {
		cs := &mesos.ContainerStatus{ContainerId: &mesos.ContainerID{Value: proto.String(t.containerID)}}
		if t.containerID != t.executor.containerID {
			cs.ContainerId.Parent = &mesos.ContainerID{Value: proto.String(t.executor.containerID)}
		}
		if t.container != nil {
			if pid := t.container.Status().PID; pid > 0 {
				cs.ExecutorPid = proto.Uint32(uint32(pid))
			}
		}
		st.ContainerStatus = cs
	}
	for _, o := range opts {
		o(st)
	}
	t.state = state
	t.statuses = append(t.statuses, st)
	a.dirty = true
	if err := a.updates.Add(t.key.framework, st, a.clock.Now()); err != nil {
		a.log.Error("status update refused", zap.String("task_id", t.key.task), zap.Error(err))
	}
	a.checkpointTask(t)
	if !t.live() {
		a.resizeExecutor(t.executor) // a custom executor's container shrinks
	}
}

// orphanUpdate reports a task the agent has no record of.
func (a *Agent) orphanUpdate(fid, tid string, state mesos.TaskState, reason mesos.TaskStatus_Reason, msg string) {
	st := a.newStatus(tid, state, mesos.TaskStatus_SOURCE_AGENT, &reason, msg)
	if err := a.updates.Add(fid, st, a.clock.Now()); err != nil && !errors.Is(err, statusupdate.ErrTerminated) {
		a.log.Error("status update refused", zap.String("task_id", tid), zap.Error(err))
	}
}

func (a *Agent) newStatus(tid string, state mesos.TaskState, source mesos.TaskStatus_Source, reason *mesos.TaskStatus_Reason, msg string) *mesos.TaskStatus {
	st := &mesos.TaskStatus{
		TaskId:    &mesos.TaskID{Value: proto.String(tid)},
		State:     state.Enum(),
		Source:    source.Enum(),
		Reason:    reason,
		AgentId:   &mesos.AgentID{Value: proto.String(a.ID())},
		Timestamp: proto.Float64(float64(a.clock.Now().UnixNano()) / 1e9),
		Uuid:      newUUID(),
	}
	if msg != "" {
		st.Message = proto.String(msg)
	}
	return st
}

func (a *Agent) sendUpdate(u statusupdate.Update) {
	a.updatesSent.Add(1)
	a.sendCall(&agentpb.Call{
		Type: agentpb.Call_UPDATE.Enum(),
		Update: &agentpb.Call_Update{
			FrameworkId: &mesos.FrameworkID{Value: proto.String(u.FrameworkID)},
			Status:      u.Status,
		},
	})
}

func (a *Agent) acknowledge(ev *agentpb.Event_Acknowledge) {
	fid, tid := ev.GetFrameworkId().GetValue(), ev.GetTaskId().GetValue()
	ack, err := a.updates.Acknowledge(fid, tid, ev.GetUuid(), a.clock.Now())
	if err != nil {
		a.log.Debug("ignoring acknowledgement", zap.String("task_id", tid), zap.Error(err))
		return
	}
	a.dirty = true // one update fewer pending
	if ack.Terminal {
		a.forget(taskKey{fid, tid})
	} else if t := a.tasks[taskKey{fid, tid}]; t != nil {
		a.checkpointTask(t)
	}
}

// forget drops a task whose terminal update was acknowledged, and its
// executor and framework when they have nothing left.
func (a *Agent) forget(key taskKey) {
	t := a.tasks[key]
	if t == nil {
		return
	}
	delete(a.tasks, key)
	a.removeTaskRecord(key)
	ex := t.executor
	delete(ex.tasks, key.task)
	ex.completedTasks = appendBounded(ex.completedTasks, t, maxCompletedTasks)
	a.dirty = true
	if len(ex.tasks) > 0 || !a.executorDone(ex) {
		return
	}
	fw := a.frameworks[key.framework]
	delete(fw.executors, ex.id)
	fw.completed = appendBounded(fw.completed, ex, maxCompletedExecutors)
	if len(fw.executors) == 0 {
		delete(a.frameworks, key.framework)
		a.completedFrameworks = appendBounded(a.completedFrameworks, fw, maxCompletedFrameworks)
	}
}

func appendBounded[T any](s []T, v T, limit int) []T {
	s = append(s, v)
	if len(s) > limit {
		s = append(s[:0:0], s[len(s)-limit:]...)
	}
	return s
}

// reportTasks lists, for SUBSCRIBE, every task not yet forgotten (those
// with a terminal but unacknowledged update too, as Mesos does, so the
// master does not declare them lost) and their frameworks.
func (a *Agent) reportTasks() ([]*mesos.Task, []*mesos.FrameworkInfo) {
	var tasks []*mesos.Task
	var fws []*mesos.FrameworkInfo
	seen := map[string]bool{}
	for _, t := range a.tasks {
		ti := t.info
		mt := &mesos.Task{
			Name:        ti.Name,
			TaskId:      ti.TaskId,
			FrameworkId: &mesos.FrameworkID{Value: proto.String(t.key.framework)},
			AgentId:     &mesos.AgentID{Value: proto.String(a.ID())},
			State:       t.state.Enum(),
			Resources:   ti.Resources,
			Labels:      ti.Labels,
			Discovery:   ti.Discovery,
			Container:   ti.Container,
			HealthCheck: ti.HealthCheck,
			KillPolicy:  ti.KillPolicy,
			Limits:      ti.Limits,
		}
		if t.executor.info != nil {
			mt.ExecutorId = &mesos.ExecutorID{Value: proto.String(t.executor.id)}
		}
		if n := len(t.statuses); n > 0 {
			mt.Statuses = []*mesos.TaskStatus{t.statuses[n-1]}
		}
		if head, _ := a.updates.Head(t.key.framework, t.key.task); head != nil {
			mt.StatusUpdateState, mt.StatusUpdateUuid = head.State, head.Uuid
		}
		tasks = append(tasks, mt)
		if !seen[t.key.framework] {
			seen[t.key.framework] = true
			fws = append(fws, a.frameworks[t.key.framework].info)
		}
	}
	return tasks, fws
}

// newUUID returns a random (version 4) UUID's 16 bytes.
func newUUID() []byte {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return b
}

func formatUUID(b []byte) string {
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
