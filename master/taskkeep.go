package master

import (
	"weak"

	"google.golang.org/protobuf/proto"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// What the master keeps of a task is a small part of what it was told:
// a cluster of 100,000 tasks keeps 100,000 of these, so the part matters
// more than the copying it takes to cut it out.

// keptTaskInfo is the part of a launched TaskInfo the master keeps: what
// the task's views render (labels, discovery, container, health check,
// kill policy, the command's user) and the executor. The command line, the
// resources (the record keeps them in allocated form), the data and the
// rest go with the ACCEPT. A task with none of those shares noTaskInfo.
func keptTaskInfo(t *mesos.TaskInfo) *mesos.TaskInfo {
	kept := &mesos.TaskInfo{
		Executor:    t.Executor,
		Labels:      t.Labels,
		Discovery:   t.Discovery,
		Container:   t.Container,
		HealthCheck: t.HealthCheck,
		KillPolicy:  t.KillPolicy,
	}
	if c := t.GetCommand(); c != nil && c.User != nil {
		kept.Command = &mesos.CommandInfo{User: c.User}
	}
	return orNoTaskInfo(kept)
}

// taskInfoFromTask is keptTaskInfo for a task a reregistering agent
// reports, which comes as a Task rather than a TaskInfo.
func taskInfoFromTask(t *mesos.Task) *mesos.TaskInfo {
	kept := &mesos.TaskInfo{
		Labels:      t.Labels,
		Discovery:   t.Discovery,
		Container:   t.Container,
		HealthCheck: t.HealthCheck,
		KillPolicy:  t.KillPolicy,
	}
	if t.User != nil {
		kept.Command = &mesos.CommandInfo{User: t.User}
	}
	return orNoTaskInfo(kept)
}

// noTaskInfo is the kept info of tasks with nothing to keep. Like every
// kept message it is never modified.
var noTaskInfo = &mesos.TaskInfo{}

func orNoTaskInfo(kept *mesos.TaskInfo) *mesos.TaskInfo {
	if kept.Executor == nil && kept.Labels == nil && kept.Discovery == nil && kept.Container == nil &&
		kept.HealthCheck == nil && kept.KillPolicy == nil && kept.Command == nil {
		return noTaskInfo
	}
	return kept
}

// keptStatus is the copy of a status the master keeps in a task's history:
// without the data, which frameworks may fill with anything and which no
// view renders (as Mesos clears it), and sharing the task's, agent's and
// executor's ID messages with the records instead of one set per status.
// The status itself goes to the framework as received. agentID is the
// agent's ID message, nil when the agent is gone.
func keptStatus(t *taskRecord, s *mesos.TaskStatus, agentID *mesos.AgentID) *mesos.TaskStatus {
	executorID := t.info.GetExecutor().GetExecutorId()
	if last := t.latest(); executorID == nil && last != nil {
		executorID = last.ExecutorId
	}
	return &mesos.TaskStatus{
		TaskId:          sameID(t.taskIDMsg, s.TaskId),
		State:           sharedEnum(statePtrs, s.State),
		Message:         s.Message,
		Source:          sharedEnum(sourcePtrs, s.Source),
		Reason:          sharedEnum(reasonPtrs, s.Reason),
		AgentId:         sameID(agentID, s.AgentId),
		ExecutorId:      sameID(executorID, s.ExecutorId),
		Timestamp:       s.Timestamp,
		Uuid:            s.Uuid,
		Healthy:         s.Healthy,
		CheckStatus:     s.CheckStatus,
		Labels:          s.Labels,
		ContainerStatus: s.ContainerStatus,
		UnreachableTime: s.UnreachableTime,
		Limitation:      s.Limitation,
	}
}

// Kept statuses point at one shared value per enum value rather than at
// the decoder's own: that is three fewer small objects per status for the
// collector, and readers encoding 100,000 tasks find them in cache.
var (
	statePtrs  = enumPtrs[mesos.TaskState](mesos.TaskState_name)
	sourcePtrs = enumPtrs[mesos.TaskStatus_Source](mesos.TaskStatus_Source_name)
	reasonPtrs = enumPtrs[mesos.TaskStatus_Reason](mesos.TaskStatus_Reason_name)
)

func enumPtrs[E ~int32](names map[int32]string) map[E]*E {
	ptrs := make(map[E]*E, len(names))
	for v := range names {
		e := E(v)
		ptrs[e] = &e
	}
	return ptrs
}

// sharedEnum is the shared pointer to *p's value (p itself for a value
// the table does not know).
func sharedEnum[E ~int32](table map[E]*E, p *E) *E {
	if p == nil {
		return nil
	}
	if shared, ok := table[*p]; ok {
		return shared
	}
	return p
}

// sameID is shared when it names the same ID as own, else own: the ID
// messages (TaskID, AgentID, ExecutorID) a kept status can share.
func sameID[P interface {
	*M
	GetValue() string
}, M any](shared, own P) P {
	if shared != nil && own != nil && shared.GetValue() == own.GetValue() {
		return shared
	}
	return own
}

// appendStatus adds a status to a task's history. A status in the same
// state as the last one replaces it, as in Mesos: health and check updates
// of a long-running task would otherwise grow its history without bound.
// The history is never written in place, because snapshots share it.
func appendStatus(history []*mesos.TaskStatus, s *mesos.TaskStatus) []*mesos.TaskStatus {
	n := len(history)
	if n > 0 && history[n-1].GetState() == s.GetState() {
		n--
	}
	return append(history[:n:n], s)
}

// resourceIntern shares equal Resource messages between task records:
// tasks of one application ask for the same cpus and mem, and each
// allocated Resource costs a few hundred bytes. Kept resources are never
// modified, so sharing them is safe; entries are weak, so a message no
// record uses any more is collected. Owned by the event loop.
type resourceIntern struct {
	byKey   map[string]weak.Pointer[mesos.Resource]
	sweepAt int
	buf     []byte
}

// internSweepMin is the table size below which dead entries are left.
const internSweepMin = 1024

// list returns res with each message replaced by its shared equal, in a
// new slice (res itself may be the framework's).
func (r *resourceIntern) list(res []*mesos.Resource) []*mesos.Resource {
	if len(res) == 0 {
		return res
	}
	out := make([]*mesos.Resource, len(res))
	for i, x := range res {
		out[i] = r.one(x)
	}
	return out
}

func (r *resourceIntern) one(x *mesos.Resource) *mesos.Resource {
	b, err := proto.MarshalOptions{Deterministic: true}.MarshalAppend(r.buf[:0], x)
	if err != nil {
		return x
	}
	r.buf = b
	if w, ok := r.byKey[string(b)]; ok {
		if shared := w.Value(); shared != nil {
			return shared
		}
	}
	if r.byKey == nil {
		r.byKey = make(map[string]weak.Pointer[mesos.Resource])
	}
	if len(r.byKey) >= r.sweepAt {
		r.sweep()
	}
	r.byKey[string(b)] = weak.Make(x)
	return x
}

// sweep drops the entries whose message was collected. It runs when the
// table doubled since the last sweep, so its cost per entry is constant.
func (r *resourceIntern) sweep() {
	for k, w := range r.byKey {
		if w.Value() == nil {
			delete(r.byKey, k)
		}
	}
	r.sweepAt = max(2*len(r.byKey), internSweepMin)
}
