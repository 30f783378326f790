package api

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/agoraproject/agora/frameworks/marathon/state"
)

// Tasks dominate the size of GET /v2/apps?embed=apps.tasks and /v2/tasks
// (10,000 tasks ≈ 6 MB), so they are encoded by hand rather than through
// reflection. The output is byte-for-byte what encoding/json writes for
// state.Task (with nil lists as []); a test compares the two and fails when
// state.Task gains a field this encoder does not know.

func appendTasksJSON(buf *bytes.Buffer, tasks []state.Task) {
	buf.WriteByte('[')
	for i := range tasks {
		if i > 0 {
			buf.WriteByte(',')
		}
		appendTaskJSON(buf, &tasks[i])
	}
	buf.WriteByte(']')
}

func appendTaskJSON(buf *bytes.Buffer, t *state.Task) {
	buf.WriteString(`{"id":`)
	appendJSONString(buf, t.ID)
	buf.WriteString(`,"appId":`)
	appendJSONString(buf, t.AppID)
	buf.WriteString(`,"host":`)
	appendJSONString(buf, t.Host)
	buf.WriteString(`,"slaveId":`)
	appendJSONString(buf, t.SlaveID)
	buf.WriteString(`,"ports":`)
	appendInts(buf, t.Ports)
	buf.WriteString(`,"servicePorts":`)
	appendInts(buf, t.ServicePorts)
	buf.WriteString(`,"ipAddresses":[`)
	for i, a := range t.IPAddresses {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.WriteString(`{"ipAddress":`)
		appendJSONString(buf, a.IPAddress)
		buf.WriteString(`,"protocol":`)
		appendJSONString(buf, a.Protocol)
		buf.WriteByte('}')
	}
	buf.WriteByte(']')
	if t.StagedAt != "" {
		buf.WriteString(`,"stagedAt":`)
		appendJSONString(buf, t.StagedAt)
	}
	if t.StartedAt != "" {
		buf.WriteString(`,"startedAt":`)
		appendJSONString(buf, t.StartedAt)
	}
	buf.WriteString(`,"version":`)
	appendJSONString(buf, t.Version)
	buf.WriteString(`,"state":`)
	appendJSONString(buf, t.State)
	if len(t.HealthCheckResults) > 0 {
		buf.WriteString(`,"healthCheckResults":[`)
		for i := range t.HealthCheckResults {
			if i > 0 {
				buf.WriteByte(',')
			}
			appendHealthJSON(buf, &t.HealthCheckResults[i])
		}
		buf.WriteByte(']')
	}
	buf.WriteString(`,"localVolumes":`)
	if len(t.LocalVolumes) == 0 {
		buf.WriteString("[]")
	} else if b, err := json.Marshal(t.LocalVolumes); err == nil {
		buf.Write(b)
	} else {
		buf.WriteString("[]")
	}
	buf.WriteByte('}')
}

func appendHealthJSON(buf *bytes.Buffer, h *state.HealthCheckResult) {
	buf.WriteString(`{"alive":`)
	buf.WriteString(strconv.FormatBool(h.Alive))
	buf.WriteString(`,"consecutiveFailures":`)
	buf.WriteString(strconv.Itoa(h.ConsecutiveFailures))
	for _, f := range [...]struct{ name, v string }{
		{"firstSuccess", h.FirstSuccess}, {"lastFailure", h.LastFailure},
		{"lastSuccess", h.LastSuccess}, {"lastFailureCause", h.LastFailureCause},
	} {
		if f.v != "" {
			buf.WriteString(`,"`)
			buf.WriteString(f.name)
			buf.WriteString(`":`)
			appendJSONString(buf, f.v)
		}
	}
	buf.WriteString(`,"instanceId":`)
	appendJSONString(buf, h.InstanceID)
	buf.WriteByte('}')
}

func appendInts(buf *bytes.Buffer, v []int) {
	buf.WriteByte('[')
	var tmp [20]byte
	for i, n := range v {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(strconv.AppendInt(tmp[:0], int64(n), 10))
	}
	buf.WriteByte(']')
}

// appendJSONString writes s as a JSON string the way encoding/json does:
// plain ASCII is copied; anything else goes through encoding/json.
func appendJSONString(buf *bytes.Buffer, s string) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x80 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			b, _ := json.Marshal(s)
			buf.Write(b)
			return
		}
	}
	buf.WriteByte('"')
	buf.WriteString(s)
	buf.WriteByte('"')
}
