package core

import (
	"context"
	"encoding/json"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/agoraproject/agora/frameworks/marathon/app"
	"github.com/agoraproject/agora/frameworks/marathon/state"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// snapshot is an immutable view of the state for reads. It is rebuilt
// after each batch that changed something, reusing the per-app views that
// did not change, so reads never wait for the loop.
type snapshot struct {
	leader      bool
	frameworkID string
	apps        []*appView        // sorted by ID
	lite        []state.AppStatus // the same without tasks
	index       map[string]int
	versions    map[string][]string // newest first
	deployments []state.Deployment
	queue       []queueItem
	groups      []state.Group

	tasksOnce sync.Once
	tasks     []state.Task
}

type queueItem struct {
	entry       state.QueueEntry
	launchAfter time.Time
}

// appView is an app as published: its counts, and its tasks' views,
// which are copied into the []state.Task readers get only when first
// read. The loop rebuilds an app's view after each change to the app, up
// to once per batch; with 10,000 tasks, copying every task there (rather
// than their pointers) was most of the loop's time during a scale-up.
type appView struct {
	status state.AppStatus // Tasks nil
	tasks  []*state.Task   // immutable: a changed task gets a new view

	once sync.Once
	full []state.Task
}

// withTasks is the app with its tasks.
func (v *appView) withTasks() state.AppStatus {
	v.once.Do(func() {
		v.full = make([]state.Task, len(v.tasks))
		for i, t := range v.tasks {
			v.full[i] = *t
		}
	})
	s := v.status
	s.Tasks = v.full
	return s
}

// publish builds and stores a new snapshot.
func (c *Core) publish() {
	c.dirty = false
	c.lastPublish = c.now()
	s := &snapshot{leader: c.leader, frameworkID: c.frameworkID, index: map[string]int{}, versions: map[string][]string{}}
	ids := make([]string, 0, len(c.apps))
	for id, as := range c.apps {
		if !as.deleting {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	s.apps = make([]*appView, len(ids))
	s.lite = make([]state.AppStatus, len(ids))
	for i, id := range ids {
		as := c.apps[id]
		if as.view == nil {
			as.view = c.appView(as)
		}
		s.apps[i] = as.view
		s.lite[i] = as.view.status
		s.index[id] = i
		vs := make([]string, len(as.versions))
		for j, v := range as.versions {
			vs[len(vs)-1-j] = v
		}
		s.versions[id] = vs
		if as.toLaunch > 0 {
			s.queue = append(s.queue, queueItem{entry: queueEntry(as), launchAfter: as.launchAfter})
		}
	}
	for _, d := range c.deployments {
		s.deployments = append(s.deployments, d.view())
	}
	slices.SortFunc(s.deployments, func(a, b state.Deployment) int {
		if a.Version != b.Version {
			return strings.Compare(a.Version, b.Version)
		}
		return strings.Compare(a.ID, b.ID)
	})
	s.groups = sortedGroups(c.groups)
	c.snap.Store(s)
	c.notifyChanged()
}

// appView is an app with its counts and tasks.
func (c *Core) appView(as *appState) *appView {
	out := &appView{status: state.AppStatus{App: as.app, LastTaskFailure: as.lastFailure, Deployments: []string{}}}
	v := &out.status
	if d := c.lockedBy[as.app.ID]; d != nil {
		v.Deployments = append(v.Deployments, d.ID)
	}
	ts := as.sorted()
	out.tasks = make([]*state.Task, len(ts))
	for i, t := range ts {
		switch {
		case t.State == mesos.TaskState_TASK_STAGING || t.State == mesos.TaskState_TASK_STARTING:
			v.TasksStaged++
		case t.running():
			v.TasksRunning++
			if len(as.app.HealthChecks) > 0 && t.Healthy != nil {
				if *t.Healthy {
					v.TasksHealthy++
				} else {
					v.TasksUnhealthy++
				}
			}
		}
		out.tasks[i] = t.apiView()
	}
	return out
}

// taskView is a task as /v2/tasks serves it.
func taskView(t *task) state.Task {
	st := state.Task{
		ID: t.ID, AppID: t.AppID, Host: t.Host, SlaveID: t.AgentID,
		Ports: nonNilInts(t.Ports), ServicePorts: []int{}, IPAddresses: nonNilIPs(t.IPs),
		StagedAt: stamp(t.StagedAt), StartedAt: stamp(t.StartedAt), Version: t.Version,
		State: t.State.String(), LocalVolumes: []any{},
	}
	if t.Killing && !terminal(t.State) {
		st.State = mesos.TaskState_TASK_KILLING.String()
	}
	if t.Healthy != nil {
		r := state.HealthCheckResult{Alive: *t.Healthy, InstanceID: t.ID}
		if *t.Healthy {
			r.LastSuccess = stamp(t.healthSince)
		}
		st.HealthCheckResults = []state.HealthCheckResult{r}
	}
	return st
}

// rejectReasons lists Marathon's reject reasons in its funnel order.
var rejectReasons = []string{
	"UnfulfilledRole", "UnfulfilledConstraint", "NoCorrespondingReservationFound", "AgentMaintenance",
	"InsufficientCpus", "InsufficientMemory", "InsufficientDisk", "InsufficientGpus", "InsufficientPorts",
	"DeclinedScarceResources",
}

func queueEntry(as *appState) state.QueueEntry {
	o := as.offers
	sum := state.OffersSummary{
		ProcessedOffersCount:       o.processed,
		UnusedOffersCount:          o.unused,
		LastUnusedOfferAt:          stamp(o.lastUnusedAt),
		LastUsedOfferAt:            stamp(o.lastUsedAt),
		RejectSummaryLastOffers:    []state.RejectCount{},
		RejectSummaryLaunchAttempt: []state.RejectCount{},
	}
	seen := map[string]bool{}
	add := func(r string) {
		rc := state.RejectCount{Reason: r, Declined: o.reasons[r], Processed: o.processed}
		sum.RejectSummaryLastOffers = append(sum.RejectSummaryLastOffers, rc)
		sum.RejectSummaryLaunchAttempt = append(sum.RejectSummaryLaunchAttempt, rc)
		seen[r] = true
	}
	for _, r := range rejectReasons {
		add(r)
	}
	var other []string
	for r := range o.reasons {
		if !seen[r] {
			other = append(other, r)
		}
	}
	slices.Sort(other)
	for _, r := range other {
		add(r)
	}
	return state.QueueEntry{
		App:                    as.app,
		Count:                  as.toLaunch,
		Since:                  stamp(as.queuedSince),
		ProcessedOffersSummary: sum,
		LastUnusedOffers:       append([]state.UnusedOffer(nil), o.lastUnused...),
	}
}

// Apps returns every app sorted by ID; tasks only when asked for.
func (c *Core) Apps(withTasks bool) []state.AppStatus {
	s := c.snap.Load()
	if withTasks {
		out := make([]state.AppStatus, len(s.apps))
		for i, v := range s.apps {
			out[i] = v.withTasks()
		}
		return out
	}
	return slices.Clone(s.lite)
}

// App returns one app with counts and tasks.
func (c *Core) App(id string) (state.AppStatus, error) {
	s := c.snap.Load()
	id = app.CanonicalID(id)
	i, ok := s.index[id]
	if !ok {
		return state.AppStatus{}, &state.NotFoundError{Kind: "App", ID: id}
	}
	return s.apps[i].withTasks(), nil
}

// AppVersions lists an app's stored versions, newest first.
func (c *Core) AppVersions(id string) ([]string, error) {
	s := c.snap.Load()
	id = app.CanonicalID(id)
	vs, ok := s.versions[id]
	if !ok {
		return nil, &state.NotFoundError{Kind: "App", ID: id}
	}
	return slices.Clone(vs), nil
}

// AppVersion returns one stored version of an app.
func (c *Core) AppVersion(id, version string) (*app.App, error) {
	s := c.snap.Load()
	id = app.CanonicalID(id)
	i, ok := s.index[id]
	if !ok {
		return nil, &state.NotFoundError{Kind: "App", ID: id}
	}
	if cur := s.lite[i].App; cur.Version == version {
		return cur.Clone(), nil
	}
	if !slices.Contains(s.versions[id], version) {
		return nil, &state.NotFoundError{Kind: "Version", ID: version}
	}
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	b, err := c.cfg.Store.Get(ctx, versionKey(id, version))
	if isNotFound(err) {
		return nil, &state.NotFoundError{Kind: "Version", ID: version}
	}
	if err != nil {
		return nil, err
	}
	a := &app.App{}
	if err := json.Unmarshal(b, a); err != nil {
		return nil, err
	}
	return a, nil
}

// Tasks returns every task of every app.
func (c *Core) Tasks() []state.Task {
	s := c.snap.Load()
	s.tasksOnce.Do(func() {
		n := 0
		for _, a := range s.apps {
			n += len(a.tasks)
		}
		s.tasks = make([]state.Task, 0, n)
		for _, a := range s.apps {
			s.tasks = append(s.tasks, a.withTasks().Tasks...)
		}
	})
	return slices.Clone(s.tasks)
}

// Deployments lists running deployments, oldest first.
func (c *Core) Deployments() []state.Deployment {
	return slices.Clone(c.snap.Load().deployments)
}

// Queue lists apps waiting for offers, with their delay as of now.
func (c *Core) Queue() []state.QueueEntry {
	s := c.snap.Load()
	now := c.clock.Now()
	out := make([]state.QueueEntry, len(s.queue))
	for i, q := range s.queue {
		e := q.entry
		left := q.launchAfter.Sub(now)
		if left > 0 {
			e.Delay.TimeLeftSeconds = int(math.Ceil(left.Seconds()))
		} else {
			e.Delay.Overdue = true
		}
		out[i] = e
	}
	return out
}

// Groups lists explicit groups.
func (c *Core) Groups() []state.Group {
	return slices.Clone(c.snap.Load().groups)
}

// Metrics are the core's gauges under Mesos-style names, for Prometheus:
// apps, tasks by state, running deployments and instances waiting to
// launch.
func (c *Core) Metrics() map[string]float64 {
	s := c.snap.Load()
	m := map[string]float64{
		"marathon/elected":         0,
		"marathon/apps":            float64(len(s.lite)),
		"marathon/deployments":     float64(len(s.deployments)),
		"marathon/queue_size":      0,
		"marathon/tasks_staged":    0,
		"marathon/tasks_running":   0,
		"marathon/tasks_healthy":   0,
		"marathon/tasks_unhealthy": 0,
	}
	if s.leader {
		m["marathon/elected"] = 1
	}
	for _, a := range s.lite {
		m["marathon/tasks_staged"] += float64(a.TasksStaged)
		m["marathon/tasks_running"] += float64(a.TasksRunning)
		m["marathon/tasks_healthy"] += float64(a.TasksHealthy)
		m["marathon/tasks_unhealthy"] += float64(a.TasksUnhealthy)
	}
	for _, q := range s.queue {
		m["marathon/queue_size"] += float64(q.entry.Count)
	}
	return m
}
