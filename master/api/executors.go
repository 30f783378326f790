package api

import (
	"sort"

	"github.com/agoraproject/agora/master"
	"github.com/agoraproject/agora/proto/resources"
)

// renderExecutors renders a framework's custom executors as Mesos's
// /master/state does: the ExecutorInfo's fields plus the agent it runs on.
func renderExecutors(f master.FrameworkView) []object {
	out := make([]object, 0, len(f.Executors))
	for _, e := range f.Executors {
		o := object{
			"executor_id":  e.ID,
			"name":         e.Info.GetName(),
			"framework_id": e.FrameworkID,
			"slave_id":     e.AgentID,
			"resources":    resources.Flatten(resources.StripAllocation(e.Resources)),
		}
		if e.Info.Type != nil {
			o["type"] = e.Info.GetType().String()
		}
		if e.Info.GetCommand() != nil {
			o["command"] = protoJSON(e.Info.GetCommand())
		}
		if e.Info.GetLabels() != nil {
			o["labels"] = protoJSON(e.Info.GetLabels())
		}
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a["slave_id"] != b["slave_id"] {
			return a["slave_id"].(string) < b["slave_id"].(string)
		}
		return a["executor_id"].(string) < b["executor_id"].(string)
	})
	return out
}
