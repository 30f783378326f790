package resources

import (
	"google.golang.org/protobuf/proto"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// Add returns a + b, normalized: one item per identity (indivisible items
// once per copy), in first-seen order.
func Add(a, b []*mesos.Resource) []*mesos.Resource {
	p := newPool(a)
	for _, r := range b {
		p.add(r)
	}
	return p.resources()
}

// Subtract returns a - b, normalized. It never goes negative: what b takes
// beyond what a holds is ignored, and items that reach zero disappear.
// Ranges are cut out, splitting a range when b takes its middle.
func Subtract(a, b []*mesos.Resource) []*mesos.Resource {
	p := newPool(a)
	p.subtract(newPool(b))
	return p.resources()
}

// Contains reports whether b ⊆ a: every item of b is covered by items of a
// with the same identity. It is false if any item of b is structurally
// invalid (see Validate), so that a malformed request, such as a negative
// amount, is never accepted as fitting an offer.
func Contains(a, b []*mesos.Resource) bool {
	for _, r := range b {
		if !usable(r) {
			return false
		}
	}
	return newPool(a).contains(newPool(b))
}

// Equal reports whether a and b hold the same resources, however they are
// split into items or ordered.
func Equal(a, b []*mesos.Resource) bool {
	pa, pb := newPool(a), newPool(b)
	return pa.contains(pb) && pb.contains(pa)
}

// Normalize merges items of the same identity and drops empty and invalid
// items. It returns new messages; rs is not modified.
func Normalize(rs []*mesos.Resource) []*mesos.Resource {
	return newPool(rs).resources()
}

// Clone returns a deep copy of rs, item for item, without normalizing.
func Clone(rs []*mesos.Resource) []*mesos.Resource {
	if rs == nil {
		return nil
	}
	out := make([]*mesos.Resource, len(rs))
	for i, r := range rs {
		if r != nil {
			out[i] = proto.Clone(r).(*mesos.Resource)
		}
	}
	return out
}
