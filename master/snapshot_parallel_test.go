package master

import (
	"fmt"
	"math/rand"
	"slices"
	"testing"
)

func TestSortPlacedInChunksOrdersByID(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	for _, n := range []int{0, 1, parallelFrom - 1, parallelFrom, 3*parallelFrom + 17} {
		ps := make([]placed, n)
		for i := range ps {
			ps[i] = placed{&TaskView{ID: fmt.Sprintf("task-%d", r.Intn(10*n+1))}, int32(i)}
		}
		want := slices.Clone(ps)
		slices.SortStableFunc(want, placedByID)
		sortPlaced(ps)
		for i := range ps {
			if ps[i].v.ID != want[i].v.ID {
				t.Fatalf("%d views: at %d got %q, want %q", n, i, ps[i].v.ID, want[i].v.ID)
			}
		}
	}
}
