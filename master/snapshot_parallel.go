package master

import (
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
)

// A cold read (the first, or the first after the kept orders and sums were
// dropped) orders and sums every task. Both run off the loop, on the
// reader's goroutine; with 100,000 tasks they are split over GOMAXPROCS
// goroutines.

// parallelFrom is the number of items from which work is split.
const parallelFrom = 8192

// workers is how many goroutines share n items.
func workers(n int) int {
	if n < parallelFrom {
		return 1
	}
	return max(1, min(runtime.GOMAXPROCS(0), n/(parallelFrom/2)))
}

// eachIndex calls fn for each of [0, n) on w goroutines, each taking the
// next index in turn (items of very different sizes, such as frameworks,
// share the work evenly); worker tells the goroutine, in [0, w).
func eachIndex(n, w int, fn func(i, worker int)) {
	w = max(1, min(w, n))
	if w == 1 {
		for i := 0; i < n; i++ {
			fn(i, 0)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for worker := 0; worker < w; worker++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				fn(i, worker)
			}
		}()
	}
	wg.Wait()
}

// taskCount is how many live task views frameworks hold.
func taskCount(frameworks []FrameworkView) int {
	n := 0
	for i := range frameworks {
		n += len(frameworks[i].taskViews)
	}
	return n
}

// eachChunk calls fn on w contiguous chunks of [0, n), concurrently.
func eachChunk(n, w int, fn func(lo, hi int)) {
	if w <= 1 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	for i := 0; i < w; i++ {
		lo, hi := i*n/w, (i+1)*n/w
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(lo, hi)
		}()
	}
	wg.Wait()
}

// sortPlaced sorts ps by ID: chunks sorted concurrently, then merged.
func sortPlaced(ps []placed) {
	w := workers(len(ps))
	if w <= 1 {
		slices.SortFunc(ps, placedByID)
		return
	}
	bounds := make([]int, w+1)
	for i := range bounds {
		bounds[i] = i * len(ps) / w
	}
	eachChunk(len(ps), w, func(lo, hi int) { slices.SortFunc(ps[lo:hi], placedByID) })
	tmp := make([]placed, len(ps))
	for len(bounds) > 2 { // merge neighbouring runs pairwise
		var next []int
		for i := 0; i+1 < len(bounds); i += 2 {
			if i+2 >= len(bounds) {
				next = append(next, bounds[i])
				continue
			}
			lo, mid, hi := bounds[i], bounds[i+1], bounds[i+2]
			mergePlaced(tmp[lo:hi], ps[lo:mid], ps[mid:hi])
			copy(ps[lo:hi], tmp[lo:hi])
			next = append(next, lo)
		}
		bounds = append(next, len(ps))
	}
}

// mergePlaced merges two sorted runs into dst; of equal IDs, a's come
// first.
func mergePlaced(dst, a, b []placed) {
	i, j, k := 0, 0, 0
	for i < len(a) && j < len(b) {
		if placedByID(b[j], a[i]) < 0 {
			dst[k] = b[j]
			j++
		} else {
			dst[k] = a[i]
			i++
		}
		k++
	}
	k += copy(dst[k:], a[i:])
	copy(dst[k:], b[j:])
}
