package master

import (
	"context"
	"fmt"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/agoraproject/agora/internal/queue"

	"github.com/agoraproject/agora/proto/agora/agentpb"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	"github.com/agoraproject/agora/proto/mesos/v1/scheduler"
)

// FrameworkStream is a framework's subscription: the events the master sends
// it, until Done is closed.
type FrameworkStream struct {
	FrameworkID string
	StreamID    string
	Events      *queue.Queue[*scheduler.Event]
	Done        <-chan struct{}
}

// SubscribeFramework registers a new framework or resubscribes a known one
// (FrameworkInfo.id set). The first event on the stream is SUBSCRIBED.
func (m *Master) SubscribeFramework(ctx context.Context, call *scheduler.Call) (*FrameworkStream, error) {
	sub := call.GetSubscribe()
	if sub == nil || sub.GetFrameworkInfo() == nil {
		return nil, invalidf("Expecting 'subscribe' to be present")
	}
	info := sub.GetFrameworkInfo()
	if call.GetFrameworkId() != nil && info.GetId().GetValue() != call.GetFrameworkId().GetValue() {
		return nil, invalidf("'framework_id' differs from 'subscribe.framework_info.id'")
	}
	roles, multiRole, err := frameworkRoles(info)
	if err != nil {
		return nil, err
	}
	suppressed, err := suppressedRoles(sub.GetSuppressedRoles(), roles)
	if err != nil {
		return nil, err
	}
	var out *FrameworkStream
	var refused error
	err = m.do(ctx, func() { out, refused = m.subscribeFramework(info, roles, multiRole, suppressed) })
	if err != nil {
		return nil, err
	}
	return out, refused
}

func (m *Master) subscribeFramework(info *mesos.FrameworkInfo, roles []string, multiRole bool, suppressed []string) (*FrameworkStream, error) {
	now := m.cfg.Clock.Now()
	id := info.GetId().GetValue()
	var f *frameworkRecord
	if id != "" {
		for _, done := range m.completedFrameworks {
			if done.id == id {
				return nil, forbiddenf("Framework %s has been torn down and cannot resubscribe", id)
			}
		}
		f = m.frameworks[id]
	}
	conn := newConn[*scheduler.Event](m.newStreamID(), m.cfg.EventBuffer)
	if f == nil {
		if id == "" {
			id = fmt.Sprintf("%s-%04d", m.id, m.nextFramework)
			m.nextFramework++
		}
		f = &frameworkRecord{id: id, registeredAt: now, suppressed: map[string]bool{}, tasks: map[string]*taskRecord{}}
		m.frameworks[id] = f
		m.alloc.AddFramework(id, roles, suppressed)
		m.log.Info("framework registered", zap.String("framework_id", id), zap.String("name", info.GetName()), zap.Strings("roles", roles))
	} else {
		if f.conn != nil {
			// One subscription per framework: the newer one wins.
			f.conn.send(errorEvent("Framework failed over"))
			f.conn.close()
			f.conn = nil
		}
		// Offers are rescinded and regenerated each time a framework
		// (re)subscribes: the new instance does not know the old ones.
		m.recoverOffers(f, now)
		f.reregisteredAt = now
		f.recovered = false
		m.alloc.UpdateFramework(id, roles, suppressed)
		m.log.Info("framework resubscribed", zap.String("framework_id", id), zap.String("name", info.GetName()))
	}
	info = cloneFrameworkInfo(info, id)
	f.info = info
	f.roles = roles
	f.multiRole = multiRole
	f.partitionAware = hasCapability(info, mesos.FrameworkInfo_Capability_PARTITION_AWARE)
	f.killingState = hasCapability(info, mesos.FrameworkInfo_Capability_TASK_KILLING_STATE)
	f.suppressed = map[string]bool{}
	for _, r := range suppressed {
		f.suppressed[r] = true
	}
	f.conn = conn
	f.disconnectedAt = time.Time{}
	m.alloc.SetFrameworkActive(id, true)
	m.fullAllocation = true
	m.publishFramework(f, f.reregisteredAt.IsZero())
	if !f.reregisteredAt.IsZero() {
		m.announceFramework(f)
	}

	heartbeat := m.cfg.HeartbeatInterval.Seconds()
	conn.send(&scheduler.Event{
		Type: scheduler.Event_SUBSCRIBED.Enum(),
		Subscribed: &scheduler.Event_Subscribed{
			FrameworkId:              &mesos.FrameworkID{Value: &id},
			HeartbeatIntervalSeconds: &heartbeat,
			MasterInfo:               m.info,
		},
	})
	return &FrameworkStream{FrameworkID: id, StreamID: conn.streamID, Events: conn.events, Done: conn.done}, nil
}

// CloseFrameworkStream tells the master that a framework's subscription
// connection ended on the client's side.
func (m *Master) CloseFrameworkStream(frameworkID, streamID string) {
	m.post(func() {
		f := m.frameworks[frameworkID]
		if f == nil || f.conn == nil || f.conn.streamID != streamID {
			return
		}
		m.disconnectFramework(f, "subscription connection closed")
	})
}

func (m *Master) disconnectFramework(f *frameworkRecord, why string) {
	now := m.cfg.Clock.Now()
	f.conn.close()
	f.conn = nil
	f.disconnectedAt = now
	m.alloc.SetFrameworkActive(f.id, false)
	// A disconnected framework cannot use its offers; give them back.
	m.recoverOffers(f, now)
	m.publishFramework(f, false)
	// Removal, even with a zero failover timeout, waits for the next tick
	// (expireFrameworks): callers in the middle of handling this framework
	// (a send that found its queue full) must not see it vanish.
	m.log.Info("framework disconnected", zap.String("framework_id", f.id), zap.String("reason", why),
		zap.Duration("failover_timeout", failoverTimeout(f)))
}

// recoverOffers withdraws a framework's outstanding offers without telling
// it, returning their resources to the allocator unfiltered.
func (m *Master) recoverOffers(f *frameworkRecord, now time.Time) {
	for _, o := range m.book.ForFramework(f.id) {
		m.book.Remove(o.ID)
		m.alloc.Recover(f.id, o.AgentID, o.Resources, 0, now)
		m.dirtyAgents[o.AgentID] = struct{}{}
	}
}

func failoverTimeout(f *frameworkRecord) time.Duration {
	if f.info == nil {
		return 0
	}
	return time.Duration(f.info.GetFailoverTimeout() * float64(time.Second))
}

// expireFrameworks removes disconnected frameworks whose failover timeout
// has passed, killing their tasks.
func (m *Master) expireFrameworks(now time.Time) {
	for _, f := range m.frameworks {
		if f.conn != nil || f.disconnectedAt.IsZero() {
			continue
		}
		if now.Sub(f.disconnectedAt) >= failoverTimeout(f) {
			m.removeFramework(f, "failover timeout expired")
		}
	}
}

// removeFramework tears a framework down: its tasks are killed, its offers
// rescinded and its allocation released.
func (m *Master) removeFramework(f *frameworkRecord, why string) {
	now := m.cfg.Clock.Now()
	if f.conn != nil {
		f.conn.close()
		f.conn = nil
	}
	for _, o := range m.book.ForFramework(f.id) {
		m.book.Remove(o.ID)
		m.dirtyAgents[o.AgentID] = struct{}{}
	}
	agents := map[string]bool{}
	for _, t := range f.tasks {
		agents[t.agentID] = true
		status := m.masterStatus(t, mesos.TaskState_TASK_KILLED, mesos.TaskStatus_REASON_FRAMEWORK_REMOVED, "Framework "+f.id+" removed: "+why)
		m.updateTask(f, t, status, false)
	}
	for _, agentID := range m.dropFrameworkExecutors(f) {
		agents[agentID] = true
	}
	for agentID := range agents {
		if a := m.agents[agentID]; a != nil {
			m.sendAgent(a, shutdownFrameworkEvent(f.id))
			m.dirtyAgents[agentID] = struct{}{}
		}
	}
	m.alloc.RemoveFramework(f.id)
	delete(m.frameworks, f.id)
	f.unregisteredAt = now
	m.completedFrameworks = append(m.completedFrameworks, f)
	if over := len(m.completedFrameworks) - m.cfg.MaxCompletedFrameworks; over > 0 {
		m.completedFrameworks = m.completedFrameworks[over:]
	}
	m.publishFrameworkRemoved(f)
	m.log.Info("framework removed", zap.String("framework_id", f.id), zap.String("reason", why))
}

func (m *Master) sendHeartbeats() {
	hb := &scheduler.Event{Type: scheduler.Event_HEARTBEAT.Enum()}
	for _, f := range m.frameworks {
		if f.conn != nil {
			m.sendFramework(f, hb)
		}
	}
	m.publishHeartbeat()
}

// sendFramework queues an event; a framework too far behind is disconnected
// rather than allowed to stall the loop.
func (m *Master) sendFramework(f *frameworkRecord, e *scheduler.Event) bool {
	if f.conn == nil {
		return false
	}
	if f.conn.send(e) {
		return true
	}
	m.log.Warn("framework event queue full; closing its subscription", zap.String("framework_id", f.id))
	m.disconnectFramework(f, "event queue full")
	return false
}

func errorEvent(msg string) *scheduler.Event {
	return &scheduler.Event{Type: scheduler.Event_ERROR.Enum(), Error: &scheduler.Event_Error{Message: &msg}}
}

// frameworkRoles returns the roles a framework subscribes to: its roles when
// it is MULTI_ROLE, otherwise its single (legacy) role, "*" by default.
func frameworkRoles(info *mesos.FrameworkInfo) ([]string, bool, error) {
	multi := hasCapability(info, mesos.FrameworkInfo_Capability_MULTI_ROLE)
	if multi {
		if info.Role != nil {
			return nil, true, invalidf("'framework_info.role' must not be set for a MULTI_ROLE framework; use 'roles'")
		}
		seen := map[string]bool{}
		for _, r := range info.GetRoles() {
			if err := validateRole(r); err != nil {
				return nil, true, err
			}
			if seen[r] {
				return nil, true, invalidf("'framework_info.roles' contains %q twice", r)
			}
			seen[r] = true
		}
		return append([]string(nil), info.GetRoles()...), true, nil
	}
	if len(info.GetRoles()) > 0 {
		return nil, false, invalidf("'framework_info.roles' requires the MULTI_ROLE capability")
	}
	role := info.GetRole()
	if role == "" {
		role = "*"
	}
	if err := validateRole(role); err != nil {
		return nil, false, err
	}
	return []string{role}, false, nil
}

// validateRole applies Mesos's role name rules.
func validateRole(r string) error {
	switch {
	case r == "":
		return invalidf("role name must not be empty")
	case r == "*":
		return nil
	case strings.Contains(r, "*"):
		return invalidf("role name %q may only be '*' itself, not contain it", r)
	case r == "." || r == "..":
		return invalidf("role name %q is reserved", r)
	case strings.HasPrefix(r, "-"):
		return invalidf("role name %q must not start with '-'", r)
	case strings.HasPrefix(r, "/") || strings.HasSuffix(r, "/"):
		return invalidf("role name %q must not start or end with '/'", r)
	case strings.ContainsAny(r, " \t\n\r\\\x00"):
		return invalidf("role name %q contains whitespace, a backslash or NUL", r)
	}
	return nil
}

// suppressedRoles checks that every suppressed role is one of the
// framework's roles.
func suppressedRoles(suppressed, roles []string) ([]string, error) {
	for _, s := range suppressed {
		found := false
		for _, r := range roles {
			found = found || r == s
		}
		if !found {
			return nil, invalidf("suppressed role %q is not one of the framework's roles", s)
		}
	}
	return suppressed, nil
}

func hasCapability(info *mesos.FrameworkInfo, c mesos.FrameworkInfo_Capability_Type) bool {
	for _, cap := range info.GetCapabilities() {
		if cap.GetType() == c {
			return true
		}
	}
	return false
}

// announceFramework tells every connected agent running tasks of f that f
// has (re)subscribed, so updates it missed while away are resent at once
// rather than at the agents' next backed-off retry (up to a minute).
func (m *Master) announceFramework(f *frameworkRecord) {
	told := map[string]bool{}
	for _, t := range f.tasks {
		a := m.agents[t.agentID]
		if told[t.agentID] || a == nil || a.conn == nil {
			continue
		}
		told[t.agentID] = true
		m.sendAgent(a, &agentpb.Event{
			Type: agentpb.Event_UPDATE_FRAMEWORK.Enum(),
			UpdateFramework: &agentpb.Event_UpdateFramework{
				FrameworkId:   &mesos.FrameworkID{Value: strPtr(f.id)},
				FrameworkInfo: f.info,
			},
		})
	}
}
