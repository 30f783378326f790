package dag

import "slices"

// Progress records, per dependent job, which of its parents have succeeded
// since that job's last run. It is plain data, persisted by its owner.
type Progress map[string][]string // child → parents succeeded, sorted

// Succeeded records that parent succeeded and returns the children of
// parent that are now ready: every one of their current parents has
// succeeded since their last run. A ready child's progress is not reset
// here — Started does that when it actually runs.
func (p Progress) Succeeded(g *Graph, parent string) []string {
	var ready []string
	for _, c := range g.Children(parent) {
		done := p[c]
		if i, found := slices.BinarySearch(done, parent); !found {
			p[c] = slices.Insert(done, i, parent)
		}
		if p.Ready(g, c) {
			ready = append(ready, c)
		}
	}
	return ready
}

// Ready reports whether child has parents and all of them succeeded since
// its last run. A job whose parents were all deleted is never ready by
// itself: it waits for a manual run.
func (p Progress) Ready(g *Graph, child string) bool {
	ps := g.Parents(child)
	if len(ps) == 0 {
		return false
	}
	for _, parent := range ps {
		if _, found := slices.BinarySearch(p[child], parent); !found {
			return false
		}
	}
	return true
}

// Started resets child's progress: it runs now, so each parent must
// succeed again before the next dependent run.
func (p Progress) Started(child string) { delete(p, child) }

// Forget drops a deleted job: its own progress and its place in others'.
func (p Progress) Forget(name string) {
	delete(p, name)
	for c, done := range p {
		if i, found := slices.BinarySearch(done, name); found {
			p[c] = slices.Delete(done, i, i+1)
		}
	}
}
