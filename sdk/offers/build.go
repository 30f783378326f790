// Package offers helps a scheduler decide what to take from resource offers:
// a Pool per offer hands out concrete resources for one task at a time, so a
// scheduler can pack several tasks into one offer and launch them in one
// ACCEPT.
//
// Taken resources are copies of the offer's items, with their reservation
// and allocation_info intact, so the master recognizes them as offered: a
// MULTI_ROLE framework must echo allocation_info back, and this does it.
// Arithmetic is Mesos's (package proto/resources): fixed point with three
// decimals, so packing ten 0.1-cpu tasks into one cpu works.
//
// What it is not: a placement engine. It knows nothing of constraints,
// attributes or spreading tasks across agents; it answers "does this fit in
// what is left of this offer, and with exactly which resources".
package offers

import (
	"google.golang.org/protobuf/proto"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// Scalar is a request (or a resource) of amount v of the scalar resource
// name, unreserved.
func Scalar(name string, v float64) *mesos.Resource {
	return &mesos.Resource{
		Name:   proto.String(name),
		Type:   mesos.Value_SCALAR.Enum(),
		Scalar: &mesos.Value_Scalar{Value: proto.Float64(v)},
	}
}

// Scalars builds the usual request: cpus, mem (MiB) and disk (MiB). Zero
// amounts are left out, since Mesos rejects empty resources.
func Scalars(cpus, mem, disk float64) []*mesos.Resource {
	var rs []*mesos.Resource
	for _, s := range []struct {
		name string
		v    float64
	}{{"cpus", cpus}, {"mem", mem}, {"disk", disk}} {
		if s.v > 0 {
			rs = append(rs, Scalar(s.name, s.v))
		}
	}
	return rs
}

// Range is a request for exactly the values [begin, end] of the ranges
// resource name, e.g. Range("ports", 8080, 8080) for one fixed port.
func Range(name string, begin, end uint64) *mesos.Resource {
	return &mesos.Resource{
		Name: proto.String(name),
		Type: mesos.Value_RANGES.Enum(),
		Ranges: &mesos.Value_Ranges{Range: []*mesos.Value_Range{
			{Begin: proto.Uint64(begin), End: proto.Uint64(end)},
		}},
	}
}

// AnyPorts is a request for n ports, whichever the offer has: Pool.Take
// picks concrete port numbers (the lowest free ones) from the offer's
// "ports" ranges. It is encoded as a SCALAR resource named "ports", which
// is never valid on the wire, so it cannot be sent by mistake.
func AnyPorts(n int) *mesos.Resource {
	return Scalar("ports", float64(n))
}

// Fits reports whether need, as understood by Pool.Take, can be taken from
// have.
func Fits(have, need []*mesos.Resource) bool {
	_, ok := newPool(have).Take(need)
	return ok
}
