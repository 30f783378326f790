package master

import (
	"fmt"
	"math/rand"
	"slices"
	"testing"
)

// Read after read, with tasks launched and ended in between, taskOrder
// gives the tasks sorted by ID, as sorting them all does.
func TestTaskOrderMatchesSorting(t *testing.T) {
	seed := int64(7)
	rng := rand.New(rand.NewSource(seed))
	t.Logf("seed %d", seed)
	var o taskOrder
	live := map[string]*taskRecord{}
	for read := 0; read < 200; read++ {
		for n := rng.Intn(20); n > 0; n-- { // launches, IDs in any order
			id := fmt.Sprintf("task-%d", rng.Intn(100000))
			if live[id] == nil {
				live[id] = &taskRecord{id: id}
			}
		}
		for id := range live { // some end
			if rng.Intn(10) == 0 {
				delete(live, id)
			}
		}
		f := FrameworkView{ID: "F"}
		var want []string
		for _, r := range live {
			f.taskViews = append(f.taskViews, r.currentView())
			want = append(want, r.id)
		}
		slices.Sort(want)
		fs := []FrameworkView{f}
		got := o.order(fs)[0]
		check := func(how string, got []*TaskView) {
			t.Helper()
			if len(got) != len(want) {
				t.Fatalf("read %d (%s): %d tasks, want %d", read, how, len(got), len(want))
			}
			for i := range got {
				if got[i].ID != want[i] {
					t.Fatalf("read %d (%s): task %d is %s, want %s", read, how, i, got[i].ID, want[i])
				}
			}
		}
		check("changed", got)
		// The same list again, then the same tasks in another order: the
		// task set keeps its id.
		again := []FrameworkView{f}
		check("same list", o.order(again)[0])
		shuffled := FrameworkView{ID: "F", taskViews: slices.Clone(f.taskViews)}
		rng.Shuffle(len(shuffled.taskViews), func(i, j int) {
			shuffled.taskViews[i], shuffled.taskViews[j] = shuffled.taskViews[j], shuffled.taskViews[i]
		})
		moved := []FrameworkView{shuffled}
		check("same tasks moved", o.order(moved)[0])
		if again[0].TaskSet != fs[0].TaskSet || moved[0].TaskSet != fs[0].TaskSet {
			t.Fatalf("read %d: the same tasks got task sets %d, %d and %d", read, fs[0].TaskSet, again[0].TaskSet, moved[0].TaskSet)
		}
	}
}
