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

// appendStatus adds a status to a task's history. A status in the same
// state as the last one replaces it, as in Mesos: health and check updates
// of a long-running task would otherwise grow its history without bound.
// The history is never written in place, because snapshots share it.
func appendStatus(history []KeptStatus, s KeptStatus) []KeptStatus {
	n := len(history)
	if n > 0 && history[n-1].state == s.state && history[n-1].has&hasState == s.has&hasState {
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
