package master

import (
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// KeptStatus is a task status as the master keeps it in the task's
// history. A *mesos.TaskStatus costs a 224-byte struct plus an object per
// set field; 100,000 tasks with two statuses each kept 50 MB that way,
// and a cold read of the state walked all of it. A KeptStatus is 64 bytes
// held by value in the history, without pointers for what nearly every
// status carries: the state, source, reason, message, timestamp, health,
// a 16-byte UUID, and ID fields naming the task's own IDs. The rest goes
// to Rare, nil for most statuses. The data is not kept (no view renders
// it; Mesos clears it too). KeptStatuses are never modified once made.
type KeptStatus struct {
	timestamp float64
	message   string
	uuid      [16]byte
	// Rare holds what few statuses carry: labels, container and check
	// status, unreachable time, limitation, an ID field that does not
	// name the task's own ID, and a UUID that is not 16 bytes.
	rare   *mesos.TaskStatus
	state  mesos.TaskState
	reason mesos.TaskStatus_Reason
	source int8
	has    statusFields
	// taskID, agentID and executorID say where each ID field is kept.
	taskID, agentID, executorID idKept
}

// statusFields are the set bits of a KeptStatus's optional fields.
type statusFields uint16

const (
	hasState statusFields = 1 << iota
	hasSource
	hasReason
	hasMessage
	hasTimestamp
	hasHealthy
	isHealthy
	hasUUID
)

// idKept says where a kept status's ID field is.
type idKept uint8

const (
	idAbsent idKept = iota
	idOwn           // the task's own ID of the field's kind
	idTaskID        // the task's ID (an executor ID: the command executor's)
	idRare          // in Rare, as received
)

// TaskIDs are the IDs of a task its kept statuses' ID fields refer to.
type TaskIDs struct{ Task, Agent, Executor string }

// IDs are the view's task, agent and executor IDs.
func (t *TaskView) IDs() TaskIDs { return TaskIDs{t.ID, t.AgentID, t.ExecutorID} }

func (t *taskRecord) ids() TaskIDs { return TaskIDs{t.id, t.agentID, t.executorID} }

// KeepStatus is the kept form of s, a status of the task with IDs ids.
func KeepStatus(s *mesos.TaskStatus, ids TaskIDs) KeptStatus {
	var k KeptStatus
	rare := func() *mesos.TaskStatus {
		if k.rare == nil {
			k.rare = &mesos.TaskStatus{}
		}
		return k.rare
	}
	if k.taskID = keepID(s.TaskId != nil, s.TaskId != nil && s.TaskId.Value != nil, s.GetTaskId().GetValue(), ids.Task, ""); k.taskID == idRare {
		rare().TaskId = s.TaskId
	}
	if k.agentID = keepID(s.AgentId != nil, s.AgentId != nil && s.AgentId.Value != nil, s.GetAgentId().GetValue(), ids.Agent, ""); k.agentID == idRare {
		rare().AgentId = s.AgentId
	}
	if k.executorID = keepID(s.ExecutorId != nil, s.ExecutorId != nil && s.ExecutorId.Value != nil, s.GetExecutorId().GetValue(), ids.Executor, ids.Task); k.executorID == idRare {
		rare().ExecutorId = s.ExecutorId
	}
	if s.State != nil {
		k.state, k.has = *s.State, k.has|hasState
	}
	if s.Source != nil {
		if v := *s.Source; int32(int8(v)) == int32(v) {
			k.source, k.has = int8(v), k.has|hasSource
		} else {
			rare().Source = s.Source
		}
	}
	if s.Reason != nil {
		k.reason, k.has = *s.Reason, k.has|hasReason
	}
	if s.Message != nil {
		k.message, k.has = *s.Message, k.has|hasMessage
	}
	if s.Timestamp != nil {
		k.timestamp, k.has = *s.Timestamp, k.has|hasTimestamp
	}
	if s.Healthy != nil {
		k.has |= hasHealthy
		if *s.Healthy {
			k.has |= isHealthy
		}
	}
	switch {
	case len(s.Uuid) == len(k.uuid):
		copy(k.uuid[:], s.Uuid)
		k.has |= hasUUID
	case s.Uuid != nil:
		rare().Uuid = s.Uuid
	}
	if s.Labels != nil || s.ContainerStatus != nil || s.CheckStatus != nil || s.UnreachableTime != nil || s.Limitation != nil {
		r := rare()
		r.Labels, r.ContainerStatus, r.CheckStatus = s.Labels, s.ContainerStatus, s.CheckStatus
		r.UnreachableTime, r.Limitation = s.UnreachableTime, s.Limitation
	}
	return k
}

// keepID is where an ID field is kept: absent, as the task's own ID of
// its kind (or, for an executor ID, as the task's ID), else in Rare as
// received (a message without a value, or naming another ID). Unknown
// fields of an ID message naming the task's own ID are not kept.
func keepID(present, set bool, value, own, task string) idKept {
	switch {
	case !present:
		return idAbsent
	case !set:
		return idRare
	case own != "" && value == own:
		return idOwn
	case task != "" && value == task:
		return idTaskID
	}
	return idRare
}

// State is the status's state; ok is false when it has none.
func (s *KeptStatus) State() (state mesos.TaskState, ok bool) { return s.state, s.has&hasState != 0 }

// Source is the status's source.
func (s *KeptStatus) Source() (mesos.TaskStatus_Source, bool) {
	if s.has&hasSource != 0 {
		return mesos.TaskStatus_Source(s.source), true
	}
	if s.rare != nil && s.rare.Source != nil {
		return *s.rare.Source, true
	}
	return 0, false
}

// Reason is the status's reason.
func (s *KeptStatus) Reason() (mesos.TaskStatus_Reason, bool) { return s.reason, s.has&hasReason != 0 }

// Message is the status's message.
func (s *KeptStatus) Message() (string, bool) { return s.message, s.has&hasMessage != 0 }

// Timestamp is the status's timestamp, in seconds since the epoch.
func (s *KeptStatus) Timestamp() (float64, bool) { return s.timestamp, s.has&hasTimestamp != 0 }

// Healthy is the status's health.
func (s *KeptStatus) Healthy() (healthy, ok bool) {
	return s.has&isHealthy != 0, s.has&hasHealthy != 0
}

// UUID is the status's UUID, nil when it has none.
func (s *KeptStatus) UUID() []byte {
	if s.has&hasUUID != 0 {
		return s.uuid[:]
	}
	return s.rare.GetUuid()
}

// Rare holds the status's rarely set fields (see KeptStatus), nil when
// it has none. It is shared: callers must not modify it.
func (s *KeptStatus) Rare() *mesos.TaskStatus { return s.rare }

// An IDField is one of a kept status's ID fields: absent, a value, or a
// message kept as received (Msg, from Rare).
type IDField[M any] struct {
	Present bool
	Value   string
	Msg     *M
}

// TaskID is the status's task ID field.
func (s *KeptStatus) TaskID(ids TaskIDs) IDField[mesos.TaskID] {
	return idField(s.taskID, ids.Task, "", s.rare.GetTaskId())
}

// AgentID is the status's agent ID field.
func (s *KeptStatus) AgentID(ids TaskIDs) IDField[mesos.AgentID] {
	return idField(s.agentID, ids.Agent, "", s.rare.GetAgentId())
}

// ExecutorID is the status's executor ID field.
func (s *KeptStatus) ExecutorID(ids TaskIDs) IDField[mesos.ExecutorID] {
	return idField(s.executorID, ids.Executor, ids.Task, s.rare.GetExecutorId())
}

// message is the field as a message (nil when absent); withValue makes
// one holding a value.
func (f IDField[M]) message(withValue func(*string) *M) *M {
	switch {
	case !f.Present:
		return nil
	case f.Msg != nil:
		return f.Msg
	}
	return withValue(strPtr(f.Value))
}

func idField[M any](k idKept, own, task string, rare *M) IDField[M] {
	switch k {
	case idOwn:
		return IDField[M]{Present: true, Value: own}
	case idTaskID:
		return IDField[M]{Present: true, Value: task}
	case idRare:
		return IDField[M]{Present: true, Msg: rare}
	}
	return IDField[M]{}
}

// Proto is the status as a message, for a task with IDs ids. It shares
// Rare's messages, which the caller must not modify.
func (s *KeptStatus) Proto(ids TaskIDs) *mesos.TaskStatus {
	p := &mesos.TaskStatus{}
	if r := s.rare; r != nil {
		p.Source, p.Uuid, p.Labels, p.ContainerStatus = r.Source, r.Uuid, r.Labels, r.ContainerStatus
		p.CheckStatus, p.UnreachableTime, p.Limitation = r.CheckStatus, r.UnreachableTime, r.Limitation
	}
	p.TaskId = s.TaskID(ids).message(func(v *string) *mesos.TaskID { return &mesos.TaskID{Value: v} })
	p.AgentId = s.AgentID(ids).message(func(v *string) *mesos.AgentID { return &mesos.AgentID{Value: v} })
	p.ExecutorId = s.ExecutorID(ids).message(func(v *string) *mesos.ExecutorID { return &mesos.ExecutorID{Value: v} })
	if v, ok := s.State(); ok {
		p.State = v.Enum()
	}
	if v, ok := s.Source(); ok {
		p.Source = v.Enum()
	}
	if v, ok := s.Reason(); ok {
		p.Reason = v.Enum()
	}
	if v, ok := s.Message(); ok {
		p.Message = strPtr(v)
	}
	if v, ok := s.Timestamp(); ok {
		p.Timestamp = float64Ptr(v)
	}
	if v, ok := s.Healthy(); ok {
		p.Healthy = &v
	}
	if s.has&hasUUID != 0 {
		p.Uuid = append([]byte(nil), s.uuid[:]...)
	}
	return p
}

// StatusProtos are a kept history as messages.
func StatusProtos(history []KeptStatus, ids TaskIDs) []*mesos.TaskStatus {
	if len(history) == 0 {
		return nil
	}
	out := make([]*mesos.TaskStatus, len(history))
	for i := range history {
		out[i] = history[i].Proto(ids)
	}
	return out
}
