package master

import (
	"slices"
	"sync"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// sumCache keeps a State's sums from one read to the next. Each
// framework's tasks are grouped by agent; while the framework has the same
// tasks (FrameworkView.TaskSet), the grouping is kept too, and only the
// groups holding a task whose view changed are added up again. A
// framework's or agent's total whose items did not change keeps its
// resources. Totals add the groups' items in group order, so an item's
// place in a total can differ from its first appearance among all tasks;
// the totals are equal as resource sets.
//
// Agents are numbered (slots) once and for all, so that grouping and
// totals index arrays instead of hashing agent IDs: a framework of 1,000
// tasks on 1,000 agents makes 1,000 groups, and a cold read groups
// 100,000 tasks.
type sumCache struct {
	mu          sync.Mutex
	frameworks  map[string]*frameworkSums
	slots       agentSlots
	byAgent     []*sumResult // by slot
	byFramework map[string]*sumResult
}

// agentSlots numbers agent IDs in first-seen order.
type agentSlots struct {
	index map[string]int32
	ids   []string
}

func (a *agentSlots) slot(id string) int32 {
	if s, ok := a.index[id]; ok {
		return s
	}
	if a.index == nil {
		a.index = map[string]int32{}
	}
	s := int32(len(a.ids))
	a.index[id] = s
	a.ids = append(a.ids, id)
	return s
}

// frameworkSums is one framework's tasks (in ID order) grouped by agent.
type frameworkSums struct {
	taskSet uint64
	tasks   []*TaskView
	group   []int32 // the group of each task
	agents  []int32 // the agent slot of each group
	start   []int32 // group g's tasks are order[start[g]:start[g+1]]
	order   []int32
	sums    []usedSum // of each group
}

func (fs *frameworkSums) members(g int) []int32 { return fs.order[fs.start[g]:fs.start[g+1]] }

type sumResult struct {
	items []sumItem
	res   []*mesos.Resource
}

// sums sets the used resources of frameworks (from their live tasks:
// tasks[i] are frameworks[i]'s, in order) and of agents.
func (c *sumCache) sums(frameworks []FrameworkView, tasks [][]*TaskView, agents []AgentView) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.slots.ids) > 2*len(agents)+1024 {
		// Agents that left keep their slots until they are most of them.
		c.slots, c.frameworks, c.byAgent = agentSlots{}, nil, nil
	}
	// Frameworks are grouped side by side, on agents numbered first; a
	// framework with a task on an agent not in the state is grouped
	// afterwards, numbering that agent.
	for i := range agents {
		c.slots.slot(agents[i].ID)
	}
	w := workers(taskCount(frameworks))
	scratch := make([][]int32, w)
	grouped := make([]*frameworkSums, len(frameworks))
	eachIndex(len(frameworks), w, func(i, worker int) {
		f := &frameworks[i]
		grouped[i] = c.update(&scratch[worker], false, c.frameworks[f.ID], f.TaskSet, tasks[i])
	})
	next := make(map[string]*frameworkSums, len(frameworks))
	var numbering []int32 // scratch of the frameworks grouped afterwards
	for i := range frameworks {
		f := &frameworks[i]
		if grouped[i] == nil {
			grouped[i] = c.update(&numbering, true, c.frameworks[f.ID], f.TaskSet, tasks[i])
		}
		next[f.ID] = grouped[i]
	}
	agentTotals := make([]usedSum, len(c.slots.ids))
	frameworkResults := make(map[string]*sumResult, len(frameworks))
	for i, fs := range grouped {
		var total usedSum
		for g := range fs.sums {
			items := fs.sums[g].items
			total.addItems(items)
			agentTotals[fs.agents[g]].addItems(items)
		}
		r := c.byFramework[frameworks[i].ID].reuse(total.items)
		frameworkResults[frameworks[i].ID] = r
		frameworks[i].Used = r.res
	}
	byAgent := make([]*sumResult, len(agentTotals))
	for s := range agentTotals {
		if len(agentTotals[s].items) == 0 {
			continue
		}
		var prev *sumResult
		if s < len(c.byAgent) {
			prev = c.byAgent[s]
		}
		byAgent[s] = prev.reuse(agentTotals[s].items)
	}
	for i := range agents {
		if s, ok := c.slots.index[agents[i].ID]; ok && byAgent[s] != nil {
			agents[i].Used = byAgent[s].res
		}
	}
	c.frameworks, c.byFramework, c.byAgent = next, frameworkResults, byAgent
}

// reuse is r when it sums the same items, else the sum of items.
func (r *sumResult) reuse(items []sumItem) *sumResult {
	if r != nil && slices.Equal(r.items, items) {
		return r
	}
	s := usedSum{items: items}
	return &sumResult{items: items, res: s.resources()}
}

// update returns the framework's sums for tasks, reusing what prev (nil
// for none) has for the same tasks. Grouping uses scratch; it numbers
// agents that have no slot yet if number is set, and otherwise gives up
// (nil) on a task of such an agent.
func (c *sumCache) update(scratch *[]int32, number bool, prev *frameworkSums, taskSet uint64, tasks []*TaskView) *frameworkSums {
	if prev == nil || taskSet == 0 || prev.taskSet != taskSet || len(prev.tasks) != len(tasks) {
		return c.groupTasks(scratch, number, taskSet, tasks)
	}
	var dirty []int32
	for i, t := range tasks {
		if t != prev.tasks[i] {
			dirty = append(dirty, prev.group[i])
		}
	}
	if len(dirty) == 0 {
		return prev
	}
	fs := *prev
	fs.tasks = tasks
	fs.sums = slices.Clone(prev.sums)
	slices.Sort(dirty)
	for _, g := range slices.Compact(dirty) {
		var s usedSum
		s.addTasks(tasks, fs.members(int(g)))
		fs.sums[g] = s
	}
	return &fs
}

// groupTasks groups tasks by agent, in first-seen order, and sums each
// group. The groups' items share one array per worker.
func (c *sumCache) groupTasks(scratch *[]int32, number bool, taskSet uint64, tasks []*TaskView) *frameworkSums {
	fs := &frameworkSums{taskSet: taskSet, tasks: tasks, group: make([]int32, len(tasks))}
	at := *scratch // by slot: the group, or -1
	defer func() {
		for _, s := range fs.agents {
			at[s] = -1
		}
		*scratch = at
	}()
	for i, t := range tasks {
		s, ok := c.slots.index[t.AgentID]
		if !ok {
			if !number {
				return nil
			}
			s = c.slots.slot(t.AgentID)
		}
		for int(s) >= len(at) {
			at = append(at, -1)
		}
		g := at[s]
		if g < 0 {
			g = int32(len(fs.agents))
			at[s] = g
			fs.agents = append(fs.agents, s)
		}
		fs.group[i] = g
	}
	// The members of each group, in task order (a counting sort).
	fs.start = make([]int32, len(fs.agents)+1)
	for _, g := range fs.group {
		fs.start[g+1]++
	}
	for g := range fs.agents {
		fs.start[g+1] += fs.start[g]
	}
	fs.order = make([]int32, len(tasks))
	fill := slices.Clone(fs.start[:len(fs.agents)])
	for i, g := range fs.group {
		fs.order[fill[g]] = int32(i)
		fill[g]++
	}
	fs.sums = make([]usedSum, len(fs.agents))
	eachChunk(len(fs.sums), workers(len(tasks)), func(lo, hi int) {
		arena := make([]sumItem, 0, 3*(hi-lo))
		ends := make([]int, hi-lo)
		var s usedSum
		for g := lo; g < hi; g++ {
			s.items = s.items[:0]
			s.addTasks(tasks, fs.members(g))
			arena = append(arena, s.items...)
			ends[g-lo] = len(arena)
		}
		at := 0
		for g := lo; g < hi; g++ {
			end := ends[g-lo]
			fs.sums[g] = usedSum{items: arena[at:end:end]}
			at = end
		}
	})
	return fs
}

// addTasks adds the resources of tasks[members] and of their executors.
func (s *usedSum) addTasks(tasks []*TaskView, members []int32) {
	for _, i := range members {
		s.add(tasks[i].Resources)
		s.add(tasks[i].executorResources)
	}
}

// reset forgets the sums kept.
func (c *sumCache) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.frameworks, c.byFramework, c.byAgent, c.slots = nil, nil, nil, agentSlots{}
}
