package allocator

import "slices"

// Span lists are sorted, disjoint and coalesced (no two spans touch), so
// equality of span lists is equality of the port sets they describe.

// normalizeSpans sorts and coalesces arbitrary spans in place.
func normalizeSpans(s []span) []span {
	out := s[:0]
	for _, x := range s {
		if x.lo <= x.hi {
			out = append(out, x)
		}
	}
	if !slices.IsSortedFunc(out, cmpSpan) {
		slices.SortFunc(out, cmpSpan)
	}
	n := 0
	for _, x := range out {
		if n > 0 && (x.lo <= out[n-1].hi || x.lo-1 == out[n-1].hi) {
			out[n-1].hi = max(out[n-1].hi, x.hi)
			continue
		}
		out[n] = x
		n++
	}
	return out[:n]
}

func cmpSpan(a, b span) int {
	switch {
	case a.lo < b.lo:
		return -1
	case a.lo > b.lo:
		return 1
	}
	return 0
}

// spansUnion returns a new list a ∪ b.
func spansUnion(a, b []span) []span {
	out := make([]span, 0, len(a)+len(b))
	out = append(out, a...)
	out = append(out, b...)
	return normalizeSpans(out)
}

// spansDiff returns a new list a \ b.
func spansDiff(a, b []span) []span {
	var out []span
	j := 0
	for _, x := range a {
		lo := x.lo
		for j < len(b) && b[j].hi < lo {
			j++
		}
		k := j
		done := false
		for ; k < len(b) && b[k].lo <= x.hi; k++ {
			if b[k].lo > lo {
				out = append(out, span{lo, b[k].lo - 1})
			}
			if b[k].hi >= x.hi {
				done = true
				break
			}
			lo = b[k].hi + 1
		}
		if !done {
			out = append(out, span{lo, x.hi})
		}
	}
	return out
}

// spansIntersect returns a new list a ∩ b.
func spansIntersect(a, b []span) []span {
	var out []span
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		lo, hi := max(a[i].lo, b[j].lo), min(a[i].hi, b[j].hi)
		if lo <= hi {
			out = append(out, span{lo, hi})
		}
		if a[i].hi < b[j].hi {
			i++
		} else {
			j++
		}
	}
	return out
}

// spansContain reports whether b ⊆ a. Because a is coalesced, every span of
// b must lie inside a single span of a.
func spansContain(a, b []span) bool {
	i := 0
	for _, x := range b {
		for i < len(a) && a[i].hi < x.lo {
			i++
		}
		if i == len(a) || a[i].lo > x.lo || a[i].hi < x.hi {
			return false
		}
	}
	return true
}

func spansCount(s []span) uint64 {
	var n uint64
	for _, x := range s {
		n += x.hi - x.lo + 1
	}
	return n
}

// Sets are sorted unique string slices.

func normalizeSet(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}

func setUnion(a, b []string) []string {
	out := make([]string, 0, len(a)+len(b))
	out = append(out, a...)
	out = append(out, b...)
	return normalizeSet(out)
}

func setDiff(a, b []string) []string {
	var out []string
	for _, x := range a {
		if _, ok := slices.BinarySearch(b, x); !ok {
			out = append(out, x)
		}
	}
	return out
}

func setIntersect(a, b []string) []string {
	var out []string
	for _, x := range a {
		if _, ok := slices.BinarySearch(b, x); ok {
			out = append(out, x)
		}
	}
	return out
}
