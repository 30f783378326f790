package api

import (
	"encoding/base64"
	"strconv"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/agoraproject/agora/master"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	"github.com/agoraproject/agora/proto/mesosjson"
)

// A task's Mesos JSON (GET_STATE and GET_TASKS in JSON) is written
// straight from its view: the bytes mesosjson.Marshal gives
// master.TaskProto(t), keys in field-number order. Only the messages below
// are written by hand, none of which declares a default; the rest
// (container, health check, discovery, kill policy, reservations, disk,
// a status's container and check status) goes through mesosjson whole.
// Unknown fields are skipped, as mesosjson skips them.

// appendTaskJSON appends the Mesos JSON of master.TaskProto(t).
func appendTaskJSON(b []byte, t *master.TaskView) []byte {
	b = append(b, `{"name":`...)
	b = mesosjson.AppendString(b, t.Name)
	b = appendIDJSON(append(b, `,"task_id":`...), t.ID)
	b = appendIDJSON(append(b, `,"framework_id":`...), t.FrameworkID)
	if t.ExecutorID != "" {
		b = appendIDJSON(append(b, `,"executor_id":`...), t.ExecutorID)
	}
	b = appendIDJSON(append(b, `,"agent_id":`...), t.AgentID)
	b = taskStates.appendJSON(append(b, `,"state":`...), int32(t.State))
	if len(t.Resources) > 0 {
		b = append(b, `,"resources":[`...)
		for i, r := range t.Resources {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendResourceJSON(b, r)
		}
		b = append(b, ']')
	}
	if len(t.Statuses) > 0 {
		b = append(b, `,"statuses":[`...)
		ids := t.IDs()
		for i := range t.Statuses {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendStatusJSON(b, &t.Statuses[i], ids)
		}
		b = append(b, ']')
		if last := &t.Statuses[len(t.Statuses)-1]; len(last.UUID()) > 0 {
			if state, ok := last.State(); ok {
				b = taskStates.appendJSON(append(b, `,"status_update_state":`...), int32(state))
			}
			b = appendBytesJSON(append(b, `,"status_update_uuid":`...), last.UUID())
		}
	}
	info := t.Info
	if info == nil {
		return append(b, '}')
	}
	if info.Labels != nil {
		b = appendLabelsJSON(append(b, `,"labels":`...), info.Labels)
	}
	b = appendMessageJSON(b, `,"discovery":`, info.Discovery)
	b = appendMessageJSON(b, `,"container":`, info.Container)
	if cmd := info.GetCommand(); cmd != nil && cmd.User != nil {
		b = mesosjson.AppendString(append(b, `,"user":`...), *cmd.User)
	}
	b = appendMessageJSON(b, `,"health_check":`, info.HealthCheck)
	b = appendMessageJSON(b, `,"kill_policy":`, info.KillPolicy)
	return append(b, '}')
}

// appendMessageJSON appends key and m's Mesos JSON, nothing when m is nil.
func appendMessageJSON[M interface {
	comparable
	proto.Message
}](b []byte, key string, m M) []byte {
	var zero M
	if m == zero {
		return b
	}
	b = append(b, key...)
	b, _ = mesosjson.AppendMarshal(b, m) // records hold only valid messages
	return b
}

// appendIDJSON appends an ID message holding value.
func appendIDJSON(b []byte, value string) []byte {
	b = append(b, `{"value":`...)
	return append(mesosjson.AppendString(b, value), '}')
}

func appendBytesJSON(b []byte, v []byte) []byte {
	b = append(b, '"')
	b = base64.StdEncoding.AppendEncode(b, v)
	return append(b, '"')
}

// enumNames are an enum's values' names, quoted, by number.
type enumNames struct{ quoted [][]byte }

func enumTable(d protoreflect.EnumDescriptor) enumNames {
	var t enumNames
	vs := d.Values()
	for i := 0; i < vs.Len(); i++ {
		n := int(vs.Get(i).Number())
		if n < 0 || n > 1024 {
			continue // looked up through the descriptor
		}
		for len(t.quoted) <= n {
			t.quoted = append(t.quoted, nil)
		}
		if t.quoted[n] == nil { // the first name of an alias wins, as in protoreflect
			t.quoted[n] = mesosjson.AppendString(nil, string(vs.Get(i).Name()))
		}
	}
	return t
}

var (
	taskStates    = enumTable(mesos.TaskState(0).Descriptor())
	valueTypes    = enumTable(mesos.Value_Type(0).Descriptor())
	statusSources = enumTable(mesos.TaskStatus_Source(0).Descriptor())
	statusReasons = enumTable(mesos.TaskStatus_Reason(0).Descriptor())
)

// name is n's quoted name, nil when n has none.
func (t enumNames) name(n int32) []byte {
	if n >= 0 && int(n) < len(t.quoted) {
		return t.quoted[n]
	}
	return nil
}

// appendJSON appends n as mesosjson writes an enum: its name, or its
// number when it has none.
func (t enumNames) appendJSON(b []byte, n int32) []byte {
	if q := t.name(n); q != nil {
		return append(b, q...)
	}
	return strconv.AppendInt(b, int64(n), 10)
}

func appendResourceJSON(b []byte, r *mesos.Resource) []byte {
	if r == nil {
		return append(b, "{}"...)
	}
	// Every field is written after a comma; the first comma goes at the
	// end.
	start := len(b)
	b = append(b, '{')
	if r.Name != nil {
		b = mesosjson.AppendString(append(b, `,"name":`...), *r.Name)
	}
	if r.Type != nil {
		b = valueTypes.appendJSON(append(b, `,"type":`...), int32(*r.Type))
	}
	if s := r.Scalar; s != nil {
		if s.Value != nil {
			b = append(mesosjson.AppendDouble(append(b, `,"scalar":{"value":`...), *s.Value), '}')
		} else {
			b = append(b, `,"scalar":{}`...)
		}
	}
	if rs := r.Ranges; rs != nil {
		b = appendRangesJSON(append(b, `,"ranges":`...), rs)
	}
	if s := r.Set; s != nil {
		b = append(b, `,"set":{`...)
		if len(s.Item) > 0 {
			b = append(b, `"item":[`...)
			for i, item := range s.Item {
				if i > 0 {
					b = append(b, ',')
				}
				b = mesosjson.AppendString(b, item)
			}
			b = append(b, ']')
		}
		b = append(b, '}')
	}
	if r.Role != nil {
		b = mesosjson.AppendString(append(b, `,"role":`...), *r.Role)
	}
	b = appendMessageJSON(b, `,"disk":`, r.Disk)
	b = appendMessageJSON(b, `,"reservation":`, r.Reservation)
	b = appendMessageJSON(b, `,"revocable":`, r.Revocable)
	b = appendMessageJSON(b, `,"shared":`, r.Shared)
	if a := r.AllocationInfo; a != nil {
		if a.Role != nil {
			b = append(mesosjson.AppendString(append(b, `,"allocation_info":{"role":`...), *a.Role), '}')
		} else {
			b = append(b, `,"allocation_info":{}`...)
		}
	}
	b = appendMessageJSON(b, `,"provider_id":`, r.ProviderId)
	if len(r.Reservations) > 0 {
		b = append(b, `,"reservations":[`...)
		for i, res := range r.Reservations {
			if i > 0 {
				b = append(b, ',')
			}
			b, _ = mesosjson.AppendMarshal(b, res)
		}
		b = append(b, ']')
	}
	if len(b) > start+1 {
		b = append(b[:start+1], b[start+2:]...)
	}
	return append(b, '}')
}

func appendRangesJSON(b []byte, rs *mesos.Value_Ranges) []byte {
	if len(rs.Range) == 0 {
		return append(b, "{}"...)
	}
	b = append(b, `{"range":[`...)
	for i, r := range rs.Range {
		if i > 0 {
			b = append(b, ',')
		}
		switch {
		case r == nil:
			b = append(b, "{}"...)
		case r.Begin != nil && r.End != nil:
			b = strconv.AppendUint(append(b, `{"begin":`...), *r.Begin, 10)
			b = append(strconv.AppendUint(append(b, `,"end":`...), *r.End, 10), '}')
		default:
			b, _ = mesosjson.AppendMarshal(b, r)
		}
	}
	return append(b, "]}"...)
}

func appendLabelsJSON(b []byte, l *mesos.Labels) []byte {
	if len(l.Labels) == 0 {
		return append(b, "{}"...)
	}
	b = append(b, `{"labels":[`...)
	for i, label := range l.Labels {
		if i > 0 {
			b = append(b, ',')
		}
		switch {
		case label == nil:
			b = append(b, "{}"...)
		case label.Key != nil:
			b = mesosjson.AppendString(append(b, `{"key":`...), *label.Key)
			if label.Value != nil {
				b = mesosjson.AppendString(append(b, `,"value":`...), *label.Value)
			}
			b = append(b, '}')
		default:
			b, _ = mesosjson.AppendMarshal(b, label)
		}
	}
	return append(b, "]}"...)
}

// appendStatusJSON appends a kept status of the task with IDs ids.
func appendStatusJSON(b []byte, s *master.KeptStatus, ids master.TaskIDs) []byte {
	taskID := s.TaskID(ids)
	state, hasState := s.State()
	if !taskID.Present || taskID.Msg != nil || !hasState {
		b, _ = mesosjson.AppendMarshal(b, s.Proto(ids)) // not a status of the task as the master keeps it
		return b
	}
	b = appendIDJSON(append(b, `{"task_id":`...), taskID.Value)
	b = taskStates.appendJSON(append(b, `,"state":`...), int32(state))
	if msg, ok := s.Message(); ok {
		b = mesosjson.AppendString(append(b, `,"message":`...), msg)
	}
	b = appendStatusIDJSON(b, `,"agent_id":`, s.AgentID(ids))
	if ts, ok := s.Timestamp(); ok {
		b = mesosjson.AppendDouble(append(b, `,"timestamp":`...), ts)
	}
	b = appendStatusIDJSON(b, `,"executor_id":`, s.ExecutorID(ids))
	if healthy, ok := s.Healthy(); ok {
		b = strconv.AppendBool(append(b, `,"healthy":`...), healthy)
	}
	if source, ok := s.Source(); ok {
		b = statusSources.appendJSON(append(b, `,"source":`...), int32(source))
	}
	if reason, ok := s.Reason(); ok {
		b = statusReasons.appendJSON(append(b, `,"reason":`...), int32(reason))
	}
	if uuid := s.UUID(); uuid != nil {
		b = appendBytesJSON(append(b, `,"uuid":`...), uuid)
	}
	if r := s.Rare(); r != nil {
		b = appendRareStatusJSON(b, r)
	}
	return append(b, '}')
}

// appendStatusIDJSON appends key and a kept status's ID field.
func appendStatusIDJSON[M any, P interface {
	*M
	proto.Message
}](b []byte, key string, id master.IDField[M]) []byte {
	switch {
	case !id.Present:
		return b
	case id.Msg != nil:
		return appendMessageJSON(b, key, P(id.Msg))
	}
	return appendIDJSON(append(b, key...), id.Value)
}

// appendRareStatusJSON appends the fields of a status's Rare that come
// after its UUID.
func appendRareStatusJSON(b []byte, s *mesos.TaskStatus) []byte {
	if s.Labels != nil {
		b = appendLabelsJSON(append(b, `,"labels":`...), s.Labels)
	}
	b = appendMessageJSON(b, `,"container_status":`, s.ContainerStatus)
	if u := s.UnreachableTime; u != nil {
		if u.Nanoseconds != nil {
			b = strconv.AppendInt(append(b, `,"unreachable_time":{"nanoseconds":`...), *u.Nanoseconds, 10)
			b = append(b, '}')
		} else {
			b = append(b, `,"unreachable_time":{}`...)
		}
	}
	b = appendMessageJSON(b, `,"check_status":`, s.CheckStatus)
	return appendMessageJSON(b, `,"limitation":`, s.Limitation)
}
