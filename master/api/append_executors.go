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
func commandExecutors(f *master.FrameworkView, commands *taskFill, ranks *agentRanks) (live, completed []executorEntry, ok bool) {
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
	live = ranks.byAgent(f, f.Tasks, commands)
	completed = ranks.byAgent(f, ended, commands)
	return live, completed, true
}

// agentRanks numbers a state's agents in ID order (State.Agents is
// sorted), so that command executors are put in agent order by counting
// rather than by hashing and sorting agent IDs for each framework: a cold
// read orders 100,000 of them.
type agentRanks struct {
	rank     map[string]int32
	start    []int32 // by rank: scratch, zero between uses
	ranks    []int32 // scratch: the rank of each task
	distinct []int32 // scratch: the ranks present
}

// newAgentRanks ranks agents, which are in ID order (nil if they are
// not).
func newAgentRanks(agents []master.AgentView) *agentRanks {
	r := &agentRanks{rank: make(map[string]int32, len(agents)), start: make([]int32, len(agents))}
	for i := range agents {
		if i > 0 && agents[i-1].ID >= agents[i].ID {
			return nil
		}
		r.rank[agents[i].ID] = int32(i)
	}
	return r
}

// byAgent renders the executors of command tasks ordered by ID, ordered by
// agent and ID. Without ranks (nil), or for a task on an agent the state
// does not list, the agents are hashed and sorted.
func (r *agentRanks) byAgent(f *master.FrameworkView, tasks []*master.TaskView, commands *taskFill) []executorEntry {
	if len(tasks) == 0 {
		return nil
	}
	if r == nil {
		return byAgent(f, tasks, commands)
	}
	ranks, distinct := r.ranks[:0], r.distinct[:0]
	for _, t := range tasks {
		k, ok := r.rank[t.AgentID]
		if !ok {
			for _, k := range distinct {
				r.start[k] = 0
			}
			return byAgent(f, tasks, commands)
		}
		if r.start[k] == 0 {
			distinct = append(distinct, k)
		}
		r.start[k]++
		ranks = append(ranks, k)
	}
	slices.Sort(distinct)
	at := int32(0)
	for _, k := range distinct {
		n := r.start[k]
		r.start[k] = at
		at += n
	}
	out := make([]executorEntry, len(tasks))
	for i, t := range tasks {
		yield(i)
		k := ranks[i]
		out[r.start[k]] = executorEntry{executorRef{t.AgentID, t.ID}, commands.bytes(f, t)}
		r.start[k]++
	}
	for _, k := range distinct {
		r.start[k] = 0
	}
	r.ranks, r.distinct = ranks, distinct
	return out
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
