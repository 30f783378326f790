package master

import (
	"sort"
	"time"

	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/master/allocator"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	"github.com/agoraproject/agora/proto/mesos/v1/scheduler"
)

// allocate runs the allocator where something changed (or everywhere when a
// batch cycle is due) and sends the resulting offers, one OFFERS event per
// framework. It reports whether the pass counts toward MinAllocationGap:
// a full pass, or one that made offers; an event-triggered pass that found
// nothing to offer (the agent of a launch, fully used) is cheap and must not
// delay the offer of what the next ended task frees.
func (m *Master) allocate(now time.Time) (spaced bool) {
	var out []allocator.Offer
	switch {
	case m.fullAllocation:
		spaced = true
		m.fullAllocation = false
		m.nextAllocation = now.Add(m.cfg.AllocationInterval)
		clear(m.dirtyAgents)
		start := time.Now()
		out = m.alloc.Allocate(now)
		m.metrics.observeAllocation(time.Since(start))
	case len(m.dirtyAgents) > 0:
		ids := make([]string, 0, len(m.dirtyAgents))
		for id := range m.dirtyAgents {
			ids = append(ids, id)
		}
		clear(m.dirtyAgents)
		sort.Strings(ids)
		start := time.Now()
		out = m.alloc.AllocateAgents(now, ids...)
		m.metrics.observeAllocation(time.Since(start))
	default:
		return false
	}
	if len(out) == 0 {
		return spaced
	}
	byFramework := map[string][]*mesos.Offer{}
	var order []string
	for _, o := range out {
		f := m.frameworks[o.FrameworkID]
		a := m.agents[o.AgentID]
		if f == nil || f.conn == nil || a == nil || a.state != agentConnected {
			// The allocator and the loop disagree only transiently; hand the
			// resources straight back.
			m.alloc.RecoverOffer(o, 0, now)
			continue
		}
		rec := m.book.Add(o, now)
		if _, seen := byFramework[f.id]; !seen {
			order = append(order, f.id)
		}
		byFramework[f.id] = append(byFramework[f.id], m.offerProto(f, a, rec.ID, o))
	}
	for _, id := range order {
		f := m.frameworks[id]
		m.sendFramework(f, &scheduler.Event{Type: scheduler.Event_OFFERS.Enum(), Offers: &scheduler.Event_Offers{Offers: byFramework[id]}})
	}
	return true
}

// offerProto renders an offer for its framework: MULTI_ROLE frameworks see
// allocation_info, others get resources without it.
func (m *Master) offerProto(f *frameworkRecord, a *agentRecord, id string, o allocator.Offer) *mesos.Offer {
	res := o.Resources
	if !f.multiRole {
		res = stripAllocation(res)
	}
	if !hasCapability(f.info, mesos.FrameworkInfo_Capability_RESERVATION_REFINEMENT) {
		res = downgradeReservations(res)
	}
	off := &mesos.Offer{
		Id:          &mesos.OfferID{Value: strPtr(id)},
		FrameworkId: &mesos.FrameworkID{Value: strPtr(f.id)},
		AgentId:     &mesos.AgentID{Value: strPtr(a.id)},
		Hostname:    strPtr(a.info.GetHostname()),
		Resources:   res,
		Attributes:  a.info.GetAttributes(),
		Domain:      a.info.GetDomain(),
		Url: &mesos.URL{
			Scheme:  strPtr("http"),
			Address: &mesos.Address{Hostname: strPtr(a.info.GetHostname()), Port: int32Ptr(a.info.GetPort())},
			Path:    strPtr("/slave(1)"),
		},
	}
	if f.multiRole {
		off.AllocationInfo = &mesos.Resource_AllocationInfo{Role: strPtr(o.Role)}
	}
	for t := range a.tasks {
		if t.frameworkID == f.id && t.executorID != "" {
			off.ExecutorIds = appendExecutor(off.ExecutorIds, t.executorID)
		}
	}
	for key := range a.executors {
		if key.framework == f.id {
			off.ExecutorIds = appendExecutor(off.ExecutorIds, key.executor)
		}
	}
	return off
}

// stripAllocation renders offered resources without allocation_info, for a
// framework that is not MULTI_ROLE. The copies share their sub-messages
// with the offer's resources, which nobody changes (allocator.Offer's
// contract); a deep copy per offer was ~15% of the loop's time when
// frameworks decline most offers.
func stripAllocation(rs []*mesos.Resource) []*mesos.Resource {
	msgs := make([]mesos.Resource, len(rs))
	out := make([]*mesos.Resource, len(rs))
	for i, r := range rs {
		c := &msgs[i]
		c.ProviderId, c.Name, c.Type = r.ProviderId, r.Name, r.Type
		c.Scalar, c.Ranges, c.Set = r.Scalar, r.Ranges, r.Set
		c.Role, c.Reservation, c.Reservations = r.Role, r.Reservation, r.Reservations //nolint:staticcheck // copied as they are
		c.Disk, c.Revocable, c.Shared = r.Disk, r.Revocable, r.Shared
		if u := r.ProtoReflect().GetUnknown(); len(u) > 0 {
			c.ProtoReflect().SetUnknown(u)
		}
		out[i] = c
	}
	return out
}

// downgradeReservations renders single reservations in the format that
// predates reservation refinement (role, reservation), as Mesos does for
// frameworks without RESERVATION_REFINEMENT. Changed items are copies: rs
// may be the offer book's.
func downgradeReservations(rs []*mesos.Resource) []*mesos.Resource {
	var out []*mesos.Resource
	for i, r := range rs {
		if len(r.GetReservations()) != 1 {
			continue
		}
		if out == nil {
			out = append([]*mesos.Resource(nil), rs...)
		}
		ri := r.GetReservations()[0]
		c := proto.Clone(r).(*mesos.Resource)
		c.Reservations = nil
		c.Role = strPtr(ri.GetRole()) //nolint:staticcheck // the legacy format is the point
		if ri.GetType() == mesos.Resource_ReservationInfo_DYNAMIC {
			c.Reservation = &mesos.Resource_ReservationInfo{Principal: ri.Principal, Labels: ri.Labels} //nolint:staticcheck
		}
		out[i] = c
	}
	if out == nil {
		return rs
	}
	return out
}

func appendExecutor(ids []*mesos.ExecutorID, id string) []*mesos.ExecutorID {
	for _, e := range ids {
		if e.GetValue() == id {
			return ids
		}
	}
	return append(ids, &mesos.ExecutorID{Value: strPtr(id)})
}

// expireOffers rescinds offers outstanding longer than --offer_timeout.
func (m *Master) expireOffers(now time.Time) {
	for _, o := range m.book.Expired(now, m.cfg.OfferTimeout) {
		m.book.Remove(o.ID)
		m.alloc.RecoverOffer(o.Offer, 0, now)
		m.dirtyAgents[o.AgentID] = struct{}{}
		if f := m.frameworks[o.FrameworkID]; f != nil {
			m.sendFramework(f, rescindEvent(o.ID))
		}
		m.log.Debug("offer rescinded after timeout", zap.String("offer_id", o.ID))
	}
}

func rescindEvent(offerID string) *scheduler.Event {
	return &scheduler.Event{Type: scheduler.Event_RESCIND.Enum(), Rescind: &scheduler.Event_Rescind{OfferId: &mesos.OfferID{Value: strPtr(offerID)}}}
}

// cloneFrameworkInfo copies a FrameworkInfo with its ID set, so the stored
// record never aliases a caller's message.
func cloneFrameworkInfo(info *mesos.FrameworkInfo, id string) *mesos.FrameworkInfo {
	c := proto.Clone(info).(*mesos.FrameworkInfo)
	c.Id = &mesos.FrameworkID{Value: strPtr(id)}
	return c
}

// keptAgentInfo is the agent's info as the master keeps it: the agent's
// own messages with the master's ID. The sub-messages are shared, not
// copied: decoded calls belong to the master and nothing modifies them,
// and 10,000 agents' resources and attributes copied twice cost
// megabytes.
func keptAgentInfo(info *mesos.AgentInfo, id string) *mesos.AgentInfo {
	return &mesos.AgentInfo{
		Hostname:   info.Hostname,
		Port:       info.Port,
		Resources:  info.Resources,
		Attributes: info.Attributes,
		Id:         &mesos.AgentID{Value: strPtr(id)},
		Domain:     info.Domain,
	}
}
