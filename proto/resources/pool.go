package resources

import (
	"slices"
	"strings"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// entry is one identity's accumulated value. Values are held in working
// form (fixed-point, spans, items) so that long chains of operations do not
// round-trip through protobuf at each step.
type entry struct {
	// tmpl carries the identity; it is never modified and is copied on
	// the way out.
	tmpl  *mesos.Resource
	milli int64
	spans []span
	items []string
	// dirty marks spans or items appended but not yet coalesced or
	// deduplicated: merging many items costs one sort at the end rather
	// than one per item.
	dirty bool
	// whole marks an indivisible item: its value is fixed and copies
	// counts how many identical ones there are.
	whole  bool
	copies int
}

// pool is a list of entries with distinct identities, in first-seen order.
// An agent's resources have a handful of identities, where a linear scan
// beats building map keys; past indexAt entries an index by identityKey
// takes over, so that a request with thousands of identities cannot make
// the master spend quadratic time.
type pool struct {
	entries []entry
	index   map[string][]int
}

const indexAt = 32

func newPool(rs []*mesos.Resource) *pool {
	p := &pool{entries: make([]entry, 0, len(rs))}
	for _, r := range rs {
		p.add(r)
	}
	return p
}

// entryOf reads r's value; the slices it holds are its own.
func entryOf(r *mesos.Resource) entry {
	e := entry{tmpl: r, whole: indivisible(r)}
	switch r.GetType() {
	case mesos.Value_SCALAR:
		e.milli = toMilli(r.GetScalar().GetValue())
	case mesos.Value_RANGES:
		e.spans = spansOf(r.GetRanges())
	case mesos.Value_SET:
		e.items = addItems(nil, r.GetSet().GetItem())
	}
	if e.whole {
		e.copies = 1
	}
	return e
}

// identityKey is a coarse hash of sameIdentity: equal identities have
// equal keys, and the fields that vary in practice are in it.
func identityKey(r *mesos.Resource) string {
	var b strings.Builder
	b.WriteString(r.GetName())
	b.WriteByte(0)
	b.WriteString(r.GetType().String())
	b.WriteByte(0)
	b.WriteString(Role(r))
	if n := reservationCount(r); n > 0 {
		b.WriteByte(0)
		b.WriteString(reservationAt(r, n-1).principal)
	}
	b.WriteByte(0)
	b.WriteString(r.GetAllocationInfo().GetRole())
	b.WriteByte(0)
	b.WriteString(r.GetDisk().GetPersistence().GetId())
	b.WriteByte(0)
	b.WriteString(r.GetProviderId().GetValue())
	return b.String()
}

// find returns the index of the entry v (read from r) belongs to, or -1.
// An indivisible item belongs only to an entry holding the same value.
func (p *pool) find(r *mesos.Resource, v *entry) int {
	match := func(i int) bool {
		e := &p.entries[i]
		return sameIdentity(e.tmpl, r) && (!e.whole || sameValue(e, v))
	}
	if p.index != nil {
		for _, i := range p.index[identityKey(r)] {
			if match(i) {
				return i
			}
		}
		return -1
	}
	for i := range p.entries {
		if match(i) {
			return i
		}
	}
	return -1
}

func sameValue(a, b *entry) bool {
	return a.milli == b.milli && slices.Equal(a.spans, b.spans) && sameItems(a.items, b.items)
}

func (p *pool) insert(v entry) {
	p.entries = append(p.entries, v)
	switch {
	case p.index != nil:
		k := identityKey(v.tmpl)
		p.index[k] = append(p.index[k], len(p.entries)-1)
	case len(p.entries) > indexAt:
		p.index = make(map[string][]int, 2*len(p.entries))
		for i := range p.entries {
			k := identityKey(p.entries[i].tmpl)
			p.index[k] = append(p.index[k], i)
		}
	}
}

// add merges r into the pool; unusable and empty items are dropped.
func (p *pool) add(r *mesos.Resource) {
	if !usable(r) {
		return
	}
	v := entryOf(r)
	if v.empty() {
		return
	}
	if i := p.find(r, &v); i >= 0 {
		p.entries[i].merge(&v)
		return
	}
	p.insert(v)
}

// merge adds v, of the same identity, into e.
func (e *entry) merge(v *entry) {
	switch {
	case e.whole:
		e.copies += v.copies
	case e.tmpl.GetType() == mesos.Value_SCALAR:
		e.milli = addMilli(e.milli, v.milli)
	case e.tmpl.GetType() == mesos.Value_RANGES:
		e.spans = append(e.spans, v.spans...)
		e.dirty = true
	case e.tmpl.GetType() == mesos.Value_SET:
		e.items = append(e.items, v.items...)
		e.dirty = true
	}
}

// settle finishes lazy merges: spans coalesced, items deduplicated.
func (e *entry) settle() {
	if !e.dirty {
		return
	}
	e.dirty = false
	if e.tmpl.GetType() == mesos.Value_RANGES {
		e.spans = coalesce(e.spans)
		return
	}
	items := e.items
	e.items = addItems(nil, items)
}

// subtract takes all of q out of p, stopping at empty.
func (p *pool) subtract(q *pool) {
	for i := range q.entries {
		v := &q.entries[i]
		v.settle()
		j := p.find(v.tmpl, v)
		if j < 0 {
			continue
		}
		e := &p.entries[j]
		e.settle()
		switch {
		case e.whole:
			e.copies = max(e.copies-v.copies, 0)
		case e.tmpl.GetType() == mesos.Value_SCALAR:
			e.milli = max(e.milli-v.milli, 0)
		case e.tmpl.GetType() == mesos.Value_RANGES:
			e.spans = subSpans(e.spans, v.spans)
		case e.tmpl.GetType() == mesos.Value_SET:
			e.items = subItems(e.items, v.items)
		}
	}
}

// contains reports whether every entry of q fits in p.
func (p *pool) contains(q *pool) bool {
	for i := range q.entries {
		want := &q.entries[i]
		want.settle()
		if want.empty() {
			continue
		}
		j := p.find(want.tmpl, want)
		if j < 0 {
			return false
		}
		have := &p.entries[j]
		have.settle()
		if !have.covers(want) {
			return false
		}
	}
	return true
}

func (e *entry) covers(w *entry) bool {
	switch {
	case e.whole:
		return e.copies >= w.copies
	case e.tmpl.GetType() == mesos.Value_SCALAR:
		return e.milli >= w.milli
	case e.tmpl.GetType() == mesos.Value_RANGES:
		return containsSpans(e.spans, w.spans)
	default:
		return containsItems(e.items, w.items)
	}
}

func (e *entry) empty() bool {
	if e.whole && e.copies == 0 {
		return true
	}
	switch e.tmpl.GetType() {
	case mesos.Value_SCALAR:
		return e.milli <= 0
	case mesos.Value_RANGES:
		return len(e.spans) == 0
	default:
		return len(e.items) == 0
	}
}

// resources renders the pool as fresh protobufs, in first-seen order.
func (p *pool) resources() []*mesos.Resource {
	out := make([]*mesos.Resource, 0, len(p.entries))
	for i := range p.entries {
		e := &p.entries[i]
		e.settle()
		if e.empty() {
			continue
		}
		for range max(e.copies, 1) {
			out = append(out, e.render())
		}
	}
	return out
}

// render copies the identity and writes the accumulated value into it.
// Fields this package does not model (volume, labels, unknown fields) are
// copied too, so they survive arithmetic.
func (e *entry) render() *mesos.Resource {
	r := cloneIdentity(e.tmpl)
	switch r.GetType() {
	case mesos.Value_SCALAR:
		v := fromMilli(e.milli)
		r.Scalar = &mesos.Value_Scalar{Value: &v}
	case mesos.Value_RANGES:
		r.Ranges = toRanges(e.spans)
	case mesos.Value_SET:
		r.Set = &mesos.Value_Set{Item: slices.Clone(e.items)}
	}
	return r
}
