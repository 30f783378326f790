package api

import (
	"encoding/json"
	"sort"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/master"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	"github.com/agoraproject/agora/proto/mesosjson"
	"github.com/agoraproject/agora/proto/resources"
)

// The functions below render the parts of a master.State in the JSON shape
// of Mesos's /master/state and /master/state-summary, which dashboards and
// CLIs parse; render_state.go assembles /master/state from them.

type object = map[string]any

func renderAgent(a master.AgentView) object {
	return object{
		"id":                   a.ID,
		"pid":                  a.PID,
		"hostname":             a.Info.GetHostname(),
		"port":                 a.Info.GetPort(),
		"registered_time":      seconds(a.RegisteredAt),
		"reregistered_time":    optionalSeconds(a.ReregisteredAt),
		"resources":            resources.Flatten(a.Total),
		"used_resources":       resources.Flatten(a.Used),
		"offered_resources":    resources.Flatten(a.Offered),
		"reserved_resources":   resources.FlattenReserved(a.Total),
		"unreserved_resources": resources.Flatten(resources.Unreserved(a.Total)),
		"attributes":           flattenAttributes(a.Info.GetAttributes()),
		"active":               a.Connected,
		"version":              a.Version,
		"capabilities":         agentCapabilities(a.Info),
	}
}

// frameworkObject renders a framework without its task and executor
// lists, which render_state.go splices in from cached pieces.
func frameworkObject(f master.FrameworkView) object {
	info := f.Info
	offers := make([]object, 0, len(f.Offers))
	for _, o := range f.Offers {
		offers = append(offers, object{
			"id": o.ID, "framework_id": o.FrameworkID, "slave_id": o.AgentID,
			"resources": resources.Flatten(resources.StripAllocation(o.Resources)),
		})
	}
	caps := []string{}
	for _, c := range info.GetCapabilities() {
		caps = append(caps, c.GetType().String())
	}
	used := resources.Flatten(f.Used)
	out := object{
		"id":                  f.ID,
		"name":                info.GetName(),
		"user":                info.GetUser(),
		"hostname":            info.GetHostname(),
		"webui_url":           info.GetWebuiUrl(),
		"principal":           info.GetPrincipal(),
		"failover_timeout":    info.GetFailoverTimeout(),
		"checkpoint":          info.GetCheckpoint(),
		"roles":               f.Roles,
		"capabilities":        caps,
		"registered_time":     seconds(f.RegisteredAt),
		"reregistered_time":   optionalSeconds(f.ReregisteredAt),
		"unregistered_time":   optionalSeconds(f.UnregisteredAt),
		"active":              f.Connected,
		"connected":           f.Connected,
		"recovered":           f.Recovered,
		"resources":           used,
		"allocated_resources": used,
		"used_resources":      used,
		"offered_resources":   resources.Flatten(f.Offered),
		"offers":              offers,
	}
	if len(f.Roles) == 1 {
		out["role"] = f.Roles[0]
	}
	return out
}

// taskObject is a task of /master/state. Its fields are in the order
// encoding/json writes a map's keys, so it encodes as the map form of the
// object would, in half the time (BenchmarkTaskObject).
type taskObject struct {
	Container   json.RawMessage   `json:"container,omitempty"`
	Discovery   json.RawMessage   `json:"discovery,omitempty"`
	ExecutorID  string            `json:"executor_id"`
	FrameworkID string            `json:"framework_id"`
	ID          string            `json:"id"`
	Labels      json.RawMessage   `json:"labels,omitempty"`
	Name        string            `json:"name"`
	Resources   map[string]any    `json:"resources"`
	Role        string            `json:"role"`
	SlaveID     string            `json:"slave_id"`
	State       string            `json:"state"`
	Statuses    []json.RawMessage `json:"statuses"`
}

func renderTask(t *master.TaskView) taskObject {
	statuses := make([]json.RawMessage, 0, len(t.Statuses))
	ids := t.IDs()
	for i := range t.Statuses {
		statuses = append(statuses, protoJSON(t.Statuses[i].Proto(ids)))
	}
	out := taskObject{
		ID:          t.ID,
		Name:        t.Name,
		FrameworkID: t.FrameworkID,
		ExecutorID:  t.ExecutorID,
		SlaveID:     t.AgentID,
		State:       t.State.String(),
		Resources:   resources.Flatten(resources.StripAllocation(t.Resources)),
		Role:        t.Role,
		Statuses:    statuses,
	}
	if t.Info != nil {
		if t.Info.Labels != nil {
			out.Labels = protoJSON(t.Info.Labels)
		}
		if t.Info.Discovery != nil {
			out.Discovery = protoJSON(t.Info.Discovery)
		}
		if t.Info.Container != nil {
			out.Container = protoJSON(t.Info.Container)
		}
	}
	return out
}

var summaryStates = []string{"TASK_STAGING", "TASK_STARTING", "TASK_RUNNING", "TASK_KILLING", "TASK_FINISHED",
	"TASK_KILLED", "TASK_FAILED", "TASK_LOST", "TASK_ERROR", "TASK_UNREACHABLE"}

// flattenAttributes renders attributes as Mesos does: scalars as numbers,
// text as strings, ranges and sets in their text form.
func flattenAttributes(attrs []*mesos.Attribute) object {
	out := object{}
	for _, a := range attrs {
		switch a.GetType() {
		case mesos.Value_SCALAR:
			out[a.GetName()] = a.GetScalar().GetValue()
		case mesos.Value_TEXT:
			out[a.GetName()] = a.GetText().GetValue()
		case mesos.Value_RANGES:
			out[a.GetName()] = resources.Flatten([]*mesos.Resource{{
				Name: a.Name, Type: mesos.Value_RANGES.Enum(), Ranges: a.Ranges,
			}})[a.GetName()]
		case mesos.Value_SET:
			out[a.GetName()] = resources.Flatten([]*mesos.Resource{{
				Name: a.Name, Type: mesos.Value_SET.Enum(), Set: a.Set,
			}})[a.GetName()]
		}
	}
	return out
}

func agentCapabilities(info *mesos.AgentInfo) []string {
	return []string{"MULTI_ROLE", "HIERARCHICAL_ROLE", "RESERVATION_REFINEMENT", "TASK_KILLING_STATE"}
}

// protoJSON embeds a protobuf message in Mesos's JSON form.
func protoJSON(m proto.Message) json.RawMessage {
	b, err := mesosjson.Marshal(m)
	if err != nil {
		return json.RawMessage("null")
	}
	return b
}

func seconds(t time.Time) float64 {
	return float64(t.UnixNano()) / 1e9
}

func optionalSeconds(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return seconds(t)
}

func sortStrings(s []string) { sort.Strings(s) }
