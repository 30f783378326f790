package offers

import (
	"math"

	"google.golang.org/protobuf/proto"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	"github.com/agoraproject/agora/proto/resources"
)

// Pool is what is left of one offer while a scheduler packs tasks into it.
// It is not safe for concurrent use; a scheduler builds one per offer inside
// its OFFERS handler.
type Pool struct {
	offer *mesos.Offer
	avail []*mesos.Resource // normalized
}

// NewPool starts with all of o's resources.
func NewPool(o *mesos.Offer) *Pool {
	p := newPool(o.GetResources())
	p.offer = o
	return p
}

func newPool(rs []*mesos.Resource) *Pool {
	return &Pool{avail: resources.Normalize(rs)}
}

// Offer is the offer the pool was built from (nil for Fits).
func (p *Pool) Offer() *mesos.Offer { return p.offer }

// Remaining returns a copy of what has not been taken yet.
func (p *Pool) Remaining() []*mesos.Resource { return resources.Clone(p.avail) }

// Take removes need from the pool and returns the concrete resources to put
// in a TaskInfo (or ExecutorInfo), or false, leaving the pool unchanged, if
// need does not fit.
//
// Each item of need is:
//   - a scalar amount (Scalar, Scalars): taken from the offer's items of that
//     name in offer order, across reservations if needed;
//   - exact ranges or set items (Range): taken from one offer item holding
//     all of them;
//   - a count of values from a ranges resource (AnyPorts): the lowest free
//     values are picked.
//
// A need item that names a reservation (role or reservations set) or an
// allocation role only takes from offer items with the same one; otherwise
// any of the offer's items of that name will do. Persistent volumes, MOUNT
// disks and shared resources are taken only when asked for by their exact
// identity, never by a plain amount.
func (p *Pool) Take(need []*mesos.Resource) ([]*mesos.Resource, bool) {
	left := p.avail
	var taken []*mesos.Resource
	for _, n := range need {
		got, ok := takeOne(left, n)
		if !ok {
			return nil, false
		}
		left = resources.Subtract(left, got)
		taken = append(taken, got...)
	}
	p.avail = left
	return resources.Normalize(taken), true
}

// takeOne finds the pieces of avail that satisfy n, without changing avail.
func takeOne(avail []*mesos.Resource, n *mesos.Resource) ([]*mesos.Resource, bool) {
	if n.GetName() == "" {
		return nil, false
	}
	var scalars, ranges, sets []*mesos.Resource
	for _, r := range avail {
		if r.GetName() != n.GetName() || !sameScope(n, r) {
			continue
		}
		switch r.GetType() {
		case mesos.Value_SCALAR:
			scalars = append(scalars, r)
		case mesos.Value_RANGES:
			ranges = append(ranges, r)
		case mesos.Value_SET:
			sets = append(sets, r)
		}
	}
	switch n.GetType() {
	case mesos.Value_SCALAR:
		want := milli(n.GetScalar().GetValue())
		if want < 0 || math.IsNaN(n.GetScalar().GetValue()) {
			return nil, false
		}
		if len(scalars) == 0 && len(ranges) > 0 {
			return takeCount(ranges, want)
		}
		return takeAmount(scalars, n, want)
	case mesos.Value_RANGES:
		return takeExact(ranges, n, func(c *mesos.Resource) { c.Ranges = proto.Clone(n.GetRanges()).(*mesos.Value_Ranges) })
	case mesos.Value_SET:
		return takeExact(sets, n, func(c *mesos.Resource) { c.Set = proto.Clone(n.GetSet()).(*mesos.Value_Set) })
	}
	return nil, false
}

// sameScope reports whether offer item r may serve request n: n's
// reservation and allocation role, when it states them, must match.
func sameScope(n, r *mesos.Resource) bool {
	if resources.Role(n) != "*" && resources.Role(n) != resources.Role(r) {
		return false
	}
	if a := n.GetAllocationInfo(); a != nil && a.GetRole() != r.GetAllocationInfo().GetRole() {
		return false
	}
	return true
}

// special items are consumed only by an exact request of their identity:
// a task asking for "disk: 100" must not receive someone's persistent
// volume.
func special(r *mesos.Resource) bool {
	d := r.GetDisk()
	return r.GetShared() != nil || d.GetPersistence() != nil || d.GetSource() != nil
}

func takeAmount(items []*mesos.Resource, n *mesos.Resource, want int64) ([]*mesos.Resource, bool) {
	var out []*mesos.Resource
	for _, r := range items {
		if want == 0 {
			break
		}
		if special(r) {
			if special(n) && resources.Contains([]*mesos.Resource{r}, []*mesos.Resource{n}) {
				return []*mesos.Resource{proto.Clone(r).(*mesos.Resource)}, true
			}
			continue
		}
		have := milli(r.GetScalar().GetValue())
		take := min(have, want)
		if take <= 0 {
			continue
		}
		c := proto.Clone(r).(*mesos.Resource)
		c.Scalar = &mesos.Value_Scalar{Value: proto.Float64(float64(take) / 1000)}
		out = append(out, c)
		want -= take
	}
	return out, want == 0
}

// takeCount picks want/1000 values (e.g. ports), lowest first.
func takeCount(items []*mesos.Resource, want int64) ([]*mesos.Resource, bool) {
	if want%1000 != 0 {
		return nil, false // half a port is not a thing
	}
	count := uint64(want / 1000)
	var out []*mesos.Resource
	for _, r := range items {
		if count == 0 {
			break
		}
		var picked []*mesos.Value_Range
		for _, rg := range resources.Ranges([]*mesos.Resource{r}, r.GetName()) {
			if count == 0 {
				break
			}
			n := min(count, rg[1]-rg[0]+1)
			picked = append(picked, &mesos.Value_Range{Begin: proto.Uint64(rg[0]), End: proto.Uint64(rg[0] + n - 1)})
			count -= n
		}
		if len(picked) > 0 {
			c := proto.Clone(r).(*mesos.Resource)
			c.Ranges = &mesos.Value_Ranges{Range: picked}
			out = append(out, c)
		}
	}
	return out, count == 0
}

// takeExact takes n's exact values from the first item holding all of them.
func takeExact(items []*mesos.Resource, n *mesos.Resource, setValue func(*mesos.Resource)) ([]*mesos.Resource, bool) {
	for _, r := range items {
		c := proto.Clone(r).(*mesos.Resource)
		setValue(c)
		if resources.Contains([]*mesos.Resource{r}, []*mesos.Resource{c}) {
			return []*mesos.Resource{c}, true
		}
	}
	return nil, false
}

// milli is Mesos's fixed point: three decimals.
func milli(v float64) int64 { return int64(math.Round(v * 1000)) }
