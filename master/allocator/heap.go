package allocator

// heapElem is what the indexed min-heap needs from its elements: a strict
// total order (ties already broken by name or ID, so the minimum is unique
// and the order deterministic) and a slot recording the element's position,
// so a changed share can be fixed in O(log n) without searching.
type heapElem[T any] interface {
	before(T) bool
	slot() *int
}

// minHeap is an indexed binary min-heap. An element's slot is -1 while it is
// not in the heap.
type minHeap[T heapElem[T]] struct{ a []T }

func (h *minHeap[T]) len() int { return len(h.a) }

func (h *minHeap[T]) min() T { return h.a[0] }

func (h *minHeap[T]) push(x T) {
	*x.slot() = len(h.a)
	h.a = append(h.a, x)
	h.up(len(h.a) - 1)
}

func (h *minHeap[T]) pop() T {
	x := h.a[0]
	h.remove(0)
	return x
}

func (h *minHeap[T]) remove(i int) {
	x := h.a[i]
	n := len(h.a) - 1
	if i != n {
		h.swap(i, n)
	}
	var zero T
	h.a[n] = zero
	h.a = h.a[:n]
	if i != n {
		h.fix(i)
	}
	*x.slot() = -1
}

// fix restores the heap order after the key of the element at i changed.
func (h *minHeap[T]) fix(i int) {
	if !h.down(i) {
		h.up(i)
	}
}

// init re-heapifies after many keys changed at once (cluster totals moved).
func (h *minHeap[T]) init() {
	for i := len(h.a)/2 - 1; i >= 0; i-- {
		h.down(i)
	}
}

func (h *minHeap[T]) swap(i, j int) {
	h.a[i], h.a[j] = h.a[j], h.a[i]
	*h.a[i].slot() = i
	*h.a[j].slot() = j
}

func (h *minHeap[T]) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !h.a[i].before(h.a[p]) {
			return
		}
		h.swap(i, p)
		i = p
	}
}

func (h *minHeap[T]) down(i0 int) bool {
	i, n := i0, len(h.a)
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		j := l
		if r := l + 1; r < n && h.a[r].before(h.a[l]) {
			j = r
		}
		if !h.a[j].before(h.a[i]) {
			break
		}
		h.swap(i, j)
		i = j
	}
	return i > i0
}
