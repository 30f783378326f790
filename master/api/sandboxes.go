package api

import (
	"cmp"
	"path"
	"slices"

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

// executorEntry is one rendered executor of /master/state.
type executorEntry struct {
	ref executorRef
	b   []byte
}

// implied is an executor found through its tasks.
type implied struct {
	ref        executorRef
	kind, name string
	tasks      []*master.TaskView
	list       *[]*master.TaskView // the list the group was found in
}

// frameworkExecutors renders a framework's executors with their sandbox
// directories: custom executors the master accounts for, then the
// executors implied by tasks, those of live tasks in the first list and
// the others in the second, each ordered by agent and executor ID. The
// executor of a single task (a command task's, nearly always) is kept in
// the cache with the task.
func frameworkExecutors(f *master.FrameworkView, workDirs map[string]string, encoded *int) (live, completed []executorEntry) {
	seen := make(map[executorRef]*implied, len(f.Tasks)+len(f.CompletedTasks))
	for _, e := range renderExecutors(*f) {
		ref := executorRef{str(e["slave_id"]), str(e["executor_id"])}
		seen[ref] = nil
		e["id"] = ref.id // as in the agent's state.json
		e["directory"] = sandboxDirectory(workDirs[ref.agent], ref.agent, f.ID, ref.id)
		live = append(live, executorEntry{ref, mustJSON(e)})
	}
	live = appendImplied(live, impliedExecutors(f.Tasks, seen), f.ID, workDirs, encoded)
	completed = appendImplied(completed, impliedExecutors(f.CompletedTasks, seen), f.ID, workDirs, encoded)
	sortExecutors(live)
	sortExecutors(completed)
	return live, completed
}

// impliedExecutors groups tasks by agent and executor ID, skipping
// executors already in seen, and adds the groups to seen. Groups of this
// list are in seen too, so that one map serves both.
func impliedExecutors(tasks []*master.TaskView, seen map[executorRef]*implied) []*implied {
	var found []*implied
	list := &tasks // identifies this list's groups in seen
	for i := range tasks {
		t := tasks[i]
		ref := executorRef{t.AgentID, t.ExecutorID}
		kind, name := "DEFAULT", ""
		switch ex := t.Info.GetExecutor(); {
		case ref.id == "":
			ref.id, kind, name = t.ID, "COMMAND", "Command Executor (Task: "+t.ID+")"
		case ex != nil:
			kind, name = "CUSTOM", ex.GetName()
		}
		if e, ok := seen[ref]; ok {
			if e != nil && e.list == list {
				e.tasks = append(e.tasks, t)
			}
			continue
		}
		e := &implied{ref: ref, kind: kind, name: name, tasks: []*master.TaskView{t}, list: list}
		seen[ref] = e
		found = append(found, e)
	}
	return found
}

func appendImplied(out []executorEntry, found []*implied, frameworkID string, workDirs map[string]string, encoded *int) []executorEntry {
	for _, e := range found {
		workDir := workDirs[e.ref.agent]
		render := func(*master.TaskView) []byte {
			var res []*mesos.Resource
			for _, t := range e.tasks {
				res = resources.Add(res, resources.StripAllocation(t.Resources))
			}
			return mustJSON(executorObject{
				ID:          e.ref.id,
				ExecutorID:  e.ref.id,
				Name:        e.name,
				Type:        e.kind,
				FrameworkID: frameworkID,
				SlaveID:     e.ref.agent,
				Directory:   sandboxDirectory(workDir, e.ref.agent, frameworkID, e.ref.id),
				Resources:   resources.Flatten(res),
			})
		}
		var b []byte
		if len(e.tasks) == 1 {
			b = taskBytes(e.tasks[0], slotExecutor, workDir, encoded, render)
		} else {
			*encoded++
			b = render(nil)
		}
		out = append(out, executorEntry{e.ref, b})
	}
	return out
}

// executorObject is an executor implied by tasks, its fields in the order
// encoding/json writes a map's keys.
type executorObject struct {
	Directory   string         `json:"directory"`
	ExecutorID  string         `json:"executor_id"`
	FrameworkID string         `json:"framework_id"`
	ID          string         `json:"id"`
	Name        string         `json:"name"`
	Resources   map[string]any `json:"resources"`
	SlaveID     string         `json:"slave_id"`
	Type        string         `json:"type"`
}

func sortExecutors(es []executorEntry) {
	slices.SortFunc(es, func(a, b executorEntry) int {
		if c := cmp.Compare(a.ref.agent, b.ref.agent); c != 0 {
			return c
		}
		return cmp.Compare(a.ref.id, b.ref.id)
	})
}

func str(v any) string {
	s, _ := v.(string)
	return s
}
