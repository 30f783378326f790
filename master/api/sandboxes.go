package api

import (
	"path"
	"sort"

	"github.com/agoraproject/agora/master"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	"github.com/agoraproject/agora/proto/resources"
)

// Sandbox directories in /master/state. Mesos's master state lists only
// custom executors and leaves directories to the agents' state; the web UI
// and CLIs then ask every agent. Agora's master lists every executor —
// custom ones, the default executors of task groups and the command
// executor of each command task (whose executor ID is the task ID) — each
// with the directory of its latest run on its agent, so a client can go
// straight to the agent's /files/read with it.

// sandboxDirectory is the latest run of an executor in the layout agents
// create (docs/architecture.md, "Sandboxes"), or "" when the agent did not
// report its work directory.
func sandboxDirectory(workDir, agentID, frameworkID, executorID string) string {
	if workDir == "" {
		return ""
	}
	return path.Join(workDir, "slaves", agentID, "frameworks", frameworkID, "executors", executorID, "runs", "latest")
}

// agentWorkDirs maps agent IDs to their reported work directories.
func agentWorkDirs(s *master.State) map[string]string {
	out := make(map[string]string, len(s.Agents))
	for _, a := range s.Agents {
		out[a.ID] = a.WorkDir
	}
	return out
}

type executorRef struct{ agent, id string }

// withSandboxes completes a rendered framework: the executors already
// listed (custom executors) get their directory, and executors implied by
// tasks are added, those of live tasks to "executors" and the others to
// "completed_executors".
func withSandboxes(o object, f master.FrameworkView, workDirs map[string]string) object {
	seen := map[executorRef]bool{}
	executors, _ := o["executors"].([]object)
	for _, e := range executors {
		ref := executorRef{str(e["slave_id"]), str(e["executor_id"])}
		seen[ref] = true
		e["id"] = ref.id // as in the agent's state.json
		e["directory"] = sandboxDirectory(workDirs[ref.agent], ref.agent, f.ID, ref.id)
	}
	executors = append(executors, impliedExecutors(f.Tasks, f.ID, workDirs, seen)...)
	completed, _ := o["completed_executors"].([]object)
	completed = append(completed, impliedExecutors(f.CompletedTasks, f.ID, workDirs, seen)...)
	sortExecutors(executors)
	sortExecutors(completed)
	o["executors"], o["completed_executors"] = executors, completed
	return o
}

// impliedExecutors renders the executors of tasks that are not in seen,
// one per agent and executor ID, and adds them to seen.
func impliedExecutors(tasks []master.TaskView, frameworkID string, workDirs map[string]string, seen map[executorRef]bool) []object {
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

func sortExecutors(es []object) {
	sort.Slice(es, func(i, j int) bool {
		a, b := es[i], es[j]
		if str(a["slave_id"]) != str(b["slave_id"]) {
			return str(a["slave_id"]) < str(b["slave_id"])
		}
		return str(a["executor_id"]) < str(b["executor_id"])
	})
}

func str(v any) string {
	s, _ := v.(string)
	return s
}
