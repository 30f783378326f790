// Package placement matches Marathon apps against Mesos offers: resources
// (cpus, mem, disk, gpus, host ports, accepted roles) and constraints
// (UNIQUE, CLUSTER, GROUP_BY, LIKE, UNLIKE, MAX_PER, IS). It is pure: it
// carves offers in memory and explains every refusal with Marathon's reject
// reason names; it never talks to the master and keeps no state between
// offers.
package placement

import (
	"math"

	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/frameworks/marathon/app"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	"github.com/agoraproject/agora/proto/resources"
)

// Reject reasons, as Marathon names them in /v2/queue.
const (
	InsufficientCpus      = "InsufficientCpus"
	InsufficientMemory    = "InsufficientMemory"
	InsufficientDisk      = "InsufficientDisk"
	InsufficientGpus      = "InsufficientGpus"
	InsufficientPorts     = "InsufficientPorts"
	UnfulfilledRole       = "UnfulfilledRole"
	UnfulfilledConstraint = "UnfulfilledConstraint"
)

// Instance is where one of an app's instances already runs (or was just
// placed): what constraints look at.
type Instance struct {
	AgentID    string
	Hostname   string
	Attributes map[string]string
}

// Launch is what one placed instance takes from an offer. HostPorts has one
// entry per port definition (host networking) or per container port mapping
// (0 for a mapping without a host port), in order.
type Launch struct {
	AgentID   string
	Hostname  string
	Resources []*mesos.Resource
	HostPorts []int
}

// Ok says whether the launch holds a placement (Place succeeded).
func (l Launch) Ok() bool { return l.AgentID != "" }

// Offer is an offer being carved: what remains after the launches placed on
// it so far. It is not safe for concurrent use.
type Offer struct {
	offer    *mesos.Offer
	agentID  string
	hostname string
	attrs    map[string]string
	slots    []*slot
	used     bool
}

// slot is one usable resource item of the offer and what remains of it.
type slot struct {
	template *mesos.Resource // identity only, no value
	name     string
	role     string
	milli    int64       // scalars, in thousandths
	ranges   [][2]uint64 // ranges, sorted and disjoint
}

// NewOffer starts carving an offer. Revocable, shared and persistent or
// mount-disk items are left out: Marathon apps without resident volumes do
// not use them.
func NewOffer(o *mesos.Offer) *Offer {
	off := &Offer{
		offer:    o,
		agentID:  o.GetAgentId().GetValue(),
		hostname: o.GetHostname(),
		attrs:    AgentAttributes(o),
	}
	for _, r := range o.GetResources() {
		if r.GetRevocable() != nil || r.GetShared() != nil {
			continue
		}
		if d := r.GetDisk(); d != nil && (d.GetPersistence() != nil || d.GetSource() != nil) {
			continue
		}
		s := &slot{name: r.GetName(), role: resources.Role(r)}
		switch r.GetType() {
		case mesos.Value_SCALAR:
			v := r.GetScalar().GetValue()
			if !(v > 0) || math.IsInf(v, 0) {
				continue
			}
			s.milli = toMilli(v)
		case mesos.Value_RANGES:
			for _, rg := range r.GetRanges().GetRange() {
				if rg.GetBegin() <= rg.GetEnd() {
					s.ranges = append(s.ranges, [2]uint64{rg.GetBegin(), rg.GetEnd()})
				}
			}
			sortRanges(s.ranges)
		default:
			continue
		}
		t := proto.Clone(r).(*mesos.Resource)
		t.Scalar, t.Ranges, t.Set = nil, nil, nil
		s.template = t
		off.slots = append(off.slots, s)
	}
	return off
}

// ID is the offer's ID.
func (o *Offer) ID() *mesos.OfferID { return o.offer.GetId() }

// Used says whether anything was placed on the offer.
func (o *Offer) Used() bool { return o.used }

// Instance is the offer's agent as constraints see it: where an instance
// placed on this offer is.
func (o *Offer) Instance() Instance {
	return Instance{AgentID: o.agentID, Hostname: o.hostname, Attributes: o.attrs}
}

// Remaining is what is left of the offer (the usable items only).
func (o *Offer) Remaining() []*mesos.Resource {
	var out []*mesos.Resource
	for _, s := range o.slots {
		if r := s.take(s.milli, s.ranges); r != nil {
			out = append(out, r)
		}
	}
	return out
}

// Place fits one instance of a (normalized) app on what remains of the
// offer, given where the app's instances already are. On success it takes
// the resources from the offer and returns the launch and nil; otherwise it
// returns an empty Launch and the reject reasons, and leaves the offer
// unchanged.
func (o *Offer) Place(a *app.App, existing []Instance) (Launch, []string) {
	var reasons []string
	reject := func(r string) {
		for _, x := range reasons {
			if x == r {
				return
			}
		}
		reasons = append(reasons, r)
	}
	candidate := o.Instance()
	for _, c := range a.Constraints {
		if !Satisfies(c, candidate, existing) {
			reject(UnfulfilledConstraint)
			break
		}
	}
	accepted := acceptedRoles(a)
	p := plan{offer: o, accepted: accepted}
	for _, need := range []struct {
		name   string
		amount float64
		reason string
	}{
		{"cpus", a.CPUs, InsufficientCpus},
		{"mem", a.Mem, InsufficientMemory},
		{"disk", a.Disk, InsufficientDisk},
		{"gpus", float64(a.GPUs), InsufficientGpus},
	} {
		if r := p.scalar(need.name, toMilli(need.amount)); r != "" {
			if r == roleShortfall {
				reject(UnfulfilledRole)
			} else {
				reject(need.reason)
			}
		}
	}
	hostPorts, r := p.ports(portRequests(a))
	switch r {
	case roleShortfall:
		reject(UnfulfilledRole)
	case shortfall:
		reject(InsufficientPorts)
	}
	if len(reasons) > 0 {
		return Launch{}, reasons
	}
	o.used = true
	return Launch{AgentID: o.agentID, Hostname: o.hostname, Resources: p.commit(), HostPorts: hostPorts}, nil
}

// acceptedRoles are the reservation roles the app may use; Marathon's
// default is unreserved resources only.
func acceptedRoles(a *app.App) map[string]bool {
	roles := a.AcceptedResourceRoles
	if len(roles) == 0 {
		roles = []string{"*"}
	}
	m := make(map[string]bool, len(roles))
	for _, r := range roles {
		m[r] = true
	}
	return m
}

// portRequest is one host port the app needs: a fixed port, any port (0),
// or none (-1: a container port mapping without a host port).
type portRequest int

const noHostPort portRequest = -1

func portRequests(a *app.App) []portRequest {
	var out []portRequest
	if a.HostNetworking() {
		for _, pd := range a.PortDefinitions {
			if a.RequirePorts {
				out = append(out, portRequest(pd.Port))
			} else {
				out = append(out, 0)
			}
		}
		return out
	}
	if a.Container != nil {
		for _, m := range a.Container.PortMappings {
			if m.HostPort == nil {
				out = append(out, noHostPort)
			} else {
				out = append(out, portRequest(*m.HostPort))
			}
		}
	}
	return out
}

func toMilli(v float64) int64 { return int64(math.Round(v * 1000)) }
