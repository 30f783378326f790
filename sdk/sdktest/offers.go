package sdktest

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	schedpb "github.com/agoraproject/agora/proto/mesos/v1/scheduler"
	"github.com/agoraproject/agora/proto/resources"
)

// agent is the fake's book for one agent.
type agent struct {
	id, hostname string
	total        []*mesos.Resource
	used         []*mesos.Resource // by non-terminal tasks, without allocation info
	offer        string            // outstanding offer ID, "" if none
	refused      bool              // declined with a filter; cleared by a change
}

type task struct {
	info      *mesos.TaskInfo
	agent     *agent
	state     mesos.TaskState
	resources []*mesos.Resource // without allocation info
}

func nowUnixNano() int64 { return time.Now().UnixNano() }

func (m *Master) agentLocked(id string) *agent {
	for _, a := range m.agents {
		if a.id == id {
			return a
		}
	}
	return nil
}

// resetLocked forgets the framework's tasks and offers, as when it is torn
// down or replaced by a new framework.
func (m *Master) resetLocked() {
	m.tasks = map[string]*task{}
	m.offers = map[string]*mesos.Offer{}
	m.unacked = nil
	m.suppressed = false
	for _, a := range m.agents {
		a.used, a.offer, a.refused = nil, "", false
	}
}

// teardownLocked removes the framework. Its tasks end as TASK_KILLED
// without updates (there is no one left to tell) but stay visible to Tasks.
func (m *Master) teardownLocked() {
	m.removed[m.fw.GetId().GetValue()] = true
	m.fw = nil
	m.sub.close()
	m.sub = nil
	for _, tk := range m.tasks {
		if !terminal(tk.state) {
			tk.state = mesos.TaskState_TASK_KILLED
		}
	}
	m.offers = map[string]*mesos.Offer{}
	m.unacked = nil
	m.suppressed = false
	for _, a := range m.agents {
		a.used, a.offer, a.refused = nil, "", false
	}
}

// autoOfferLocked offers what is free on agents not filtered, if the
// options ask for it and the framework wants offers.
func (m *Master) autoOfferLocked() {
	if !m.opts.AutoOffer || m.suppressed {
		return
	}
	m.offerLocked(false)
}

// offerLocked sends one OFFERS event with an offer for every agent that
// has free resources and no outstanding offer (and, unless force, is not
// filtered).
func (m *Master) offerLocked(force bool) []*mesos.Offer {
	if m.fw == nil || m.sub == nil {
		return nil
	}
	var out []*mesos.Offer
	for _, a := range m.agents {
		if a.offer != "" || (a.refused && !force) {
			continue
		}
		a.refused = false
		free := resources.Subtract(a.total, a.used)
		if len(free) == 0 {
			continue
		}
		o := &mesos.Offer{
			Id:          &mesos.OfferID{Value: proto.String(fmt.Sprintf("%s-O%d", m.id, m.offerSeq))},
			FrameworkId: proto.Clone(m.fw.GetId()).(*mesos.FrameworkID),
			AgentId:     &mesos.AgentID{Value: proto.String(a.id)},
			Hostname:    proto.String(a.hostname),
			Resources:   free,
		}
		m.offerSeq++
		// Only a MULTI_ROLE framework sees allocation_info, as in Mesos.
		if m.hasCapability(mesos.FrameworkInfo_Capability_MULTI_ROLE) {
			role := m.role()
			o.Resources = resources.AllocateTo(free, role)
			o.AllocationInfo = &mesos.Resource_AllocationInfo{Role: proto.String(role)}
		}
		a.offer = o.GetId().GetValue()
		m.offers[a.offer] = o
		out = append(out, o)
	}
	if len(out) > 0 {
		m.sendLocked(&schedpb.Event{
			Type:   schedpb.Event_OFFERS.Enum(),
			Offers: &schedpb.Event_Offers{Offers: cloneOffers(out)},
		})
	}
	return cloneOffers(out)
}

// role is the role offers are allocated to: the first of the framework's.
func (m *Master) role() string {
	if rs := m.fw.GetRoles(); len(rs) > 0 {
		return rs[0]
	}
	if r := m.fw.GetRole(); r != "" {
		return r
	}
	return "*"
}

func cloneOffers(os []*mesos.Offer) []*mesos.Offer {
	out := make([]*mesos.Offer, len(os))
	for i, o := range os {
		out[i] = proto.Clone(o).(*mesos.Offer)
	}
	return out
}
