package resources

import (
	"slices"
	"strings"
)

// Sets keep their first-seen order, as Mesos does, so that what an operator
// wrote is what the UI shows. Sets of resources usually name a handful of
// devices or zones, where a linear scan is fastest; past smallSet items a
// map takes over, so that a framework sending a huge set cannot make the
// master spend quadratic time on it.
const smallSet = 16

// lookup answers membership in items.
type lookup struct {
	items []string
	index map[string]struct{}
}

func newLookup(items []string) lookup {
	l := lookup{items: items}
	if len(items) > smallSet {
		l.index = make(map[string]struct{}, len(items))
		for _, x := range items {
			l.index[x] = struct{}{}
		}
	}
	return l
}

func (l *lookup) has(x string) bool {
	if l.index != nil {
		_, ok := l.index[x]
		return ok
	}
	return slices.Contains(l.items, x)
}

// put records x, which the caller has appended to l.items.
func (l *lookup) put(x string) {
	if l.index == nil && len(l.items) > smallSet {
		*l = newLookup(l.items)
	} else if l.index != nil {
		l.index[x] = struct{}{}
	}
}

// addItems returns a ∪ b in a new slice.
func addItems(a, b []string) []string {
	out := make([]string, 0, len(a)+len(b))
	l := newLookup(append(out, a...))
	for _, x := range b {
		if !l.has(x) {
			l.items = append(l.items, x)
			l.put(x)
		}
	}
	return l.items
}

// subItems returns a \ b in a new slice.
func subItems(a, b []string) []string {
	out := make([]string, 0, len(a))
	l := newLookup(b)
	for _, x := range a {
		if !l.has(x) {
			out = append(out, x)
		}
	}
	return out
}

// containsItems reports whether b ⊆ a.
func containsItems(a, b []string) bool {
	l := newLookup(a)
	for _, x := range b {
		if !l.has(x) {
			return false
		}
	}
	return true
}

// sameItems reports whether a and b hold the same items, in any order.
func sameItems(a, b []string) bool {
	return len(a) == len(b) && containsItems(a, b) && containsItems(b, a)
}

// firstDuplicate returns an item that appears twice in items, if any.
func firstDuplicate(items []string) (string, bool) {
	l := lookup{}
	for _, x := range items {
		if l.has(x) {
			return x, true
		}
		l.items = append(l.items, x)
		l.put(x)
	}
	return "", false
}

// formatItems writes Mesos's text form, "{a, b}".
func formatItems(b *strings.Builder, items []string) {
	b.WriteByte('{')
	for i, x := range items {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(x)
	}
	b.WriteByte('}')
}
