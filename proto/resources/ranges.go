package resources

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"strings"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// span is an inclusive range [lo, hi]. Slices of spans handled here are kept
// coalesced: sorted, non-overlapping and non-adjacent, so that equality and
// containment are plain comparisons.
type span struct{ lo, hi uint64 }

// spansOf returns r's ranges, coalesced, in a new slice.
func spansOf(rs *mesos.Value_Ranges) []span {
	out := make([]span, 0, len(rs.GetRange()))
	for _, r := range rs.GetRange() {
		out = append(out, span{r.GetBegin(), r.GetEnd()})
	}
	return coalesce(out)
}

// coalesce sorts s in place and merges overlapping and adjacent spans.
func coalesce(s []span) []span {
	if len(s) < 2 {
		return s
	}
	slices.SortFunc(s, func(a, b span) int { return cmp.Compare(a.lo, b.lo) })
	out := s[:1]
	for _, r := range s[1:] {
		last := &out[len(out)-1]
		// The MaxUint64 test keeps last.hi+1 from wrapping to zero.
		if last.hi == math.MaxUint64 || r.lo <= last.hi+1 {
			last.hi = max(last.hi, r.hi)
			continue
		}
		out = append(out, r)
	}
	return out
}

// subSpans returns a minus b, both coalesced, as a new coalesced slice.
// One sweep over both: b's spans that end before the current span of a can
// never touch a later one.
func subSpans(a, b []span) []span {
	out := make([]span, 0, len(a)+len(b))
	j := 0
	for _, s := range a {
		for j < len(b) && b[j].hi < s.lo {
			j++
		}
		lo, alive := s.lo, true
		for k := j; k < len(b) && b[k].lo <= s.hi; k++ {
			if b[k].lo > lo {
				out = append(out, span{lo, b[k].lo - 1})
			}
			if b[k].hi >= s.hi {
				alive = false
				break
			}
			lo = b[k].hi + 1
		}
		if alive {
			out = append(out, span{lo, s.hi})
		}
	}
	return out
}

// containsSpans reports whether b ⊆ a, both coalesced. Because a is
// coalesced, each span of b must lie inside a single span of a.
func containsSpans(a, b []span) bool {
	i := 0
	for _, s := range b {
		for i < len(a) && a[i].hi < s.lo {
			i++
		}
		if i == len(a) || a[i].lo > s.lo || a[i].hi < s.hi {
			return false
		}
	}
	return true
}

// toRanges converts back to the protobuf form.
func toRanges(s []span) *mesos.Value_Ranges {
	out := &mesos.Value_Ranges{Range: make([]*mesos.Value_Range, len(s))}
	for i, r := range s {
		out.Range[i] = &mesos.Value_Range{Begin: &r.lo, End: &r.hi}
	}
	return out
}

// formatSpans writes Mesos's text form, "[31000-32000, 33000-33010]".
// Mesos separates with ", " in both its logs and state.json.
func formatSpans(b *strings.Builder, s []span) {
	b.WriteByte('[')
	for i, r := range s {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.FormatUint(r.lo, 10))
		b.WriteByte('-')
		b.WriteString(strconv.FormatUint(r.hi, 10))
	}
	b.WriteByte(']')
}
