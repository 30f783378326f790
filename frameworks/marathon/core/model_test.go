package core

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestSortedTasksFollowChanges: the cached ID order stays that of the task
// map through adds, replacements and removals.
func TestSortedTasksFollowChanges(t *testing.T) {
	as := newAppState(newApp("/a", 0))
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 2000; i++ {
		id := fmt.Sprintf("a.%03d", r.IntN(300))
		switch r.IntN(3) {
		case 0, 1:
			as.addTask(&task{ID: id})
		default:
			as.dropTask(id)
		}
		if i%7 == 0 || i == 1999 {
			got := as.sorted()
			var want []string
			for id := range as.tasks {
				want = append(want, id)
			}
			slices.Sort(want)
			if len(got) != len(want) {
				t.Fatalf("step %d: %d sorted, %d tasks", i, len(got), len(want))
			}
			for j, tk := range got {
				if tk.ID != want[j] || as.tasks[tk.ID] != tk {
					t.Fatalf("step %d: position %d is %s, want %s", i, j, tk.ID, want[j])
				}
			}
		}
	}
}
