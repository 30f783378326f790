package allocator

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// The span and res operations are checked against plain sets of integers on
// many small random inputs; the property test in package allocator_test
// covers them again end to end.

func randSpans(rng *rand.Rand) []span {
	var s []span
	for range rng.IntN(5) {
		lo := uint64(rng.IntN(40))
		s = append(s, span{lo, lo + uint64(rng.IntN(6))})
	}
	return normalizeSpans(s)
}

func members(s []span) map[uint64]bool {
	m := map[uint64]bool{}
	for _, x := range s {
		for p := x.lo; p <= x.hi; p++ {
			m[p] = true
		}
	}
	return m
}

func fromMembers(m map[uint64]bool) []span {
	var s []span
	for p := range m {
		s = append(s, span{p, p})
	}
	return normalizeSpans(s)
}

func TestSpanOpsMatchSets(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 5000 {
		a, b := randSpans(rng), randSpans(rng)
		ma, mb := members(a), members(b)
		union, diff, inter := map[uint64]bool{}, map[uint64]bool{}, map[uint64]bool{}
		subset := true
		for p := range ma {
			union[p] = true
			if mb[p] {
				inter[p] = true
			} else {
				diff[p] = true
			}
		}
		for p := range mb {
			union[p] = true
			subset = subset && ma[p]
		}
		check := func(name string, got []span, want map[uint64]bool) {
			if w := fromMembers(want); !slices.Equal(got, w) {
				t.Fatalf("%s(%v, %v) = %v, want %v", name, a, b, got, w)
			}
		}
		check("union", spansUnion(a, b), union)
		check("diff", spansDiff(a, b), diff)
		check("intersect", spansIntersect(a, b), inter)
		if got := spansContain(a, b); got != subset {
			t.Fatalf("contain(%v, %v) = %v, want %v", a, b, got, subset)
		}
		if got := spansCount(a); got != uint64(len(ma)) {
			t.Fatalf("count(%v) = %d, want %d", a, got, len(ma))
		}
	}
}

func TestNormalizeSpansCoalesces(t *testing.T) {
	got := normalizeSpans([]span{{10, 12}, {1, 3}, {4, 5}, {11, 20}, {30, 29}, {0, 0}})
	want := []span{{0, 5}, {10, 20}}
	if !slices.Equal(got, want) {
		t.Errorf("normalizeSpans = %v, want %v", got, want)
	}
	if got := normalizeSpans([]span{{0, 1<<64 - 1}, {5, 6}}); !slices.Equal(got, []span{{0, 1<<64 - 1}}) {
		t.Errorf("full range: %v", got)
	}
}

func randRes(rng *rand.Rand) res {
	var r res
	for k := range r.fixed {
		r.fixed[k] = int64(rng.IntN(3)) * 500
	}
	for k := int32(numFixed); k < numFixed+3; k++ {
		if rng.IntN(2) == 0 {
			r.addScalar(k, int64(1+rng.IntN(3)))
		}
		if s := randSpans(rng); len(s) > 0 {
			r.addSpans(k+10, s)
		}
		if rng.IntN(2) == 0 {
			r.addItems(k+20, normalizeSet([]string{"a", string(rune('a' + rng.IntN(3)))}))
		}
	}
	return r
}

// TestResAlgebra checks the identities the allocator relies on: what is
// subtracted and added back is what was there, an intersection is contained
// in both sides, and operations never share memory between values.
func TestResAlgebra(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 3000 {
		x, y := randRes(rng), randRes(rng)
		in := x.intersect(&y)
		if !x.contains(&in) || !y.contains(&in) {
			t.Fatalf("intersection %v not within %v and %v", in, x, y)
		}
		z := x.clone()
		z.sub(&in)
		z.add(&in)
		if !z.contains(&x) || !x.contains(&z) {
			t.Fatalf("(x - x∩y) + x∩y = %v, want %v", z, x)
		}
		sum := x.clone()
		sum.add(&y)
		if !sum.contains(&x) || !sum.contains(&y) {
			t.Fatalf("sum %v does not contain parts", sum)
		}
		before := y.clone()
		var moved res
		moved.moveFrom(&sum) // steals sum's slices
		moved.sub(&x)
		if !before.contains(&y) || !y.contains(&before) {
			t.Fatalf("y changed by operations on other values: %v, was %v", y, before)
		}
		if !sum.empty() {
			t.Fatal("moveFrom left the source non-empty")
		}
	}
}
