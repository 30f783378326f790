package api

import (
	"encoding/json"
	"sort"
	"strconv"

	"github.com/agoraproject/agora/master"
	"github.com/agoraproject/agora/proto/resources"
)

// appendStateAgent appends mustJSON(renderAgent(*a)), an agent object of
// /master/state, written field by field in the order encoding/json writes
// the map's keys.
func appendStateAgent(b []byte, a *master.AgentView) []byte {
	start := len(b)
	var bad bool
	b = appendAgentFields(b, a, &bad)
	if bad { // a value encoding/json refuses: it renders the agent as null
		return append(b[:start], mustJSON(renderAgent(*a))...)
	}
	return b
}

// appendAgentReservations appends an agent's reserved_resources,
// resources and unreserved_resources, after a comma.
func appendAgentReservations(b []byte, a *master.AgentView, bad *bool) []byte {
	reserved := false
	for _, r := range a.Total {
		if resources.Role(r) != "*" {
			reserved = true
			break
		}
	}
	b = append(b, `,"reserved_resources":`...)
	unreserved := a.Total
	if reserved {
		b = appendAnyJSON(b, resources.FlattenReserved(a.Total), bad)
		unreserved = resources.Unreserved(a.Total)
	} else {
		b = append(b, "{}"...)
	}
	b = appendFlatResources(append(b, `,"resources":`...), a.Total, false)
	return appendFlatResources(append(b, `,"unreserved_resources":`...), unreserved, false)
}

func appendAgentFields(b []byte, a *master.AgentView, bad *bool) []byte {
	b = strconv.AppendBool(append(b, `{"active":`...), a.Connected)
	b = appendAnyJSON(append(b, `,"attributes":`...), flattenAttributes(a.Info.GetAttributes()), bad)
	b = appendAnyJSON(append(b, `,"capabilities":`...), agentCapabilities(a.Info), bad)
	b = appendGoString(append(b, `,"hostname":`...), a.Info.GetHostname())
	b = appendGoString(append(b, `,"id":`...), a.ID)
	b = appendFlatResources(append(b, `,"offered_resources":`...), a.Offered, false)
	b = appendGoString(append(b, `,"pid":`...), a.PID)
	b = strconv.AppendInt(append(b, `,"port":`...), int64(a.Info.GetPort()), 10)
	b = appendAnyJSON(append(b, `,"registered_time":`...), seconds(a.RegisteredAt), bad)
	b = appendAnyJSON(append(b, `,"reregistered_time":`...), optionalSeconds(a.ReregisteredAt), bad)
	b = appendAgentReservations(b, a, bad)
	b = appendFlatResources(append(b, `,"used_resources":`...), a.Used, false)
	b = appendGoString(append(b, `,"version":`...), a.Version)
	return append(b, '}')
}

// appendAnyJSON appends v as encoding/json would, for the values the
// state's maps hold; others go through encoding/json. bad is set when
// encoding/json would refuse v.
func appendAnyJSON(b []byte, v any, bad *bool) []byte {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...)
	case string:
		return appendGoString(b, v)
	case bool:
		return strconv.AppendBool(b, v)
	case float64:
		if v != v || v > 1.7976931348623157e308 || v < -1.7976931348623157e308 {
			*bad = true
			return b
		}
		return appendGoFloat(b, v)
	case []string:
		if v == nil {
			return append(b, "null"...)
		}
		b = append(b, '[')
		for i, s := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendGoString(b, s)
		}
		return append(b, ']')
	case map[string]any:
		return appendMapJSON(b, v, bad)
	case map[string]map[string]any:
		keys := sortedKeys(v)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendMapJSON(append(appendGoString(b, k), ':'), v[k], bad)
		}
		return append(b, '}')
	}
	enc, err := json.Marshal(v)
	if err != nil {
		*bad = true
		return b
	}
	return append(b, enc...)
}

func appendMapJSON(b []byte, m map[string]any, bad *bool) []byte {
	if m == nil {
		return append(b, "null"...)
	}
	keys := sortedKeys(m)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendAnyJSON(append(appendGoString(b, k), ':'), m[k], bad)
	}
	return append(b, '}')
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
