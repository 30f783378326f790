package api

import (
	"cmp"
	"slices"
	"sort"

	"github.com/agoraproject/agora/master"
)

// commandExecutors is frameworkExecutors (sandboxes.go) for the common
// framework, whose tasks are all command tasks and which has no custom
// executor: each task is its executor's only task, so the lists are the
// tasks' kept executor objects. The live tasks come ordered by ID; they
// are put in executor order (agent, then ID) by bucketing them by agent,
// without a map or a sort over all of them. ok is false for any other
// framework.
func commandExecutors(f *master.FrameworkView, commands *taskFill) (live, completed []executorEntry, ok bool) {
	if len(f.Executors) > 0 {
		return nil, nil, false
	}
	for _, ts := range [][]*master.TaskView{f.Tasks, f.CompletedTasks} {
		for _, t := range ts {
			if t.ExecutorID != "" {
				return nil, nil, false
			}
		}
	}
	// A completed task is listed unless a live task has its ID on the same
	// agent; two completed ones with one ID on one agent share an
	// executor, which frameworkExecutors renders.
	var ended []*master.TaskView
	seen := make(map[executorRef]bool, len(f.CompletedTasks))
	for _, t := range f.CompletedTasks {
		ref := executorRef{t.AgentID, t.ID}
		if seen[ref] {
			return nil, nil, false
		}
		seen[ref] = true
		at, found := slices.BinarySearchFunc(f.Tasks, t.ID, func(v *master.TaskView, id string) int { return cmp.Compare(v.ID, id) })
		if found && f.Tasks[at].AgentID == t.AgentID {
			continue
		}
		ended = append(ended, t)
	}
	slices.SortFunc(ended, func(a, b *master.TaskView) int { return cmp.Compare(a.ID, b.ID) }) // oldest first until now
	live = byAgent(f, f.Tasks, commands)
	completed = byAgent(f, ended, commands)
	return live, completed, true
}

// byAgent renders the executors of command tasks ordered by ID, ordered by
// agent and ID.
func byAgent(f *master.FrameworkView, tasks []*master.TaskView, commands *taskFill) []executorEntry {
	if len(tasks) == 0 {
		return nil
	}
	bucket := map[string]int{}
	var agents []string
	for _, t := range tasks {
		if _, ok := bucket[t.AgentID]; !ok {
			bucket[t.AgentID] = 0
			agents = append(agents, t.AgentID)
		}
	}
	sort.Strings(agents)
	counts := make([]int, len(agents))
	for i, a := range agents {
		bucket[a] = i
	}
	which := make([]int32, len(tasks))
	for i, t := range tasks {
		b := bucket[t.AgentID]
		which[i] = int32(b)
		counts[b]++
	}
	next := make([]int, len(agents))
	for i := 1; i < len(agents); i++ {
		next[i] = next[i-1] + counts[i-1]
	}
	out := make([]executorEntry, len(tasks))
	for i, t := range tasks {
		yield(i)
		out[next[which[i]]] = executorEntry{executorRef{t.AgentID, t.ID}, commands.bytes(f, t)}
		next[which[i]]++
	}
	return out
}
