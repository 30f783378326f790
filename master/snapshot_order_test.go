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
		got := o.order([]FrameworkView{f})[0]
		if len(got) != len(want) {
			t.Fatalf("read %d: %d tasks, want %d", read, len(got), len(want))
		}
		for i := range got {
			if got[i].ID != want[i] {
				t.Fatalf("read %d: task %d is %s, want %s", read, i, got[i].ID, want[i])
			}
		}
	}
}
