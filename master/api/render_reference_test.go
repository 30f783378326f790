package api

import (
	"encoding/json"
	"sort"

	"github.com/agoraproject/agora/master"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	"github.com/agoraproject/agora/proto/resources"
)

// The map-based renderer /master/state had before it was assembled from
// cached pieces (render_state.go): the reference the fast one must match
// byte for byte (TestMasterStateMatchesReference).

func refRenderState(s *master.State) object {
	var activated, deactivated, unreachable int
	agents := make([]object, 0, len(s.Agents))
	for _, a := range s.Agents {
		switch {
		case a.Unreachable:
			unreachable++
			continue
		case a.Connected:
			activated++
		default:
			deactivated++
		}
		agents = append(agents, renderAgent(a))
	}
	workDirs := agentWorkDirs(s) // sandboxes.go
	frameworks := make([]object, 0, len(s.Frameworks))
	for _, f := range s.Frameworks {
		frameworks = append(frameworks, refWithSandboxes(refRenderFramework(f), f, workDirs))
	}
	completed := make([]object, 0, len(s.CompletedFrameworks))
	for _, f := range s.CompletedFrameworks {
		completed = append(completed, refWithSandboxes(refRenderFramework(f), f, workDirs))
	}
	flags := s.Flags
	if flags == nil {
		flags = map[string]string{}
	}
	return object{
		"version":                 master.Version,
		"git_sha":                 "",
		"build_date":              "",
		"build_time":              0,
		"build_user":              "",
		"start_time":              seconds(s.Start),
		"elected_time":            seconds(s.Start),
		"id":                      s.Info.GetId(),
		"pid":                     s.Info.GetPid(),
		"hostname":                s.Info.GetHostname(),
		"activated_slaves":        activated,
		"deactivated_slaves":      deactivated,
		"unreachable_slaves":      unreachable,
		"leader":                  s.Info.GetPid(),
		"leader_info":             protoJSON(s.Info),
		"flags":                   flags,
		"slaves":                  agents,
		"frameworks":              frameworks,
		"completed_frameworks":    completed,
		"orphan_tasks":            []object{},
		"unregistered_frameworks": []string{},
	}
}

func refRenderFramework(f master.FrameworkView) object {
	info := f.Info
	tasks := make([]object, 0, len(f.Tasks))
	unreachable := []object{}
	for _, t := range f.Tasks {
		if t.State == mesos.TaskState_TASK_UNREACHABLE {
			unreachable = append(unreachable, refRenderTask(t))
			continue
		}
		tasks = append(tasks, refRenderTask(t))
	}
	completed := make([]object, 0, len(f.CompletedTasks))
	for _, t := range f.CompletedTasks {
		completed = append(completed, refRenderTask(t))
	}
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
		"tasks":               tasks,
		"unreachable_tasks":   unreachable,
		"completed_tasks":     completed,
		"offers":              offers,
		"executors":           renderExecutors(f),
		"completed_executors": []object{},
	}
	if len(f.Roles) == 1 {
		out["role"] = f.Roles[0]
	}
	return out
}

func refWithSandboxes(o object, f master.FrameworkView, workDirs map[string]string) object {
	seen := map[executorRef]bool{}
	executors, _ := o["executors"].([]object)
	for _, e := range executors {
		ref := executorRef{str(e["slave_id"]), str(e["executor_id"])}
		seen[ref] = true
		e["id"] = ref.id // as in the agent's state.json
		e["directory"] = sandboxDirectory(workDirs[ref.agent], ref.agent, f.ID, ref.id)
	}
	executors = append(executors, refImpliedExecutors(f.Tasks, f.ID, workDirs, seen)...)
	completed, _ := o["completed_executors"].([]object)
	completed = append(completed, refImpliedExecutors(f.CompletedTasks, f.ID, workDirs, seen)...)
	refSortExecutors(executors)
	refSortExecutors(completed)
	o["executors"], o["completed_executors"] = executors, completed
	return o
}

func refImpliedExecutors(tasks []*master.TaskView, frameworkID string, workDirs map[string]string, seen map[executorRef]bool) []object {
	type implied struct {
		ref        executorRef
		kind, name string
		res        []*mesos.Resource
	}
	var found []*implied
	byRef := map[executorRef]*implied{}
	for _, t := range tasks {
		ref := executorRef{t.AgentID, t.ExecutorID}
		kind, name := "DEFAULT", ""
		switch ex := t.Info.GetExecutor(); {
		case ref.id == "":
			ref.id, kind, name = t.ID, "COMMAND", "Command Executor (Task: "+t.ID+")"
		case ex != nil:
			kind, name = "CUSTOM", ex.GetName()
		}
		if seen[ref] {
			continue
		}
		e := byRef[ref]
		if e == nil {
			e = &implied{ref: ref, kind: kind, name: name}
			byRef[ref] = e
			found = append(found, e)
		}
		e.res = resources.Add(e.res, resources.StripAllocation(t.Resources))
	}
	out := make([]object, 0, len(found))
	for _, e := range found {
		seen[e.ref] = true
		out = append(out, object{
			"id":           e.ref.id,
			"executor_id":  e.ref.id,
			"name":         e.name,
			"type":         e.kind,
			"framework_id": frameworkID,
			"slave_id":     e.ref.agent,
			"directory":    sandboxDirectory(workDirs[e.ref.agent], e.ref.agent, frameworkID, e.ref.id),
			"resources":    resources.Flatten(e.res),
		})
	}
	return out
}

func refSortExecutors(es []object) {
	sort.Slice(es, func(i, j int) bool {
		a, b := es[i], es[j]
		if str(a["slave_id"]) != str(b["slave_id"]) {
			return str(a["slave_id"]) < str(b["slave_id"])
		}
		return str(a["executor_id"]) < str(b["executor_id"])
	})
}

func refRenderTask(t *master.TaskView) object {
	statuses := make([]json.RawMessage, 0, len(t.Statuses))
	for i := range t.Statuses {
		statuses = append(statuses, protoJSON(t.Statuses[i].Proto(t.IDs())))
	}
	out := object{
		"id":           t.ID,
		"name":         t.Name,
		"framework_id": t.FrameworkID,
		"executor_id":  t.ExecutorID,
		"slave_id":     t.AgentID,
		"state":        t.State.String(),
		"resources":    resources.Flatten(resources.StripAllocation(t.Resources)),
		"role":         t.Role,
		"statuses":     statuses,
	}
	if t.Info != nil {
		if t.Info.Labels != nil {
			out["labels"] = protoJSON(t.Info.Labels)
		}
		if t.Info.Discovery != nil {
			out["discovery"] = protoJSON(t.Info.Discovery)
		}
		if t.Info.Container != nil {
			out["container"] = protoJSON(t.Info.Container)
		}
	}
	return out
}
