package core

import (
	"slices"
	"strings"
	"time"

	"github.com/agoraproject/agora/frameworks/marathon/app"
	"github.com/agoraproject/agora/frameworks/marathon/state"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// appState is the loop's book for one app: its definition (never mutated
// once published: changes replace it), its instances and its launch queue.
type appState struct {
	app   *app.App
	tasks map[string]*task
	// order is tasks sorted by ID, kept up to date by addTask and
	// dropTask once built (nil: not built), so that neither the API view
	// nor converging sorts a large app on every status update.
	order []*task

	// toLaunch is how many instances wait for an offer.
	toLaunch    int
	queuedSince time.Time
	// delay is the current launch back-off; nothing launches before
	// launchAfter.
	delay       time.Duration
	launchAfter time.Time
	lastFailure *state.TaskFailure
	offers      offerStats

	versions []string // stored versions, oldest first
	deleting bool     // removed by a deployment; hidden, its tasks being stopped

	// persist marks the instance list for writing at the end of the
	// batch; view marks the cached API view stale.
	persist bool
	view    *appView
	// unsettled marks the app for converging at the end of the batch
	// (see settle).
	unsettled bool
}

func newAppState(a *app.App) *appState {
	return &appState{app: a, tasks: map[string]*task{}}
}

func compareTasks(a, b *task) int { return strings.Compare(a.ID, b.ID) }

// addTask adds or replaces an instance.
func (as *appState) addTask(t *task) {
	old := as.tasks[t.ID]
	as.tasks[t.ID] = t
	if as.order == nil {
		return
	}
	i, found := slices.BinarySearchFunc(as.order, t, compareTasks)
	if found && old != nil {
		as.order[i] = t
		return
	}
	as.order = slices.Insert(as.order, i, t)
}

// dropTask removes an instance.
func (as *appState) dropTask(id string) {
	t := as.tasks[id]
	if t == nil {
		return
	}
	delete(as.tasks, id)
	if as.order == nil {
		return
	}
	if i, found := slices.BinarySearchFunc(as.order, t, compareTasks); found {
		as.order = slices.Delete(as.order, i, i+1)
	}
}

// sorted returns the instances sorted by ID. The slice belongs to the app:
// callers must not keep it across addTask or dropTask.
func (as *appState) sorted() []*task {
	if as.order == nil {
		as.order = make([]*task, 0, len(as.tasks))
		for _, t := range as.tasks {
			as.order = append(as.order, t)
		}
		slices.SortFunc(as.order, compareTasks)
	}
	return as.order
}

// task is one instance. The exported fields are persisted (instances/...)
// so that a new leader knows what runs before the master tells it.
type task struct {
	ID            string            `json:"id"`
	AppID         string            `json:"appId"`
	AgentID       string            `json:"agentId"`
	Host          string            `json:"host"`
	Ports         []int             `json:"ports"`
	Version       string            `json:"version"`
	ConfigVersion string            `json:"configVersion"`
	Attributes    map[string]string `json:"attributes,omitempty"`
	StagedAt      time.Time         `json:"stagedAt"`
	StartedAt     time.Time         `json:"startedAt,omitzero"`
	Killing       bool              `json:"killing,omitempty"`

	State mesos.TaskState `json:"-"`
	// Healthy is persisted: after a failover the checks' last verdict
	// stands until the agent reports again.
	Healthy          *bool             `json:"healthy,omitempty"`
	UnreachableSince time.Time         `json:"-"`
	IPs              []state.IPAddress `json:"-"`
	Message          string            `json:"-"`
	healthSince      time.Time
	// view caches taskView; whoever changes a field it shows clears it.
	view *state.Task
}

// apiView is the task as the API shows it, rendered once per change. The
// result is never modified: published snapshots share it.
func (t *task) apiView() *state.Task {
	if t.view == nil {
		v := taskView(t)
		t.view = &v
	}
	return t.view
}

func (t *task) terminal() bool { return terminal(t.State) }

func (t *task) running() bool { return t.State == mesos.TaskState_TASK_RUNNING }

// healthy says whether the task counts as healthy for deployments: running,
// and passing its health checks if the app has any.
func (t *task) healthy(a *app.App) bool {
	if !t.running() {
		return false
	}
	if len(a.HealthChecks) == 0 {
		return true
	}
	return t.Healthy != nil && *t.Healthy
}

// inactive says whether an unreachable task has been gone long enough to
// be replaced.
func (t *task) inactive(a *app.App, now time.Time) bool {
	if t.State != mesos.TaskState_TASK_UNREACHABLE || t.UnreachableSince.IsZero() {
		return false
	}
	us := unreachable(a)
	if us.Disabled {
		return false
	}
	return !now.Before(t.UnreachableSince.Add(time.Duration(us.InactiveAfterSeconds) * time.Second))
}

func unreachable(a *app.App) app.UnreachableStrategy {
	if a.UnreachableStrategy == nil {
		return app.DefaultUnreachableStrategy()
	}
	return *a.UnreachableStrategy
}

// offerStats is what offer processing did for a queued app since it was
// queued: the queue's processedOffersSummary.
type offerStats struct {
	processed, unused int
	lastUnusedAt      time.Time
	lastUsedAt        time.Time
	reasons           map[string]int
	lastUnused        []state.UnusedOffer
}

const maxLastUnused = 10

func (s *offerStats) refused(o *mesos.Offer, reasons []string, now time.Time) {
	s.unused++
	s.lastUnusedAt = now
	if s.reasons == nil {
		s.reasons = map[string]int{}
	}
	for _, r := range reasons {
		s.reasons[r]++
	}
	u := state.UnusedOffer{
		Offer: state.UnusedOfferInfo{
			ID:       o.GetId().GetValue(),
			AgentID:  o.GetAgentId().GetValue(),
			Hostname: o.GetHostname(),
		},
		Reason:    append([]string(nil), reasons...),
		Timestamp: stamp(now),
	}
	s.lastUnused = append(s.lastUnused, u)
	if len(s.lastUnused) > maxLastUnused {
		s.lastUnused = append([]state.UnusedOffer(nil), s.lastUnused[len(s.lastUnused)-maxLastUnused:]...)
	}
}

// deployment is a running plan. The exported fields are persisted so that
// a new leader resumes it.
type deployment struct {
	ID           string       `json:"id"`
	Version      string       `json:"version"`
	Steps        []state.Step `json:"steps"`
	Current      int          `json:"currentStep"` // index of the running step
	AffectedApps []string     `json:"affectedApps"`
	// Original holds the affected apps as they were (nil: did not exist),
	// for rollback; OriginalGroups the explicit groups.
	Original       map[string]*app.App `json:"original"`
	OriginalGroups []state.Group       `json:"originalGroups"`
	// Target holds the affected apps as they will be (nil: deleted).
	Target map[string]*app.App `json:"target"`

	waiting map[string]string // per app of the current step: why it waits
}

func (d *deployment) view() state.Deployment {
	out := state.Deployment{
		ID:           d.ID,
		Version:      d.Version,
		AffectedApps: append([]string{}, d.AffectedApps...),
		AffectedPods: []string{},
		Steps:        d.Steps,
		CurrentStep:  min(d.Current+1, len(d.Steps)),
		TotalSteps:   len(d.Steps),
	}
	out.CurrentActions = []state.CurrentAction{}
	if d.Current < len(d.Steps) {
		for _, a := range d.Steps[d.Current].Actions {
			out.CurrentActions = append(out.CurrentActions, state.CurrentAction{
				Action: a.Action, App: a.App, ReadinessCheckResults: []any{}, Waiting: d.waiting[a.App],
			})
		}
	}
	return out
}

func terminal(s mesos.TaskState) bool {
	switch s {
	case mesos.TaskState_TASK_FINISHED, mesos.TaskState_TASK_FAILED, mesos.TaskState_TASK_KILLED,
		mesos.TaskState_TASK_ERROR, mesos.TaskState_TASK_LOST, mesos.TaskState_TASK_DROPPED,
		mesos.TaskState_TASK_GONE, mesos.TaskState_TASK_GONE_BY_OPERATOR, mesos.TaskState_TASK_UNKNOWN:
		return true
	}
	return false
}

// stamp renders a time as Marathon does: RFC 3339, UTC, milliseconds.
func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}
