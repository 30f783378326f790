package master

import (
	"cmp"
	"slices"
	"sync"
)

// taskOrder orders a State's tasks by ID without sorting 100,000 of them
// at every read: it keeps each framework's order from the previous read,
// places the tasks it knows by their rank in it, sorts only the new ones
// and merges. It runs off the loop; concurrent reads share it under a
// lock held for the placement.
type taskOrder struct {
	mu          sync.Mutex
	byFramework map[string]*frameworkOrder
	nextID      uint64
}

// frameworkOrder is one framework's tasks in ID order. Its id is new
// whenever the set of tasks changes. views is the list the loop gave and
// perm the sorted position of each of its entries: while the loop's list
// holds the same records at the same places (tasks only changed state),
// ordering is one pass without lookups.
type frameworkOrder struct {
	sorted []*TaskView
	id     uint64
	views  []*TaskView
	perm   []int32
}

// order returns each framework's live tasks sorted by ID.
func (o *taskOrder) order(frameworks []FrameworkView) [][]*TaskView {
	o.mu.Lock()
	defer o.mu.Unlock()
	next := make(map[string]*frameworkOrder, len(frameworks))
	out := make([][]*TaskView, len(frameworks))
	ordered := make([]*frameworkOrder, len(frameworks))
	// Frameworks are ordered side by side: 100 frameworks of 1,000 tasks
	// are each too small to split.
	eachIndex(len(frameworks), workers(taskCount(frameworks)), func(i, _ int) {
		ordered[i] = orderViews(frameworks[i].taskViews, o.byFramework[frameworks[i].ID])
	})
	for i := range frameworks {
		f, fo := &frameworks[i], ordered[i]
		if fo.id == 0 {
			o.nextID++
			fo.id = o.nextID
		}
		out[i], next[f.ID], f.TaskSet = fo.sorted, fo, fo.id
	}
	o.byFramework = next // frameworks that are gone drop out
	return out
}

func byID(a, b *TaskView) int { return cmp.Compare(a.ID, b.ID) }

// orderViews orders views, from prev (nil: none); the result has prev's
// id when it holds the same tasks.
func orderViews(views []*TaskView, prev *frameworkOrder) *frameworkOrder {
	if prev != nil && sameRecords(prev.views, views) {
		sorted := make([]*TaskView, len(views))
		for i, v := range views {
			sorted[prev.perm[i]] = v
		}
		return &frameworkOrder{sorted: sorted, id: prev.id, views: views, perm: prev.perm}
	}
	ps, same := placeByRank(views, prev)
	fo := &frameworkOrder{sorted: make([]*TaskView, len(ps)), views: views, perm: make([]int32, len(ps))}
	if same {
		fo.id = prev.id
	}
	for i, p := range ps {
		fo.sorted[i] = p.v
		fo.perm[p.at] = int32(i)
	}
	return fo
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

// placed is a view and its place in the loop's list.
type placed struct {
	v  *TaskView
	at int32
}

func placedByID(a, b placed) int { return byID(a.v, b.v) }

// placeByRank sorts views by ID, placing those prev holds by their rank
// there. same reports that the views are the tasks of prev.
func placeByRank(views []*TaskView, prev *frameworkOrder) (ps []placed, same bool) {
	if prev == nil {
		ps = make([]placed, len(views))
		for i, v := range views {
			ps[i] = placed{v, int32(i)}
		}
		sortPlaced(ps)
		return ps, false
	}
	// The ranks are looked up only when the tasks changed: a cold read
	// and a read of unchanged tasks build no map.
	rank := make(map[*taskRecord]int32, len(prev.sorted))
	for i, v := range prev.sorted {
		if v.Key.rec != nil {
			rank[v.Key.rec] = int32(i)
		}
	}
	slots := make([]placed, len(prev.sorted))
	var fresh []placed
	for i, v := range views {
		if r, ok := rank[v.Key.rec]; ok && slots[r].v == nil { // the map holds no nil record
			slots[r] = placed{v, int32(i)}
			continue
		}
		fresh = append(fresh, placed{v, int32(i)})
	}
	known := slots[:0]
	for _, p := range slots {
		if p.v != nil {
			known = append(known, p)
		}
	}
	if len(fresh) == 0 {
		return known, len(known) == len(prev.sorted)
	}
	slices.SortFunc(fresh, placedByID)
	merged := make([]placed, len(known)+len(fresh))
	mergePlaced(merged, known, fresh)
	return merged, false
}

// reset forgets the orders kept.
func (o *taskOrder) reset() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.byFramework = nil
}
