package master

import (
	"context"
	"fmt"
	"math"
	"time"

	"go.uber.org/zap"

	"github.com/agoraproject/agora/proto/agora/agentpb"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	"github.com/agoraproject/agora/proto/mesos/v1/scheduler"
)

// The operator API's writes: role weights, framework teardown and marking
// an agent gone. Reads are served from State copies (operator_protos.go).

// Flags are the command-line flags the master was started with.
func (m *Master) Flags() map[string]string { return m.cfg.Flags }

// ValidateWeights checks role weights as UPDATE_WEIGHTS and --weights
// take them: valid role names, positive finite weights.
func ValidateWeights(weights map[string]float64) error {
	for role, w := range weights {
		if role == "*" {
			return invalidf("weight of role '*': the default role cannot be weighted")
		}
		if err := validateRole(role); err != nil {
			return err
		}
		if !(w > 0) || math.IsInf(w, 0) {
			return invalidf("weight of role %q must be a positive number, got %v", role, w)
		}
	}
	return nil
}

// UpdateWeights sets roles' weights in the allocator; the next allocation
// uses them.
func (m *Master) UpdateWeights(ctx context.Context, weights map[string]float64) error {
	if err := ValidateWeights(weights); err != nil {
		return err
	}
	return m.do(ctx, func() {
		m.setWeights(weights)
		m.fullAllocation = true
	})
}

func (m *Master) setWeights(weights map[string]float64) {
	for role, w := range weights {
		m.alloc.SetWeight(role, w)
		if w == 1 {
			delete(m.ops.weights, role)
		} else {
			m.ops.weights[role] = w
		}
		m.log.Info("role weight updated", zap.String("role", role), zap.Float64("weight", w))
	}
}

// Weights returns the roles' weights that differ from the default, 1.
func (m *Master) Weights(ctx context.Context) (map[string]float64, error) {
	var out map[string]float64
	err := m.do(ctx, func() { out = m.copyWeights() })
	return out, err
}

func (m *Master) copyWeights() map[string]float64 {
	out := make(map[string]float64, len(m.ops.weights))
	for r, w := range m.ops.weights {
		out[r] = w
	}
	return out
}

// TeardownFramework removes a framework as its own TEARDOWN call would,
// after telling it why.
func (m *Master) TeardownFramework(ctx context.Context, id string) error {
	if id == "" {
		return invalidf("Expecting 'teardown.framework_id' to be present")
	}
	var refused error
	err := m.do(ctx, func() {
		f := m.frameworks[id]
		if f == nil {
			refused = &Error{Kind: KindNotFound, Msg: "No framework found with specified ID " + id}
			return
		}
		m.sendFramework(f, errorEvent("Framework has been removed by the operator"))
		m.removeFramework(f, "operator requested teardown")
	})
	if err != nil {
		return err
	}
	return refused
}

// MarkAgentGone removes an agent for good: its tasks end
// (TASK_GONE_BY_OPERATOR for partition-aware frameworks, TASK_LOST for the
// others, as in Mesos), its offers are rescinded, frameworks get FAILURE,
// the agent is told to shut down and is refused if it comes back.
func (m *Master) MarkAgentGone(ctx context.Context, id string) error {
	if id == "" {
		return invalidf("Expecting 'mark_agent_gone.agent_id' to be present")
	}
	var refused error
	err := m.do(ctx, func() {
		if m.ops.gone[id] {
			return // Mesos answers 200 to a repeated mark
		}
		a := m.agents[id]
		if a == nil {
			refused = &Error{Kind: KindNotFound, Msg: "Agent " + id + " is not registered"}
			return
		}
		m.markGone(a, m.cfg.Clock.Now())
	})
	if err != nil {
		return err
	}
	return refused
}

func (m *Master) markGone(a *agentRecord, now time.Time) {
	m.log.Warn("agent marked gone by the operator", zap.String("agent_id", a.id))
	if a.conn != nil {
		m.sendAgent(a, goneShutdownEvent())
	}
	if a.conn != nil {
		a.conn.close()
		a.conn = nil
	}
	if a.state != agentUnreachable {
		m.rescindAgentOffers(a, now, false)
		m.alloc.RemoveAgent(a.id)
	}
	for t := range a.tasks {
		f := m.frameworks[t.frameworkID]
		if f == nil {
			continue
		}
		state := mesos.TaskState_TASK_LOST
		if f.partitionAware {
			state = mesos.TaskState_TASK_GONE_BY_OPERATOR
		}
		status := m.masterStatus(t, state, mesos.TaskStatus_REASON_AGENT_REMOVED_BY_OPERATOR, "Agent "+a.id+" was marked gone by the operator")
		if m.updateTask(f, t, status, false) {
			m.forward(f, status)
		}
	}
	for _, e := range a.executors {
		m.removeExecutor(e)
	}
	if a.state != agentUnreachable {
		failure := &scheduler.Event{Type: scheduler.Event_FAILURE.Enum(), Failure: &scheduler.Event_Failure{AgentId: &mesos.AgentID{Value: strPtr(a.id)}}}
		for _, f := range m.frameworks {
			m.sendFramework(f, failure)
		}
		m.publishAgentRemoved(a.id)
	}
	delete(m.agents, a.id)
	delete(m.dirtyAgents, a.id)
	m.ops.gone[a.id] = true
}

func goneShutdownEvent() *agentpb.Event {
	return &agentpb.Event{Type: agentpb.Event_SHUTDOWN.Enum(),
		Shutdown: &agentpb.Event_Shutdown{Message: strPtr("Agent has been marked gone by the operator")}}
}

// refuseGoneAgent answers a gone agent's subscription: SUBSCRIBED (so the
// agent reads what follows) then SHUTDOWN, and the stream ends. The agent
// is not registered again.
func (m *Master) refuseGoneAgent(id string) *AgentStream {
	c := newConn[*agentpb.Event](m.newStreamID(), 4)
	c.send(&agentpb.Event{Type: agentpb.Event_SUBSCRIBED.Enum(), Subscribed: &agentpb.Event_Subscribed{AgentId: &mesos.AgentID{Value: strPtr(id)}}})
	c.send(goneShutdownEvent())
	c.close()
	m.log.Warn("refused an agent marked gone", zap.String("agent_id", id))
	return &AgentStream{AgentID: id, StreamID: c.streamID, Events: c.events, Done: c.done}
}

// applyConfiguredWeights applies --weights when the master starts.
func (m *Master) applyConfiguredWeights() {
	if len(m.cfg.Weights) > 0 {
		m.setWeights(m.cfg.Weights)
	}
}

// validateWeightsConfig is Config.Validate's check of Weights.
func validateWeightsConfig(w map[string]float64) error {
	if err := ValidateWeights(w); err != nil {
		return fmt.Errorf("weights: %w", err)
	}
	return nil
}
