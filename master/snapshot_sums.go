package master

import (
	"math"
	"reflect"
	"slices"
	"sync"
	"unsafe"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// usedSum adds up the resources of many tasks for a State's sums. A task's
// resources are almost always plain scalars (no reservation, disk, ranges
// or set) allocated to a role; those are added here in fixed point, one
// slot per (name, role), and only what remains goes through
// resources.Add. The result equals sumStripped of everything added
// (property_sums_test.go checks it), at a fraction of its cost over
// 100,000 tasks.
type usedSum struct {
	items []sumItem // first-seen order, as resources.Add keeps it
}

type sumItem struct {
	other *mesos.Resource // set for items that are not plain scalars
	name  string
	role  string
	alloc bool // AllocationInfo present
	milli int64
}

// Scalars are summed in thousandths, as package resources does.
const maxSumMilli = 1 << 53

func toSumMilli(v float64) int64 {
	if math.IsNaN(v) {
		return 0
	}
	m := math.Round(v * 1000)
	switch {
	case m > maxSumMilli:
		return maxSumMilli
	case m < -maxSumMilli:
		return -maxSumMilli
	}
	return int64(m)
}

// plainScalar reports whether r's identity is only its name and allocation
// role, so that its value can be summed without a template.
func plainScalar(r *mesos.Resource) bool {
	return r.GetType() == mesos.Value_SCALAR && r.Scalar != nil && r.Ranges == nil && r.Set == nil &&
		r.Role == nil && r.Reservation == nil && len(r.Reservations) == 0 && r.Disk == nil &&
		r.Revocable == nil && r.Shared == nil && r.ProviderId == nil && r.Name != nil &&
		!resourceHasUnknown(r)
}

// resourceUnknown is where mesos.Resource keeps its unknown fields: read
// directly, the check costs a load instead of a trip through protoreflect
// (a cold read checks 200,000 resources).
var resourceUnknown = func() int64 {
	f, ok := reflect.TypeFor[mesos.Resource]().FieldByName("unknownFields")
	if !ok || f.Type != reflect.TypeFor[[]byte]() {
		return -1
	}
	return int64(f.Offset)
}()

func resourceHasUnknown(r *mesos.Resource) bool {
	if resourceUnknown < 0 {
		return len(r.ProtoReflect().GetUnknown()) > 0
	}
	return len(*(*[]byte)(unsafe.Add(unsafe.Pointer(r), uintptr(resourceUnknown)))) > 0
}

func (s *usedSum) add(rs []*mesos.Resource) {
	for _, r := range rs {
		if plainScalar(r) {
			s.addPlain(r.GetName(), r.GetAllocationInfo().GetRole(), r.AllocationInfo != nil, toSumMilli(r.GetScalar().GetValue()))
		} else {
			s.items = append(s.items, sumItem{other: r})
		}
	}
}

func (s *usedSum) addPlain(name, role string, alloc bool, m int64) {
	for i := range s.items {
		it := &s.items[i]
		if it.other == nil && it.alloc == alloc && it.name == name && it.role == role {
			it.milli = min(it.milli+m, maxSumMilli)
			return
		}
	}
	s.items = append(s.items, sumItem{name: name, role: role, alloc: alloc, milli: m})
}

// resources is the sum without allocation info, as sumStripped returns it.
func (s *usedSum) resources() []*mesos.Resource {
	if len(s.items) == 0 {
		return nil
	}
	if out, ok := s.plainResources(); ok {
		return out
	}
	rs := make([]*mesos.Resource, 0, len(s.items))
	for i := range s.items {
		it := &s.items[i]
		if it.other != nil {
			rs = append(rs, it.other)
			continue
		}
		r := &mesos.Resource{Name: strPtr(it.name), Type: mesos.Value_SCALAR.Enum(),
			Scalar: &mesos.Value_Scalar{Value: float64Ptr(float64(it.milli) / 1000)}}
		if it.alloc {
			r.AllocationInfo = &mesos.Resource_AllocationInfo{Role: strPtr(it.role)}
		}
		rs = append(rs, r)
	}
	return sumStripped(rs)
}

// plainResources is resources when every item is a plain scalar, without
// package resources: totals by name, in the order names first appear with
// a positive total (sumStripped drops the empty and negative ones first).
// A cold read sums 10,000 agents' tasks.
func (s *usedSum) plainResources() ([]*mesos.Resource, bool) {
	type total struct {
		name  string
		milli int64
	}
	var buf [8]total
	totals := buf[:0]
	for i := range s.items {
		it := &s.items[i]
		if it.other != nil {
			return nil, false
		}
		if it.milli <= 0 {
			continue
		}
		j := 0
		for j < len(totals) && totals[j].name != it.name {
			j++
		}
		if j == len(totals) {
			totals = append(totals, total{name: it.name})
		}
		totals[j].milli = min(totals[j].milli+it.milli, maxSumMilli)
	}
	if len(totals) == 0 {
		return nil, true
	}
	out := make([]*mesos.Resource, len(totals))
	for i, t := range totals {
		out[i] = &mesos.Resource{Name: strPtr(t.name), Type: mesos.Value_SCALAR.Enum(),
			Scalar: &mesos.Value_Scalar{Value: float64Ptr(float64(t.milli) / 1000)}}
	}
	return out, true
}

// sumCache keeps a State's sums from one read to the next. Each
// framework's tasks are grouped by agent; while the framework has the same
// tasks (FrameworkView.TaskSet), the grouping is kept too, and only the
// groups holding a task whose view changed are added up again. A
// framework's or agent's total whose items did not change keeps its
// resources. Totals add the groups' items in group order, so an item's
// place in a total can differ from its first appearance among all tasks;
// the totals are equal as resource sets.
type sumCache struct {
	mu         sync.Mutex
	frameworks map[string]*frameworkSums
	results    map[sumOwner]*sumResult
}

// frameworkSums is one framework's tasks (in ID order) grouped by agent.
type frameworkSums struct {
	taskSet uint64
	tasks   []*TaskView
	group   []int32   // the group of each task
	agents  []string  // the agent of each group
	members [][]int32 // the tasks of each group
	sums    []usedSum // of each group
}

type sumOwner struct {
	agent bool
	id    string
}

type sumResult struct {
	items []sumItem
	res   []*mesos.Resource
}

// taskSums are a State's used resources by framework and by agent.
type taskSums struct {
	byFramework, byAgent map[string][]*mesos.Resource
}

// sums adds up the used resources of the frameworks' live tasks (tasks[i]
// are frameworks[i]'s, in order).
func (c *sumCache) sums(frameworks []FrameworkView, tasks [][]*TaskView) taskSums {
	c.mu.Lock()
	defer c.mu.Unlock()
	next := make(map[string]*frameworkSums, len(frameworks))
	byFramework := make(map[string]*usedSum, len(frameworks))
	byAgent := make(map[string]*usedSum, len(c.results))
	owners := make([]sumOwner, 0, len(c.results))
	total := func(o sumOwner, m map[string]*usedSum) *usedSum {
		s := m[o.id]
		if s == nil {
			s = &usedSum{}
			m[o.id] = s
			owners = append(owners, o)
		}
		return s
	}
	for i := range frameworks {
		f := &frameworks[i]
		fs := c.frameworks[f.ID].update(f.TaskSet, tasks[i])
		next[f.ID] = fs
		for g := range fs.sums {
			items := fs.sums[g].items
			total(sumOwner{false, f.ID}, byFramework).addItems(items)
			total(sumOwner{true, fs.agents[g]}, byAgent).addItems(items)
		}
	}
	out := taskSums{byFramework: make(map[string][]*mesos.Resource, len(byFramework)),
		byAgent: make(map[string][]*mesos.Resource, len(byAgent))}
	results := make(map[sumOwner]*sumResult, len(owners))
	for _, o := range owners {
		s, dst := byFramework[o.id], out.byFramework
		if o.agent {
			s, dst = byAgent[o.id], out.byAgent
		}
		r := c.results[o]
		if r == nil || !slices.Equal(r.items, s.items) {
			r = &sumResult{items: s.items, res: s.resources()}
		}
		results[o], dst[o.id] = r, r.res
	}
	c.frameworks, c.results = next, results
	return out
}

// update returns the framework's sums for tasks, reusing what prev (nil
// for none) has for the same tasks.
func (prev *frameworkSums) update(taskSet uint64, tasks []*TaskView) *frameworkSums {
	if prev == nil || taskSet == 0 || prev.taskSet != taskSet || len(prev.tasks) != len(tasks) {
		return groupTasks(taskSet, tasks)
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
		fs.sums[g] = sumOf(tasks, fs.members[g])
	}
	return &fs
}

func groupTasks(taskSet uint64, tasks []*TaskView) *frameworkSums {
	fs := &frameworkSums{taskSet: taskSet, tasks: tasks, group: make([]int32, len(tasks))}
	index := map[string]int32{}
	for i, t := range tasks {
		g, ok := index[t.AgentID]
		if !ok {
			g = int32(len(fs.agents))
			index[t.AgentID] = g
			fs.agents = append(fs.agents, t.AgentID)
			fs.members = append(fs.members, nil)
		}
		fs.group[i] = g
		fs.members[g] = append(fs.members[g], int32(i))
	}
	fs.sums = make([]usedSum, len(fs.agents))
	eachChunk(len(fs.sums), workers(len(tasks)), func(lo, hi int) {
		for g := lo; g < hi; g++ {
			fs.sums[g] = sumOf(tasks, fs.members[g])
		}
	})
	return fs
}

func sumOf(tasks []*TaskView, members []int32) usedSum {
	var s usedSum
	for _, i := range members {
		s.add(tasks[i].Resources)
		s.add(tasks[i].executorResources)
	}
	return s
}

func (s *usedSum) addItems(items []sumItem) {
	for _, it := range items {
		if it.other != nil {
			s.items = append(s.items, it)
		} else {
			s.addPlain(it.name, it.role, it.alloc, it.milli)
		}
	}
}

// reset forgets the sums kept.
func (c *sumCache) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.frameworks, c.results = nil, nil
}
