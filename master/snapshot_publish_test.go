package master

import (
	"context"
	"fmt"
)

// checkPublishedViews compares every framework's published views, brought
// up to date as a read would, with views made from all its live tasks. The
// harness runs it at every state() so that a change that bypasses
// taskChanged fails the scenario and property tests.
func (m *Master) checkPublishedViews(ctx context.Context) error {
	var problem error
	err := m.do(ctx, func() {
		for _, f := range m.frameworks {
			list := f.liveViews()
			if len(list) != len(f.tasks) {
				problem = fmt.Errorf("framework %s: %d published views, %d live tasks", f.id, len(list), len(f.tasks))
				return
			}
			for i, v := range list {
				t := v.Key.rec
				want := taskView(t)
				if f.tasks[t.id] != t || int(t.pub.index) != i+1 || v.Key != want.Key ||
					!sameSlice(v.executorResources, t.executorResources) || v.State != t.state {
					problem = fmt.Errorf("framework %s: published view of task %s is stale or misplaced", f.id, t.id)
					return
				}
			}
		}
	})
	if err != nil {
		return err
	}
	return problem
}
