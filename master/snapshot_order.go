package master

import (
	"cmp"
	"slices"
	"sync"
)

// taskOrder orders a State's tasks by ID without sorting 100,000 of them
// at every read: it keeps each framework's order from the previous read
// (a rank per task record, whose ID never changes), places the tasks it
// knows by rank, sorts only the new ones and merges. It runs off the
// loop; concurrent reads share it under a lock held for the placement.
type taskOrder struct {
	mu          sync.Mutex
	byFramework map[string]*frameworkOrder
	nextID      uint64
}

// frameworkOrder is one framework's tasks in ID order, by record. Its id
// is new whenever the set of tasks changes. views is the list the loop
// gave and perm the sorted position of each of its entries: while the
// loop's list holds the same records at the same places (tasks only
// changed state), ordering is one pass without lookups.
type frameworkOrder struct {
	rank  map[*taskRecord]int32
	n     int
	id    uint64
	views []*TaskView
	perm  []int32
}

// order returns each framework's live tasks sorted by ID.
func (o *taskOrder) order(frameworks []FrameworkView) [][]*TaskView {
	o.mu.Lock()
	defer o.mu.Unlock()
	next := make(map[string]*frameworkOrder, len(frameworks))
	out := make([][]*TaskView, len(frameworks))
	for i := range frameworks {
		f := &frameworks[i]
		sorted, fo := orderViews(f.taskViews, o.byFramework[f.ID])
		if fo.id == 0 {
			o.nextID++
			fo.id = o.nextID
		}
		out[i], next[f.ID], f.TaskSet = sorted, fo, fo.id
	}
	o.byFramework = next // frameworks that are gone drop out
	return out
}

func byID(a, b *TaskView) int { return cmp.Compare(a.ID, b.ID) }

func orderViews(views []*TaskView, prev *frameworkOrder) ([]*TaskView, *frameworkOrder) {
	if prev != nil && sameRecords(prev.views, views) {
		sorted := make([]*TaskView, len(views))
		for i, v := range views {
			sorted[prev.perm[i]] = v
		}
		next := *prev
		next.views = views
		return sorted, &next
	}
	sorted, fo := orderByRank(views, prev)
	fo.views = views
	fo.perm = make([]int32, len(views))
	for i, v := range views {
		fo.perm[i] = fo.rank[v.Key.rec]
	}
	return sorted, fo
}

// sameRecords reports whether two lists of views hold the same tasks at
// the same places.
func sameRecords(a, b []*TaskView) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Key.rec == nil || a[i].Key.rec != b[i].Key.rec {
			return false
		}
	}
	return true
}

func orderByRank(views []*TaskView, prev *frameworkOrder) ([]*TaskView, *frameworkOrder) {
	if prev == nil {
		sorted := slices.Clone(views)
		sortViews(sorted)
		return sorted, ranksOf(sorted)
	}
	slots := make([]*TaskView, prev.n)
	var fresh []*TaskView
	for _, v := range views {
		if r, ok := prev.rank[v.Key.rec]; ok && slots[r] == nil {
			slots[r] = v
			continue
		}
		fresh = append(fresh, v)
	}
	known := slots[:0]
	for _, v := range slots {
		if v != nil {
			known = append(known, v)
		}
	}
	if len(fresh) == 0 && len(known) == prev.n {
		same := *prev
		return known, &same
	}
	slices.SortFunc(fresh, byID)
	merged := make([]*TaskView, 0, len(known)+len(fresh))
	i, j := 0, 0
	for i < len(known) && j < len(fresh) {
		if byID(fresh[j], known[i]) < 0 {
			merged = append(merged, fresh[j])
			j++
		} else {
			merged = append(merged, known[i])
			i++
		}
	}
	merged = append(append(merged, known[i:]...), fresh[j:]...)
	return merged, ranksOf(merged)
}

func ranksOf(sorted []*TaskView) *frameworkOrder {
	fo := &frameworkOrder{rank: make(map[*taskRecord]int32, len(sorted)), n: len(sorted)}
	for i, v := range sorted {
		if v.Key.rec != nil {
			fo.rank[v.Key.rec] = int32(i)
		}
	}
	return fo
}

// reset forgets the orders kept.
func (o *taskOrder) reset() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.byFramework = nil
}
