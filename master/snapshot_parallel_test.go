package master

import (
	"fmt"
	"math/rand"
	"slices"
	"testing"
)

func TestSortViewsInChunksOrdersByID(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	for _, n := range []int{0, 1, parallelFrom - 1, parallelFrom, 3*parallelFrom + 17} {
		views := make([]*TaskView, n)
		for i := range views {
			views[i] = &TaskView{ID: fmt.Sprintf("task-%d", r.Intn(10*n+1))}
		}
		want := slices.Clone(views)
		slices.SortStableFunc(want, byID)
		sortViews(views)
		for i := range views {
			if views[i].ID != want[i].ID {
				t.Fatalf("%d views: at %d got %q, want %q", n, i, views[i].ID, want[i].ID)
			}
		}
	}
}
