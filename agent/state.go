package agent

import (
	"sort"
	"time"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	protores "github.com/agoraproject/agora/proto/resources"
)

// stateSnapshot is the immutable document /state serves, in the shape of
// the Mesos agent's state.json. The loop builds a new one after each change
// and publishes it atomically.
type stateSnapshot struct {
	Version             string                    `json:"version"`
	StartTime           float64                   `json:"start_time"`
	ID                  string                    `json:"id"`
	PID                 string                    `json:"pid"`
	Hostname            string                    `json:"hostname"`
	Capabilities        []string                  `json:"capabilities"`
	Resources           map[string]any            `json:"resources"`
	ReservedResources   map[string]map[string]any `json:"reserved_resources"`
	UnreservedResources map[string]any            `json:"unreserved_resources"`
	Attributes          map[string]any            `json:"attributes"`
	MasterHostname      string                    `json:"master_hostname,omitempty"`
	Flags               map[string]string         `json:"flags"`
	Frameworks          []frameworkJSON           `json:"frameworks"`
	CompletedFrameworks []frameworkJSON           `json:"completed_frameworks"`

	// containers are the live containers, for /monitor/statistics and
	// GET_CONTAINERS (not part of state.json).
	containers []liveContainer
	builtAt    time.Time // on the agent's clock

	// For /metrics and /metrics/snapshot (not part of state.json).
	registered     bool // subscribed to the master
	pendingUpdates int  // status updates not yet acknowledged

}

type frameworkJSON struct {
	ID                 string         `json:"id"`
	Name               string         `json:"name"`
	User               string         `json:"user"`
	Hostname           string         `json:"hostname"`
	Role               string         `json:"role"`
	Roles              []string       `json:"roles,omitempty"`
	Principal          string         `json:"principal,omitempty"`
	FailoverTimeout    float64        `json:"failover_timeout"`
	Checkpoint         bool           `json:"checkpoint"`
	Capabilities       []string       `json:"capabilities"`
	Executors          []executorJSON `json:"executors"`
	CompletedExecutors []executorJSON `json:"completed_executors"`
}

type executorJSON struct {
	ID             string         `json:"id"`
	Name           string         `json:"name"`
	Source         string         `json:"source"`
	Container      string         `json:"container"`
	Directory      string         `json:"directory"`
	Type           string         `json:"type"`
	Resources      map[string]any `json:"resources"`
	Tasks          []taskJSON     `json:"tasks"`
	QueuedTasks    []taskJSON     `json:"queued_tasks"`
	CompletedTasks []taskJSON     `json:"completed_tasks"`
}

type taskJSON struct {
	ID          string         `json:"id"`
	Name        string         `json:"name"`
	FrameworkID string         `json:"framework_id"`
	ExecutorID  string         `json:"executor_id"`
	AgentID     string         `json:"slave_id"`
	State       string         `json:"state"`
	Resources   map[string]any `json:"resources"`
	Statuses    []statusJSON   `json:"statuses"`
}

type statusJSON struct {
	State           string               `json:"state"`
	Timestamp       float64              `json:"timestamp"`
	ContainerStatus *containerStatusJSON `json:"container_status,omitempty"`
	Healthy         *bool                `json:"healthy,omitempty"` // set by health checks
}

type containerStatusJSON struct {
	ContainerID map[string]any `json:"container_id"`
	ExecutorPID uint32         `json:"executor_pid,omitempty"`
}

// publishIfDirty publishes a new snapshot, unless more messages are
// queued and the last one is under 20 ms old: building one walks every
// task, so a burst of messages then costs one snapshot, built when the
// queue drains. (With a message queued the loop does not block, so no
// change stays unpublished while it idles.)
func (a *Agent) publishIfDirty() {
	if a.dirty && (len(a.msgs) == 0 || a.clock.Now().Sub(a.snapshot.Load().builtAt) >= 20*time.Millisecond) {
		a.publish()
	}
}

// publish builds and publishes a new snapshot. It runs on the loop (and
// once in New, before the loop exists).
func (a *Agent) publish() {
	a.dirty = false
	s := &stateSnapshot{
		Version:             Version,
		StartTime:           float64(a.startTime.UnixNano()) / 1e9,
		ID:                  a.ID(),
		PID:                 "slave(1)@" + a.endpoint(),
		Hostname:            a.hostname,
		Capabilities:        []string{"MULTI_ROLE", "HIERARCHICAL_ROLE", "RESERVATION_REFINEMENT"},
		Resources:           protores.Flatten(a.resources),
		ReservedResources:   protores.FlattenReserved(a.resources),
		UnreservedResources: protores.Flatten(protores.Unreserved(a.resources)),
		Attributes:          attributesJSON(a.attributes),
		MasterHostname:      a.master.hostname(),
		Flags: map[string]string{
			"master": a.cfg.Master, "work_dir": a.cfg.WorkDir, "hostname": a.hostname,
			"ip": a.ip, "port": a.endpoint(), "resources": a.cfg.Resources, "attributes": a.cfg.Attributes,
		},
		Frameworks:          []frameworkJSON{},
		CompletedFrameworks: []frameworkJSON{},
	}
	for _, fw := range a.frameworks {
		s.Frameworks = append(s.Frameworks, frameworkState(fw, s.ID))
	}
	for _, fw := range a.completedFrameworks {
		s.CompletedFrameworks = append(s.CompletedFrameworks, frameworkState(fw, s.ID))
	}
	sort.Slice(s.Frameworks, func(i, j int) bool { return s.Frameworks[i].ID < s.Frameworks[j].ID })
	s.containers, s.builtAt = a.containerList(), a.clock.Now()
	s.registered, s.pendingUpdates = a.sess.subscribed, a.updates.Queued()
	a.snapshot.Store(s)
}

func frameworkState(fw *framework, agentID string) frameworkJSON {
	fi := fw.info
	out := frameworkJSON{
		ID: fi.GetId().GetValue(), Name: fi.GetName(), User: fi.GetUser(), Hostname: fi.GetHostname(),
		Role: fi.GetRole(), Roles: fi.GetRoles(), Principal: fi.GetPrincipal(),
		FailoverTimeout: fi.GetFailoverTimeout(), Checkpoint: fi.GetCheckpoint(),
		Capabilities: []string{}, Executors: []executorJSON{}, CompletedExecutors: []executorJSON{},
	}
	for _, c := range fi.GetCapabilities() {
		out.Capabilities = append(out.Capabilities, c.GetType().String())
	}
	for _, ex := range fw.executors {
		out.Executors = append(out.Executors, executorState(ex, agentID))
	}
	sort.Slice(out.Executors, func(i, j int) bool { return out.Executors[i].ID < out.Executors[j].ID })
	for _, ex := range fw.completed {
		out.CompletedExecutors = append(out.CompletedExecutors, executorState(ex, agentID))
	}
	return out
}

func executorState(ex *executor, agentID string) executorJSON {
	out := executorJSON{
		ID: ex.id, Name: "Command Executor (Task: " + ex.id + ")", Source: ex.id,
		Container: ex.containerID, Directory: ex.directory, Type: "COMMAND",
		Tasks: []taskJSON{}, QueuedTasks: []taskJSON{}, CompletedTasks: []taskJSON{},
	}
	var rs []*mesos.Resource
	if ex.info != nil {
		out.Name, out.Source, out.Type = ex.info.GetName(), ex.info.GetSource(), "DEFAULT"
		if ex.run != nil {
			out.Type = "CUSTOM"
		}
		rs = ex.info.GetResources()
	}
	// A command executor's resources are its one task's, whose rendering
	// is cached.
	sum := ex.info != nil || len(ex.tasks) != 1
	for _, t := range ex.tasks {
		if sum {
			rs = protores.Add(rs, t.info.GetResources())
		}
		// A task whose terminal update is not acknowledged yet is already
		// completed for readers of state.json.
		if t.live() {
			out.Tasks = append(out.Tasks, taskState(t, agentID))
		} else {
			out.CompletedTasks = append(out.CompletedTasks, taskState(t, agentID))
		}
	}
	for _, t := range ex.completedTasks {
		out.CompletedTasks = append(out.CompletedTasks, taskState(t, agentID))
	}
	sort.Slice(out.Tasks, func(i, j int) bool { return out.Tasks[i].ID < out.Tasks[j].ID })
	if sum {
		out.Resources = protores.Flatten(rs)
	} else {
		for _, t := range ex.tasks {
			out.Resources = taskState(t, agentID).Resources
		}
	}
	return out
}

// taskViewKey is what a task's /state entry depends on that can change:
// statuses are only ever appended.
type taskViewKey struct {
	state    mesos.TaskState
	statuses int
	agentID  string
}

// taskState returns t's /state entry, rendered again only when it changed.
// Snapshots share the entry, so nothing may modify it.
func taskState(t *task, agentID string) taskJSON {
	key := taskViewKey{t.state, len(t.statuses), agentID}
	if t.view == nil || t.viewKey != key {
		v := renderTask(t, agentID)
		t.view, t.viewKey = &v, key
	}
	return *t.view
}

func renderTask(t *task, agentID string) taskJSON {
	out := taskJSON{
		ID: t.key.task, Name: t.info.GetName(), FrameworkID: t.key.framework, ExecutorID: "",
		AgentID: agentID, State: t.state.String(),
		Resources: protores.Flatten(t.info.GetResources()), Statuses: []statusJSON{},
	}
	if t.executor.info != nil {
		out.ExecutorID = t.executor.id
	}
	for _, st := range t.statuses {
		sj := statusJSON{State: st.GetState().String(), Timestamp: st.GetTimestamp(), Healthy: st.Healthy}
		if cs := st.GetContainerStatus(); cs != nil {
			sj.ContainerStatus = &containerStatusJSON{ContainerID: containerIDJSON(cs.GetContainerId()), ExecutorPID: cs.GetExecutorPid()}
		}
		out.Statuses = append(out.Statuses, sj)
	}
	return out
}

func containerIDJSON(id *mesos.ContainerID) map[string]any {
	out := map[string]any{"value": id.GetValue()}
	if id.GetParent() != nil {
		out["parent"] = containerIDJSON(id.GetParent())
	}
	return out
}

// attributesJSON renders attributes as state.json does: text as strings,
// scalars as numbers, ranges and sets in their text form.
func attributesJSON(as []*mesos.Attribute) map[string]any {
	out := map[string]any{}
	for _, at := range as {
		switch at.GetType() {
		case mesos.Value_SCALAR:
			out[at.GetName()] = at.GetScalar().GetValue()
		case mesos.Value_TEXT:
			out[at.GetName()] = at.GetText().GetValue()
		case mesos.Value_RANGES:
			r := &mesos.Resource{Name: at.Name, Type: at.Type, Ranges: at.Ranges}
			out[at.GetName()] = protores.Flatten([]*mesos.Resource{r})[at.GetName()]
		case mesos.Value_SET:
			r := &mesos.Resource{Name: at.Name, Type: at.Type, Set: at.Set}
			out[at.GetName()] = protores.Flatten([]*mesos.Resource{r})[at.GetName()]
		}
	}
	return out
}
