package core

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/agoraproject/agora/frameworks/marathon/app"
	"github.com/agoraproject/agora/frameworks/marathon/state"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	schedpb "github.com/agoraproject/agora/proto/mesos/v1/scheduler"
	"github.com/agoraproject/agora/sdk/sdktest"
)

// TestDeployScaleAndKill deploys an app of 3, scales it up and down, and
// kills tasks with and without scaling, as a user of /v2/apps would.
func TestDeployScaleAndKill(t *testing.T) {
	h := newHarness(t, sdktest.Options{Agents: []sdktest.Agent{{}, {}}})
	web := newApp("/prod/web", 3)
	web.KillSelection = app.OldestFirst
	d := h.mustDeploy(web)
	if d.ID == "" || len(d.Steps) == 0 {
		t.Fatalf("deployment %+v", d)
	}
	h.idle()
	st := h.app("/prod/web")
	if st.TasksRunning != 3 || len(st.Tasks) != 3 {
		t.Fatalf("running %d, tasks %d; want 3", st.TasksRunning, len(st.Tasks))
	}
	if got := len(h.masterRunning()); got != 3 {
		t.Fatalf("master runs %d tasks, want 3", got)
	}
	ids := make([]string, 0, 3)
	for _, tk := range st.Tasks {
		ids = append(ids, tk.ID)
	}
	if !hasPrefixAll(ids, "prod_web.") {
		t.Fatalf("task IDs %v not in the legacy form", ids)
	}
	ti := h.launched()[0]
	env := envOf(ti)
	if env["MARATHON_APP_ID"] != "/prod/web" || env["PORT0"] == "" || env["PORT"] != env["PORT0"] ||
		env["MESOS_TASK_ID"] != ti.GetTaskId().GetValue() || env["MARATHON_APP_VERSION"] != st.App.Version || env["HOST"] == "" {
		t.Fatalf("environment %v", env)
	}
	if ti.GetName() != "web" || ti.GetCommand().GetValue() != "sleep 1000" || !ti.GetCommand().GetShell() {
		t.Fatalf("task info %v", ti)
	}
	if n := len(h.events("deployment_success")); n != 1 {
		t.Fatalf("%d deployment_success events", n)
	}
	if len(h.events("status_update_event")) < 3 {
		t.Fatal("no status_update_event")
	}
	if st.App.VersionInfo == nil || st.App.VersionInfo.LastConfigChangeAt != st.App.Version {
		t.Fatalf("versionInfo %+v", st.App.VersionInfo)
	}

	// Scale up: a scale keeps the config version.
	a := st.App.Clone()
	a.Instances = 5
	h.mustDeploy(a)
	h.idle()
	st5 := h.app("/prod/web")
	if st5.TasksRunning != 5 {
		t.Fatalf("running %d, want 5", st5.TasksRunning)
	}
	if st5.App.VersionInfo.LastConfigChangeAt != st.App.Version || st5.App.VersionInfo.LastScalingAt == st.App.Version {
		t.Fatalf("versionInfo after scaling %+v (first version %s)", st5.App.VersionInfo, st.App.Version)
	}
	if len(h.kills()) != 0 {
		t.Fatalf("kills while scaling up: %v", h.kills())
	}

	// Scale down to 2, killing the oldest.
	startedOrder := slices.Clone(st5.Tasks)
	slices.SortFunc(startedOrder, func(a, b state.Task) int { return strings.Compare(a.StartedAt, b.StartedAt) })
	a = st5.App.Clone()
	a.Instances = 2
	h.mustDeploy(a)
	h.idle()
	st2 := h.app("/prod/web")
	if st2.TasksRunning != 2 || len(st2.Tasks) != 2 {
		t.Fatalf("after scale down: %d running, %d tasks", st2.TasksRunning, len(st2.Tasks))
	}
	killed := h.kills()
	if len(killed) != 3 {
		t.Fatalf("killed %v, want 3", killed)
	}
	for _, tk := range startedOrder[3:] {
		if slices.Contains(killed, tk.ID) {
			t.Fatalf("killed %s, one of the youngest, with OLDEST_FIRST (killed %v)", tk.ID, killed)
		}
	}

	// Kill one without scaling: it is replaced.
	victim := st2.Tasks[0].ID
	if _, dep, err := h.core.KillTasks(context.Background(), []string{victim}, false, false, false); err != nil || dep != nil {
		t.Fatalf("kill: %v %v", dep, err)
	}
	h.waitFor("replacement", func() bool {
		s := h.app("/prod/web")
		return s.TasksRunning == 2 && !slices.ContainsFunc(s.Tasks, func(tk state.Task) bool { return tk.ID == victim })
	})

	// Kill one and scale: the app shrinks to 1.
	s := h.app("/prod/web")
	_, dep, err := h.core.KillTasks(context.Background(), []string{s.Tasks[0].ID}, true, false, false)
	if err != nil || dep == nil {
		t.Fatalf("kill and scale: %v %v", dep, err)
	}
	h.idle()
	if s := h.app("/prod/web"); s.App.Instances != 1 || s.TasksRunning != 1 {
		t.Fatalf("after kill and scale: instances %d, running %d", s.App.Instances, s.TasksRunning)
	}
	if _, _, err := h.core.KillTasks(context.Background(), []string{"prod_web.nope"}, false, false, false); !isKind[*state.NotFoundError](err) {
		t.Fatalf("unknown task: %v", err)
	}

	// Delete: the tasks are killed, the app disappears.
	if _, err := h.deploy(state.Change{Delete: []string{"/prod/web"}}, false); err != nil {
		t.Fatal(err)
	}
	h.idle()
	if _, err := h.core.App("/prod/web"); !isKind[*state.NotFoundError](err) {
		t.Fatalf("deleted app: %v", err)
	}
	if n := len(h.masterRunning()); n != 0 {
		t.Fatalf("%d tasks still run after delete", n)
	}
	if len(h.events("app_terminated_event")) != 1 {
		t.Fatal("no app_terminated_event")
	}
	h.waitFor("suppress", func() bool { return len(h.m.Calls(schedpb.Call_SUPPRESS)) > 0 })
}

func isKind[T error](err error) bool {
	var target T
	return errors.As(err, &target)
}

// TestConstraintRefusalIsExplained: an app that cannot be placed says why
// in the queue and in the deployment.
func TestConstraintRefusalIsExplained(t *testing.T) {
	h := newHarness(t, sdktest.Options{Agents: []sdktest.Agent{{}, {}}})
	a := newApp("/spread", 3)
	a.Constraints = [][]string{{"hostname", "UNIQUE"}}
	d := h.mustDeploy(a)
	h.waitFor("a refusal", func() bool {
		q := h.core.Queue()
		if h.app("/spread").TasksRunning != 2 {
			return false
		}
		return len(q) == 1 && q[0].ProcessedOffersSummary.UnusedOffersCount > 0
	})
	q := h.core.Queue()[0]
	if q.Count != 1 || q.App.ID != "/spread" {
		t.Fatalf("queue entry count %d app %s", q.Count, q.App.ID)
	}
	declined := 0
	for _, r := range q.ProcessedOffersSummary.RejectSummaryLastOffers {
		if r.Reason == "UnfulfilledConstraint" {
			declined = r.Declined
		}
	}
	if declined == 0 {
		t.Fatalf("summary %+v", q.ProcessedOffersSummary)
	}
	if len(q.LastUnusedOffers) == 0 || !slices.Contains(q.LastUnusedOffers[0].Reason, "UnfulfilledConstraint") {
		t.Fatalf("last unused offers %+v", q.LastUnusedOffers)
	}
	ds := h.core.Deployments()
	if len(ds) != 1 || ds[0].ID != d.ID {
		t.Fatalf("deployments %+v", ds)
	}
	var waiting string
	for _, ca := range ds[0].CurrentActions {
		waiting += ca.Waiting
	}
	if !strings.Contains(waiting, "UnfulfilledConstraint") {
		t.Fatalf("waiting text %q does not name the constraint", waiting)
	}
	if n := h.app("/spread").TasksRunning; n != 2 {
		t.Fatalf("%d running, want 2", n)
	}
}

// TestLockForceAndRollback: a second change to an app under deployment is
// refused with the deployment's ID unless forced; cancelling rolls back.
func TestLockForceAndRollback(t *testing.T) {
	h := newHarness(t, sdktest.Options{Agents: []sdktest.Agent{{}}})
	h.mustDeploy(newApp("/api", 1))
	h.idle()
	orig := h.app("/api").App

	stuck := orig.Clone()
	stuck.Instances = 3
	stuck.Constraints = [][]string{{"hostname", "UNIQUE"}} // one agent: only 1 fits
	d1, err := h.deploy(state.Change{Upsert: []*app.App{stuck}}, false)
	if err != nil {
		t.Fatal(err)
	}
	again := orig.Clone()
	again.Instances = 2
	_, err = h.deploy(state.Change{Upsert: []*app.App{again}}, false)
	var le *state.LockedError
	if !errors.As(err, &le) || len(le.DeploymentIDs) != 1 || le.DeploymentIDs[0] != d1.ID {
		t.Fatalf("want LockedError naming %s, got %v", d1.ID, err)
	}

	// Rollback: back to the original definition, one instance.
	rb, err := h.core.CancelDeployment(context.Background(), d1.ID, false)
	if err != nil || rb == nil {
		t.Fatalf("rollback: %v %v", rb, err)
	}
	h.idle()
	st := h.app("/api")
	if st.App.Instances != 1 || len(st.App.Constraints) != 0 || st.TasksRunning != 1 {
		t.Fatalf("after rollback: instances %d constraints %v running %d", st.App.Instances, st.App.Constraints, st.TasksRunning)
	}
	if len(h.events("deployment_failed")) == 0 {
		t.Fatal("no deployment_failed for the cancelled deployment")
	}

	// Force: a stuck deployment is replaced by the new one.
	d2, err := h.deploy(state.Change{Upsert: []*app.App{stuck}}, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.deploy(state.Change{Upsert: []*app.App{again}}, true); err != nil {
		t.Fatalf("forced: %v", err)
	}
	for _, d := range h.core.Deployments() {
		if d.ID == d2.ID {
			t.Fatal("the forced-over deployment still runs")
		}
	}
	if _, err := h.core.CancelDeployment(context.Background(), "nope", true); !isKind[*state.NotFoundError](err) {
		t.Fatalf("unknown deployment: %v", err)
	}
	// Force-cancel without rollback: the deployment just stops.
	ds := h.core.Deployments()
	for _, d := range ds {
		if r, err := h.core.CancelDeployment(context.Background(), d.ID, true); err != nil || r != nil {
			t.Fatalf("force cancel: %v %v", r, err)
		}
	}
	if len(h.core.Deployments()) != 0 {
		t.Fatal("deployments left after force cancel")
	}
}

// TestInvalidChanges: bad input is a typed error naming what is wrong.
func TestInvalidChanges(t *testing.T) {
	h := newHarness(t, sdktest.Options{})
	bad := newApp("/bad", 1)
	bad.CPUs = -1
	if _, err := h.deploy(state.Change{Upsert: []*app.App{bad}}, false); !isKind[*state.InvalidError](err) {
		t.Fatalf("negative cpus: %v", err)
	}
	dep := newApp("/dep", 1)
	dep.Dependencies = []string{"/missing"}
	_, err := h.deploy(state.Change{Upsert: []*app.App{dep}}, false)
	var ie *state.InvalidError
	if !errors.As(err, &ie) || !strings.HasPrefix(ie.Violations[0].Path, "/dependencies") {
		t.Fatalf("unknown dependency: %v", err)
	}
	if _, err := h.deploy(state.Change{Delete: []string{"/nope"}}, false); !isKind[*state.NotFoundError](err) {
		t.Fatalf("delete unknown: %v", err)
	}
	if _, err := h.deploy(state.Change{Restart: []string{"/nope"}}, false); !isKind[*state.NotFoundError](err) {
		t.Fatalf("restart unknown: %v", err)
	}
	if err := h.core.ResetDelay("/nope"); !isKind[*state.NotFoundError](err) {
		t.Fatalf("reset delay unknown: %v", err)
	}
	if _, err := h.core.AppVersions("/nope"); !isKind[*state.NotFoundError](err) {
		t.Fatalf("versions unknown: %v", err)
	}
	_ = mesos.TaskState_TASK_RUNNING
}

// TestDeleteAppInsideDeletedGroup: an app named for deletion that a deleted
// group contains too (or named twice) is simply deleted once.
func TestDeleteAppInsideDeletedGroup(t *testing.T) {
	h := newHarness(t, sdktest.Options{Agents: []sdktest.Agent{{}}})
	h.mustDeploy(newApp("/g/a", 1), newApp("/g/b", 1), newApp("/keep", 1))
	h.idle()
	d, err := h.deploy(state.Change{Delete: []string{"/g/a", "g/a"}, DeleteGroups: []string{"/g"}}, false)
	if err != nil {
		t.Fatalf("delete /g/a with group /g: %v", err)
	}
	if !slices.Equal(d.AffectedApps, []string{"/g/a", "/g/b"}) {
		t.Errorf("affected %v", d.AffectedApps)
	}
	h.idle()
	apps := h.core.Apps(false)
	if len(apps) != 1 || apps[0].App.ID != "/keep" {
		t.Fatalf("apps left %v", apps)
	}
	if _, err := h.deploy(state.Change{Delete: []string{"/g/a"}, DeleteGroups: []string{"/keep"}}, false); !isKind[*state.NotFoundError](err) {
		t.Fatalf("deleting an app that is gone: %v", err)
	}
}
