package master

import (
	"context"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/agoraproject/agora/proto/agora/agentpb"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// haState is what the event loop keeps about the durable registry. All of
// it is owned by the loop, except reg, which is safe for concurrent use.
type haState struct {
	reg *Registry
	// recovered are the agents the registry lists as reachable that have
	// not reregistered with this master yet; at reregisterDeadline those
	// left are recorded as unreachable.
	recovered          map[string]*RegisteredAgent
	reregisterDeadline time.Time
	// goneSynced and weightsSynced are what the registry was last told,
	// so the loop notices the operator API's changes cheaply.
	goneSynced    int
	weightsSynced map[string]float64
}

// Recover makes the master lead from what reg records: gone agents stay
// refused, weights are restored, and admitted agents get
// Config.AgentReregisterTimeout to reregister before they are recorded as
// unreachable. Changes from then on are written to reg. Call it before Run.
func (m *Master) Recover(reg *Registry) {
	d := reg.Data()
	m.ha.reg = reg
	for id := range d.Gone {
		m.ops.gone[id] = true
	}
	m.ha.goneSynced = len(m.ops.gone)
	if len(d.Weights) > 0 {
		m.setWeights(d.Weights)
	}
	// --weights of a master that never ran against this registry count too.
	reg.SetWeights(m.copyWeights())
	m.ha.weightsSynced = m.copyWeights()
	m.ha.recovered = map[string]*RegisteredAgent{}
	for id, a := range d.Agents {
		if a.UnreachableAt.IsZero() {
			m.ha.recovered[id] = a
		}
	}
	m.ha.reregisterDeadline = m.cfg.Clock.Now().Add(m.cfg.AgentReregisterTimeout)
	m.log.Info("recovered the registry", zap.Int("agents", len(d.Agents)), zap.Int("awaiting_reregistration", len(m.ha.recovered)),
		zap.Int("gone", len(d.Gone)), zap.Duration("agent_reregister_timeout", m.cfg.AgentReregisterTimeout))
}

// Registry is the registry the master writes to, nil without one.
func (m *Master) Registry() *Registry { return m.ha.reg }

// admitAgent makes an agent's admission durable before its SUBSCRIBED: a
// new agent gets its ID here. Agents marked gone pass through, to be
// refused by subscribeAgent.
func (m *Master) admitAgent(ctx context.Context, sub *agentpb.Call_Subscribe) error {
	if m.ha.reg == nil {
		return nil
	}
	info := sub.GetAgentInfo()
	var gone bool
	err := m.do(ctx, func() {
		id := info.GetId().GetValue()
		if gone = m.ops.gone[id]; gone {
			return
		}
		if id == "" {
			info.Id = &mesos.AgentID{Value: strPtr(fmt.Sprintf("%s-S%d", m.id, m.nextAgent))}
			m.nextAgent++
		}
	})
	if err != nil || gone {
		return err
	}
	if err := m.ha.reg.Admit(ctx, keptAgentInfo(info, info.GetId().GetValue())); err != nil {
		return &Error{Kind: KindUnavailable, Msg: "could not record the agent in the registry: " + err.Error()}
	}
	return nil
}

// agentSubscribed notes on the loop that an agent has (re)registered.
func (m *Master) agentSubscribed(s *AgentStream) {
	if s != nil && m.ha.recovered != nil {
		delete(m.ha.recovered, s.AgentID)
	}
}

// registryTick records the recovered agents that did not reregister in
// time as unreachable, and hands the operator API's changes (gone agents,
// weights) to the registry.
func (m *Master) registryTick(now time.Time) {
	if m.ha.reg == nil {
		return
	}
	if len(m.ha.recovered) > 0 && !now.Before(m.ha.reregisterDeadline) {
		for id := range m.ha.recovered {
			m.log.Warn("agent did not reregister after failover; unreachable", zap.String("agent_id", id),
				zap.Duration("agent_reregister_timeout", m.cfg.AgentReregisterTimeout))
			m.ha.reg.MarkUnreachable(id, now)
		}
		m.ha.recovered = nil
	}
	m.syncRegistry(now)
}

// syncRegistry passes new gone marks and weight changes to the registry.
func (m *Master) syncRegistry(now time.Time) {
	if m.ha.reg == nil {
		return
	}
	if len(m.ops.gone) != m.ha.goneSynced {
		for id := range m.ops.gone {
			m.ha.reg.MarkGone(id, now)
			delete(m.ha.recovered, id)
		}
		m.ha.goneSynced = len(m.ops.gone)
	}
	if !mapsEqual(m.ops.weights, m.ha.weightsSynced) {
		m.ha.weightsSynced = m.copyWeights()
		m.ha.reg.SetWeights(m.ha.weightsSynced)
	}
}

// recordUnreachable writes an agent's unreachability to the registry.
func (m *Master) recordUnreachable(id string, now time.Time) {
	if m.ha.reg != nil {
		m.ha.reg.MarkUnreachable(id, now)
	}
}

// SyncRegistry returns once every registry change made on the loop so far
// is durable: the operator API calls it before acknowledging a change.
func (m *Master) SyncRegistry(ctx context.Context) error {
	if m.ha.reg == nil {
		return nil
	}
	if err := m.do(ctx, func() { m.syncRegistry(m.cfg.Clock.Now()) }); err != nil {
		return err
	}
	return m.ha.reg.Sync(ctx)
}
