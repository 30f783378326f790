package core

import (
	"encoding/json"
	"sync"
	"time"

	"github.com/agoraproject/agora/frameworks/marathon/state"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// bus fans events out to subscribers. Publishing never blocks: a
// subscriber whose buffer is full is dropped (its channel closed).
type bus struct {
	mu   sync.Mutex
	next int
	subs map[int]chan state.Event
}

func newBus() *bus { return &bus{subs: map[int]chan state.Event{}} }

func (b *bus) subscribe(buffer int) (<-chan state.Event, func()) {
	if buffer < 1 {
		buffer = 1
	}
	ch := make(chan state.Event, buffer)
	b.mu.Lock()
	id := b.next
	b.next++
	b.subs[id] = ch
	b.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			b.mu.Lock()
			defer b.mu.Unlock()
			if c, ok := b.subs[id]; ok {
				delete(b.subs, id)
				close(c)
			}
		})
	}
}

func (b *bus) publish(e state.Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for id, ch := range b.subs {
		select {
		case ch <- e:
		default:
			delete(b.subs, id)
			close(ch)
		}
	}
}

// idle says whether nobody listens, so that the loop need not encode
// events (two per status update) for no one.
func (b *bus) idle() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs) == 0
}

// Subscribe streams events until cancel is called.
func (c *Core) Subscribe(buffer int) (<-chan state.Event, func()) { return c.bus.subscribe(buffer) }

// Publish emits an event from the API layer.
func (c *Core) Publish(e state.Event) { c.bus.publish(e) }

// emit publishes an event built by the loop.
func (c *Core) emit(body map[string]any) {
	if c.bus.idle() {
		return
	}
	b, err := json.Marshal(body)
	if err != nil {
		return
	}
	c.bus.publish(state.Event{Type: body["eventType"].(string), Body: b})
}

func event(kind string, now time.Time) map[string]any {
	return map[string]any{"eventType": kind, "timestamp": stamp(now)}
}

func planJSON(d *deployment) map[string]any {
	original, target := []any{}, []any{}
	for _, id := range d.AffectedApps {
		if a := d.Original[id]; a != nil {
			original = append(original, a)
		}
		if a := d.Target[id]; a != nil {
			target = append(target, a)
		}
	}
	return map[string]any{
		"id":       d.ID,
		"version":  d.Version,
		"steps":    d.Steps,
		"original": map[string]any{"id": "/", "apps": original},
		"target":   map[string]any{"id": "/", "apps": target},
	}
}

func deploymentInfoEvent(d *deployment, now time.Time) map[string]any {
	e := event("deployment_info", now)
	e["plan"] = planJSON(d)
	if len(d.Steps) > 0 {
		e["currentStep"] = d.Steps[0]
	}
	return e
}

func deploymentSuccessEvent(d *deployment, now time.Time) map[string]any {
	e := event("deployment_success", now)
	e["id"] = d.ID
	e["plan"] = planJSON(d)
	return e
}

func deploymentFailedEvent(d *deployment, reason string, now time.Time) map[string]any {
	e := event("deployment_failed", now)
	e["id"] = d.ID
	e["plan"] = planJSON(d)
	e["reason"] = reason
	return e
}

func stepSuccessEvent(d *deployment, step state.Step, now time.Time) map[string]any {
	e := event("deployment_step_success", now)
	e["plan"] = planJSON(d)
	e["currentStep"] = step
	return e
}

func groupChangeEvent(groupID, version string, now time.Time) map[string]any {
	e := event("group_change_success", now)
	e["groupId"] = groupID
	e["version"] = version
	return e
}

func appTerminatedEvent(appID string, now time.Time) map[string]any {
	e := event("app_terminated_event", now)
	e["appId"] = appID
	return e
}

func statusUpdateEvent(t *task, st *mesos.TaskStatus, now time.Time) map[string]any {
	e := event("status_update_event", now)
	e["slaveId"] = t.AgentID
	e["taskId"] = t.ID
	e["taskStatus"] = st.GetState().String()
	e["message"] = st.GetMessage()
	e["appId"] = t.AppID
	e["host"] = t.Host
	e["ports"] = nonNilInts(t.Ports)
	e["ipAddresses"] = nonNilIPs(t.IPs)
	e["version"] = t.Version
	return e
}

func instanceChangedEvent(t *task, now time.Time) map[string]any {
	e := event("instance_changed_event", now)
	e["instanceId"] = t.ID
	e["condition"] = condition(t.State)
	e["runSpecId"] = t.AppID
	e["agentId"] = t.AgentID
	e["host"] = t.Host
	e["runSpecVersion"] = t.Version
	return e
}

func healthChangedEvent(t *task, alive bool, now time.Time) map[string]any {
	e := event("health_status_changed_event", now)
	e["appId"] = t.AppID
	e["taskId"] = t.ID
	e["instanceId"] = t.ID
	e["version"] = t.Version
	e["alive"] = alive
	return e
}

// condition is Marathon's name for an instance's state.
func condition(s mesos.TaskState) string {
	switch s {
	case mesos.TaskState_TASK_STAGING:
		return "Staging"
	case mesos.TaskState_TASK_STARTING:
		return "Starting"
	case mesos.TaskState_TASK_RUNNING:
		return "Running"
	case mesos.TaskState_TASK_KILLING:
		return "Killing"
	case mesos.TaskState_TASK_FINISHED:
		return "Finished"
	case mesos.TaskState_TASK_FAILED:
		return "Failed"
	case mesos.TaskState_TASK_KILLED:
		return "Killed"
	case mesos.TaskState_TASK_ERROR:
		return "Error"
	case mesos.TaskState_TASK_UNREACHABLE:
		return "Unreachable"
	case mesos.TaskState_TASK_DROPPED:
		return "Dropped"
	case mesos.TaskState_TASK_GONE:
		return "Gone"
	case mesos.TaskState_TASK_GONE_BY_OPERATOR:
		return "GoneByOperator"
	}
	return "Unknown"
}

func nonNilInts(p []int) []int {
	if p == nil {
		return []int{}
	}
	return p
}

func nonNilIPs(p []state.IPAddress) []state.IPAddress {
	if p == nil {
		return []state.IPAddress{}
	}
	return p
}
