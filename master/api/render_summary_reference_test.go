package api

import (
	"github.com/agoraproject/agora/master"
	"github.com/agoraproject/agora/proto/resources"
)

// The map-based /master/state-summary renderer, the reference
// appendSummary (append_summary.go) must match byte for byte once
// encoded.

func refRenderSummary(s *master.State) object {
	agents := make([]object, 0, len(s.Agents))
	frameworksOnAgent := map[string]map[string]bool{}
	agentsOfFramework := map[string]map[string]bool{}
	countsByAgent := map[string]map[string]int{}
	countsByFramework := map[string]map[string]int{}
	for _, f := range s.Frameworks {
		for _, t := range f.Tasks {
			add(frameworksOnAgent, t.AgentID, f.ID)
			add(agentsOfFramework, f.ID, t.AgentID)
			count(countsByAgent, t.AgentID, t.State.String())
			count(countsByFramework, f.ID, t.State.String())
		}
		for _, t := range f.CompletedTasks {
			count(countsByAgent, t.AgentID, t.State.String())
			count(countsByFramework, f.ID, t.State.String())
		}
	}
	for _, a := range s.Agents {
		if a.Unreachable {
			continue
		}
		o := object{
			"id": a.ID, "pid": a.PID, "hostname": a.Info.GetHostname(),
			"registered_time":      seconds(a.RegisteredAt),
			"resources":            resources.Flatten(a.Total),
			"used_resources":       resources.Flatten(a.Used),
			"offered_resources":    resources.Flatten(a.Offered),
			"reserved_resources":   resources.FlattenReserved(a.Total),
			"unreserved_resources": resources.Flatten(resources.Unreserved(a.Total)),
			"attributes":           flattenAttributes(a.Info.GetAttributes()),
			"active":               a.Connected,
			"version":              a.Version,
			"framework_ids":        keys(frameworksOnAgent[a.ID]),
		}
		addCounts(o, countsByAgent[a.ID])
		agents = append(agents, o)
	}
	frameworks := make([]object, 0, len(s.Frameworks))
	for _, f := range s.Frameworks {
		caps := []string{}
		for _, c := range f.Info.GetCapabilities() {
			caps = append(caps, c.GetType().String())
		}
		o := object{
			"id": f.ID, "name": f.Info.GetName(), "hostname": f.Info.GetHostname(),
			"webui_url": f.Info.GetWebuiUrl(), "active": f.Connected, "capabilities": caps,
			"used_resources":    resources.Flatten(f.Used),
			"offered_resources": resources.Flatten(f.Offered),
			"slave_ids":         keys(agentsOfFramework[f.ID]),
		}
		addCounts(o, countsByFramework[f.ID])
		frameworks = append(frameworks, o)
	}
	return object{"hostname": s.Info.GetHostname(), "cluster": "", "slaves": agents, "frameworks": frameworks}
}

func addCounts(o object, counts map[string]int) {
	for _, s := range summaryStates {
		o[s] = counts[s]
	}
}

func add(m map[string]map[string]bool, k, v string) {
	if m[k] == nil {
		m[k] = map[string]bool{}
	}
	m[k][v] = true
}

func count(m map[string]map[string]int, k, state string) {
	if m[k] == nil {
		m[k] = map[string]int{}
	}
	m[k][state]++
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sortStrings(out)
	return out
}
