package api

import (
	"math"
	"reflect"
	"unsafe"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/agoraproject/agora/master"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// A task's protobuf is written straight from its view, without building a
// mesos.Task and without the reflection of proto.Marshal: a cold read
// encodes 100,000 of them. The output is the bytes proto.Marshal gives the
// Task that master.TaskProto builds (fields in number order, as Go's
// encoder writes them; append_test.go compares). The messages a task
// shares with its TaskInfo that are rare or deep (container, health check,
// discovery, kill policy, a status's container and check status, a
// reserved or disk resource) and any message carrying unknown fields go
// through proto.Marshal, whole.

// Field numbers of mesos.v1 messages (mesos.proto).
const (
	wireTaskName, wireTaskID, wireTaskFrameworkID, wireTaskExecutorID, wireTaskAgentID, wireTaskState = 1, 2, 3, 4, 5, 6
	wireTaskResources, wireTaskStatuses, wireTaskUpdateState, wireTaskUpdateUUID                      = 7, 8, 9, 10
	wireTaskLabels, wireTaskDiscovery, wireTaskContainer, wireTaskUser, wireTaskHealth, wireTaskKill  = 11, 12, 13, 14, 15, 16

	wireStatusTaskID, wireStatusState, wireStatusData, wireStatusMessage, wireStatusAgentID = 1, 2, 3, 4, 5
	wireStatusTimestamp, wireStatusExecutorID, wireStatusHealthy, wireStatusSource          = 6, 7, 8, 9
	wireStatusReason, wireStatusUUID, wireStatusLabels, wireStatusContainer                 = 10, 11, 12, 13
	wireStatusUnreachable, wireStatusCheck, wireStatusLimitation                            = 14, 15, 16

	wireResName, wireResType, wireResScalar, wireResRanges, wireResSet, wireResRole, wireResDisk = 1, 2, 3, 4, 5, 6, 7
	wireResReservation, wireResRevocable, wireResShared, wireResAllocation, wireResProvider      = 8, 9, 10, 11, 12
	wireResReservations                                                                          = 13
)

// appendTaskProto appends the protobuf of master.TaskProto(t).
func appendTaskProto(b []byte, t *master.TaskView) []byte {
	b = appendStringField(b, wireTaskName, t.Name)
	b = appendIDField(b, wireTaskID, t.ID)
	b = appendIDField(b, wireTaskFrameworkID, t.FrameworkID)
	if t.ExecutorID != "" {
		b = appendIDField(b, wireTaskExecutorID, t.ExecutorID)
	}
	b = appendIDField(b, wireTaskAgentID, t.AgentID)
	b = appendEnumField(b, wireTaskState, int32(t.State))
	for _, r := range t.Resources {
		b = appendResourceField(b, wireTaskResources, r)
	}
	ids := t.IDs()
	for i := range t.Statuses {
		b = appendStatusField(b, wireTaskStatuses, &t.Statuses[i], ids)
	}
	if n := len(t.Statuses); n > 0 {
		if last := &t.Statuses[n-1]; len(last.UUID()) > 0 {
			if state, ok := last.State(); ok {
				b = appendEnumField(b, wireTaskUpdateState, int32(state))
			}
			b = protowire.AppendTag(b, wireTaskUpdateUUID, protowire.BytesType)
			b = protowire.AppendBytes(b, last.UUID())
		}
	}
	info := t.Info
	if info == nil {
		return b
	}
	if info.Labels != nil {
		b = appendLabelsField(b, wireTaskLabels, info.Labels)
	}
	b = appendMessageField(b, wireTaskDiscovery, info.Discovery)
	b = appendMessageField(b, wireTaskContainer, info.Container)
	if cmd := info.GetCommand(); cmd != nil && cmd.User != nil {
		b = appendStringField(b, wireTaskUser, *cmd.User)
	}
	b = appendMessageField(b, wireTaskHealth, info.HealthCheck)
	return appendMessageField(b, wireTaskKill, info.KillPolicy)
}

// hasUnknown reports whether m carries fields this build does not know,
// which proto.Marshal writes back and the appenders do not. It reads the
// generated struct's unknownFields directly (at the offset found once per
// type): through protoreflect, the check cost as much as encoding the
// message.
func hasUnknown[M any](m *M) bool {
	if off, ok := unknownOffset[M](); ok {
		return len(*(*[]byte)(unsafe.Add(unsafe.Pointer(m), off))) > 0
	}
	return len(any(m).(protoreflect.ProtoMessage).ProtoReflect().GetUnknown()) > 0
}

// unknownOffset is where a generated message struct keeps its unknown
// fields (false: it has no such field of the expected type).
func unknownOffset[M any]() (uintptr, bool) {
	switch any((*M)(nil)).(type) {
	case *mesos.Resource:
		return offResource.at()
	case *mesos.Value_Scalar:
		return offScalar.at()
	case *mesos.Value_Ranges:
		return offRanges.at()
	case *mesos.Value_Range:
		return offRange.at()
	case *mesos.Value_Set:
		return offSet.at()
	case *mesos.Resource_AllocationInfo:
		return offAllocation.at()
	case *mesos.Labels:
		return offLabels.at()
	case *mesos.Label:
		return offLabel.at()
	case *mesos.TaskStatus:
		return offStatus.at()
	case *mesos.TaskID:
		return offTaskID.at()
	case *mesos.AgentID:
		return offAgentID.at()
	case *mesos.ExecutorID:
		return offExecutorID.at()
	case *mesos.TimeInfo:
		return offTimeInfo.at()
	}
	return 0, false
}

type fieldOffset struct {
	off uintptr
	ok  bool
}

func (f fieldOffset) at() (uintptr, bool) { return f.off, f.ok }

func unknownFieldsOf[M any]() fieldOffset {
	f, ok := reflect.TypeFor[M]().FieldByName("unknownFields")
	if !ok || f.Type != reflect.TypeFor[[]byte]() {
		return fieldOffset{}
	}
	return fieldOffset{f.Offset, true}
}

var (
	offResource   = unknownFieldsOf[mesos.Resource]()
	offScalar     = unknownFieldsOf[mesos.Value_Scalar]()
	offRanges     = unknownFieldsOf[mesos.Value_Ranges]()
	offRange      = unknownFieldsOf[mesos.Value_Range]()
	offSet        = unknownFieldsOf[mesos.Value_Set]()
	offAllocation = unknownFieldsOf[mesos.Resource_AllocationInfo]()
	offLabels     = unknownFieldsOf[mesos.Labels]()
	offLabel      = unknownFieldsOf[mesos.Label]()
	offStatus     = unknownFieldsOf[mesos.TaskStatus]()
	offTaskID     = unknownFieldsOf[mesos.TaskID]()
	offAgentID    = unknownFieldsOf[mesos.AgentID]()
	offExecutorID = unknownFieldsOf[mesos.ExecutorID]()
	offTimeInfo   = unknownFieldsOf[mesos.TimeInfo]()
)

// appendMessageField appends m as field num with proto.Marshal, nothing
// when m is nil.
func appendMessageField[M interface {
	comparable
	proto.Message
}](b []byte, num protowire.Number, m M) []byte {
	var zero M
	if m == zero {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(proto.Size(m)))
	b, _ = proto.MarshalOptions{}.MarshalAppend(b, m) // records hold only valid messages
	return b
}

func appendStringField(b []byte, num protowire.Number, s string) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

// appendIDField appends an ID message (TaskID, AgentID, ...) holding
// value.
func appendIDField(b []byte, num protowire.Number, value string) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(1+protowire.SizeBytes(len(value))))
	return appendStringField(b, 1, value)
}

func appendEnumField(b []byte, num protowire.Number, v int32) []byte {
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, uint64(int64(v)))
}

func appendBoolField(b []byte, num protowire.Number, v bool) []byte {
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, protowire.EncodeBool(v))
}

func appendDoubleField(b []byte, num protowire.Number, v float64) []byte {
	b = protowire.AppendTag(b, num, protowire.Fixed64Type)
	return protowire.AppendFixed64(b, math.Float64bits(v))
}

// openField starts a length-delimited field whose length is not known
// yet: one byte is kept for it, which closeField fixes (moving the
// contents when the length needs more).
func openField(b []byte, num protowire.Number) ([]byte, int) {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	b = append(b, 0)
	return b, len(b)
}

func closeField(b []byte, start int) []byte {
	n := len(b) - start
	if n < 0x80 {
		b[start-1] = byte(n)
		return b
	}
	extra := protowire.SizeVarint(uint64(n)) - 1
	for i := 0; i < extra; i++ {
		b = append(b, 0)
	}
	copy(b[start+extra:], b[start:start+n])
	protowire.AppendVarint(b[:start-1], uint64(n))
	return b
}

func appendResourceField(b []byte, num protowire.Number, r *mesos.Resource) []byte {
	if r == nil || hasUnknown(r) {
		return appendMessageField(b, num, r)
	}
	b, start := openField(b, num)
	if r.Name != nil {
		b = appendStringField(b, wireResName, *r.Name)
	}
	if r.Type != nil {
		b = appendEnumField(b, wireResType, int32(*r.Type))
	}
	if s := r.Scalar; s != nil {
		if hasUnknown(s) {
			b = appendMessageField(b, wireResScalar, s)
		} else {
			var at int
			b, at = openField(b, wireResScalar)
			if s.Value != nil {
				b = appendDoubleField(b, 1, *s.Value)
			}
			b = closeField(b, at)
		}
	}
	b = appendRangesField(b, r.Ranges)
	b = appendSetField(b, r.Set)
	if r.Role != nil {
		b = appendStringField(b, wireResRole, *r.Role)
	}
	b = appendMessageField(b, wireResDisk, r.Disk)
	b = appendMessageField(b, wireResReservation, r.Reservation)
	b = appendMessageField(b, wireResRevocable, r.Revocable)
	b = appendMessageField(b, wireResShared, r.Shared)
	if a := r.AllocationInfo; a != nil {
		if hasUnknown(a) {
			b = appendMessageField(b, wireResAllocation, a)
		} else {
			var at int
			b, at = openField(b, wireResAllocation)
			if a.Role != nil {
				b = appendStringField(b, 1, *a.Role)
			}
			b = closeField(b, at)
		}
	}
	b = appendMessageField(b, wireResProvider, r.ProviderId)
	for _, res := range r.Reservations {
		b = appendMessageField(b, wireResReservations, res)
	}
	return closeField(b, start)
}

func appendRangesField(b []byte, rs *mesos.Value_Ranges) []byte {
	if rs == nil || hasUnknown(rs) {
		return appendMessageField(b, wireResRanges, rs)
	}
	b, start := openField(b, wireResRanges)
	for _, r := range rs.Range {
		if r == nil || hasUnknown(r) {
			b = appendMessageField(b, 1, r)
			continue
		}
		var at int
		b, at = openField(b, 1)
		if r.Begin != nil {
			b = protowire.AppendTag(b, 1, protowire.VarintType)
			b = protowire.AppendVarint(b, *r.Begin)
		}
		if r.End != nil {
			b = protowire.AppendTag(b, 2, protowire.VarintType)
			b = protowire.AppendVarint(b, *r.End)
		}
		b = closeField(b, at)
	}
	return closeField(b, start)
}

func appendSetField(b []byte, s *mesos.Value_Set) []byte {
	if s == nil || hasUnknown(s) {
		return appendMessageField(b, wireResSet, s)
	}
	b, start := openField(b, wireResSet)
	for _, item := range s.Item {
		b = appendStringField(b, 1, item)
	}
	return closeField(b, start)
}

func appendLabelsField(b []byte, num protowire.Number, l *mesos.Labels) []byte {
	if hasUnknown(l) {
		return appendMessageField(b, num, l)
	}
	b, start := openField(b, num)
	for _, label := range l.Labels {
		if label == nil || hasUnknown(label) {
			b = appendMessageField(b, 1, label)
			continue
		}
		var at int
		b, at = openField(b, 1)
		if label.Key != nil {
			b = appendStringField(b, 1, *label.Key)
		}
		if label.Value != nil {
			b = appendStringField(b, 2, *label.Value)
		}
		b = closeField(b, at)
	}
	return closeField(b, start)
}

// appendStatusField appends a kept status of the task with IDs ids.
func appendStatusField(b []byte, num protowire.Number, s *master.KeptStatus, ids master.TaskIDs) []byte {
	b, start := openField(b, num)
	b = appendStatusIDField(b, wireStatusTaskID, s.TaskID(ids))
	if state, ok := s.State(); ok {
		b = appendEnumField(b, wireStatusState, int32(state))
	}
	if msg, ok := s.Message(); ok {
		b = appendStringField(b, wireStatusMessage, msg)
	}
	b = appendStatusIDField(b, wireStatusAgentID, s.AgentID(ids))
	if ts, ok := s.Timestamp(); ok {
		b = appendDoubleField(b, wireStatusTimestamp, ts)
	}
	b = appendStatusIDField(b, wireStatusExecutorID, s.ExecutorID(ids))
	if healthy, ok := s.Healthy(); ok {
		b = appendBoolField(b, wireStatusHealthy, healthy)
	}
	if source, ok := s.Source(); ok {
		b = appendEnumField(b, wireStatusSource, int32(source))
	}
	if reason, ok := s.Reason(); ok {
		b = appendEnumField(b, wireStatusReason, int32(reason))
	}
	if uuid := s.UUID(); uuid != nil {
		b = protowire.AppendTag(b, wireStatusUUID, protowire.BytesType)
		b = protowire.AppendBytes(b, uuid)
	}
	if r := s.Rare(); r != nil {
		b = appendRareStatusFields(b, r)
	}
	return closeField(b, start)
}

// appendStatusIDField appends a kept status's ID field.
func appendStatusIDField[M any, P interface {
	*M
	proto.Message
}](b []byte, num protowire.Number, id master.IDField[M]) []byte {
	switch {
	case !id.Present:
		return b
	case id.Msg != nil:
		return appendMessageField(b, num, P(id.Msg)) // rare: an empty ID, or another task's
	}
	return appendIDField(b, num, id.Value)
}

// appendRareStatusFields appends the fields of a status's Rare that come
// after its UUID.
func appendRareStatusFields(b []byte, s *mesos.TaskStatus) []byte {
	if s.Labels != nil {
		b = appendLabelsField(b, wireStatusLabels, s.Labels)
	}
	b = appendMessageField(b, wireStatusContainer, s.ContainerStatus)
	if u := s.UnreachableTime; u != nil {
		if hasUnknown(u) {
			b = appendMessageField(b, wireStatusUnreachable, u)
		} else {
			var at int
			b, at = openField(b, wireStatusUnreachable)
			if u.Nanoseconds != nil {
				b = protowire.AppendTag(b, 1, protowire.VarintType)
				b = protowire.AppendVarint(b, uint64(*u.Nanoseconds))
			}
			b = closeField(b, at)
		}
	}
	b = appendMessageField(b, wireStatusCheck, s.CheckStatus)
	return appendMessageField(b, wireStatusLimitation, s.Limitation)
}
