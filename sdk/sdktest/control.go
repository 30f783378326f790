package sdktest

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/protobuf/proto"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	schedpb "github.com/agoraproject/agora/proto/mesos/v1/scheduler"
)

// This file is the test-facing side of the fake: what a test tells it to
// do, and what it saw.

// ErrNoStream is returned when an event is sent while no framework is
// subscribed.
var ErrNoStream = errors.New("sdktest: no framework is subscribed")

// OfferAll offers every agent's free resources now, ignoring suppression
// and filters (agents with an outstanding offer are skipped), and returns
// the offers sent.
func (m *Master) OfferAll() []*mesos.Offer {
	m.mu.Lock()
	defer m.mu.Unlock()
	defer m.notifyLocked()
	return m.offerLocked(true)
}

// Send puts e on the framework's stream as is.
func (m *Master) Send(e *schedpb.Event) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.sendLocked(proto.Clone(e).(*schedpb.Event)) {
		return ErrNoStream
	}
	return nil
}

// Heartbeat sends one HEARTBEAT event.
func (m *Master) Heartbeat() error {
	return m.Send(&schedpb.Event{Type: schedpb.Event_HEARTBEAT.Enum()})
}

// SendError sends an ERROR event, which ends a subscription for good.
func (m *Master) SendError(message string) error {
	return m.Send(&schedpb.Event{
		Type:  schedpb.Event_ERROR.Enum(),
		Error: &schedpb.Event_Error{Message: proto.String(message)},
	})
}

// UpdateTask moves a task the fake knows to state, with a uuid, as its
// executor would; for tasks Options.TaskResult left running.
func (m *Master) UpdateTask(taskID string, state mesos.TaskState, message string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	tk := m.tasks[taskID]
	if tk == nil {
		return fmt.Errorf("sdktest: unknown task %q", taskID)
	}
	if !m.transitionLocked(tk, state, message) {
		return fmt.Errorf("sdktest: task %q is already %s", taskID, tk.state)
	}
	m.autoOfferLocked()
	m.notifyLocked()
	return nil
}

// DropStream ends the current subscription's stream, as a master failover
// or a network cut would. The framework stays registered and may
// resubscribe with its ID.
func (m *Master) DropStream() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.sub != nil {
		m.sub.close()
		m.sub = nil
		m.notifyLocked()
	}
}

// RedirectTo makes the fake answer every request with 307 and
// "Location: //<hostport><path>", as a non-leading master does; "" stops.
func (m *Master) RedirectTo(hostport string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.redirect = hostport
}

// SetUnavailable makes the fake answer every request with 503, as a master
// does while no leader is elected.
func (m *Master) SetUnavailable(v bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.unavailable = v
}

// FailNext makes the next call of type t (SUBSCRIBE included) be answered
// with code and body instead of being applied.
func (m *Master) FailNext(t schedpb.Call_Type, code int, body string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.failNext[t] = &failure{code: code, body: body}
}

// Wait blocks until cond returns true; cond is evaluated now and after
// every change to the fake's state, and may call the fake's methods.
func (m *Master) Wait(ctx context.Context, cond func() bool) error {
	for {
		m.mu.Lock()
		ch := m.changed
		m.mu.Unlock()
		if cond() {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Requests is the number of HTTP requests received, whatever the answer.
func (m *Master) Requests() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.requests
}

// Redirected is the number of requests answered with 307.
func (m *Master) Redirected() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.redirects
}

// Subscribes returns the SUBSCRIBE calls received, oldest first.
func (m *Master) Subscribes() []*schedpb.Call {
	m.mu.Lock()
	defer m.mu.Unlock()
	return cloneCalls(m.subscribes)
}

// Calls returns the accepted non-SUBSCRIBE calls of the given types (all
// when none are given), oldest first.
func (m *Master) Calls(types ...schedpb.Call_Type) []*schedpb.Call {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*schedpb.Call
	for _, c := range m.calls {
		if len(types) == 0 || containsType(types, c.GetType()) {
			out = append(out, c)
		}
	}
	return cloneCalls(out)
}

// Acknowledged returns the acknowledgements received, oldest first.
func (m *Master) Acknowledged() []*schedpb.Call_Acknowledge {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]*schedpb.Call_Acknowledge, len(m.acks))
	for i, a := range m.acks {
		out[i] = proto.Clone(a).(*schedpb.Call_Acknowledge)
	}
	return out
}

// Unacknowledged is the number of updates sent with a uuid and not yet
// acknowledged.
func (m *Master) Unacknowledged() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.unacked)
}

// Subscribed reports whether a framework currently has an open stream.
func (m *Master) Subscribed() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.sub != nil && m.fw != nil
}

// FrameworkID is the registered framework's ID, "" if none.
func (m *Master) FrameworkID() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.fw.GetId().GetValue()
}

// Removed reports whether the framework with this ID was torn down.
func (m *Master) Removed(frameworkID string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.removed[frameworkID]
}

// Tasks returns the latest state of every task launched, by task ID.
func (m *Master) Tasks() map[string]mesos.TaskState {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]mesos.TaskState, len(m.tasks))
	for id, tk := range m.tasks {
		out[id] = tk.state
	}
	return out
}

func cloneCalls(cs []*schedpb.Call) []*schedpb.Call {
	out := make([]*schedpb.Call, len(cs))
	for i, c := range cs {
		out[i] = proto.Clone(c).(*schedpb.Call)
	}
	return out
}

func containsType(ts []schedpb.Call_Type, t schedpb.Call_Type) bool {
	for _, x := range ts {
		if x == t {
			return true
		}
	}
	return false
}
