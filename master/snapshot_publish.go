package master

import "slices"

// The loop's share of a state read is kept proportional to what changed:
// each framework keeps the views of its live tasks as the last State
// copied them, and the tasks changed since then. A read copies the list of
// views (pointers, copy-on-write: earlier States still hold the old list)
// and redoes only the changed tasks' entries. Every change to a live task
// or to the set of live tasks goes through taskChanged: addTask,
// reregistration and updateTask (which applies every state change and
// moves ended tasks out).

type frameworkPub struct {
	list    []*TaskView
	built   bool
	changed []*taskRecord
}

type taskPub struct {
	index   int32 // 1 + position in frameworkPub.list; 0 when not in it
	changed bool
}

// taskChanged notes that t, or its membership in f's live tasks, changed.
func (f *frameworkRecord) taskChanged(t *taskRecord) {
	if !t.pub.changed {
		t.pub.changed = true
		f.pub.changed = append(f.pub.changed, t)
	}
}

// liveViews returns the views of f's live tasks, in no particular order.
func (f *frameworkRecord) liveViews() []*TaskView {
	p := &f.pub
	if !p.built {
		for _, t := range p.changed {
			t.pub = taskPub{}
		}
		list := make([]*TaskView, 0, len(f.tasks))
		for _, t := range f.tasks {
			list = append(list, t.currentView())
			t.pub = taskPub{index: int32(len(list))}
		}
		*p = frameworkPub{list: list, built: true}
		return list
	}
	if len(p.changed) == 0 {
		return p.list
	}
	list := slices.Clone(p.list)
	for _, t := range p.changed {
		t.pub.changed = false
		live := f.tasks[t.id] == t
		switch at := int(t.pub.index) - 1; {
		case live && at >= 0:
			list[at] = t.currentView()
		case live:
			list = append(list, t.currentView())
			t.pub.index = int32(len(list))
		case at >= 0: // ended or gone: the last view takes its place
			last := list[len(list)-1]
			list[at] = last
			last.Key.rec.pub.index = int32(at + 1)
			list = list[:len(list)-1]
			t.pub.index = 0
		}
	}
	p.changed = p.changed[:0]
	p.list = list
	return list
}

// forgetViews drops f's published views; the next read rebuilds them.
func (f *frameworkRecord) forgetViews() {
	for _, t := range f.tasks {
		t.view = nil
	}
	for _, t := range f.completed {
		t.view = nil
	}
	for _, t := range f.pub.changed {
		t.pub = taskPub{}
	}
	f.pub = frameworkPub{}
}
