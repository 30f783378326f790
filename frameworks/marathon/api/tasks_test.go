package api

import (
	"reflect"
	"strings"
	"testing"

	"github.com/agoraproject/agora/frameworks/marathon/state"
)

func TestAppTasksJSONAndText(t *testing.T) {
	f := fixture()
	s := newTestServer(t, f, Config{})
	w := call(t, s, "GET", "/v2/apps/prod/web/tasks", "")
	wantStatus(t, w, 200, w.Body.String())
	if tasks := decode(t, w.Body.Bytes())["tasks"].([]any); len(tasks) != 3 {
		t.Fatalf("tasks %v", tasks)
	}
	w = call(t, s, "GET", "/v2/apps/prod/web/tasks", "", "Accept", "text/plain")
	wantStatus(t, w, 200, w.Body.String())
	// The app has one port definition (port 0 by default); only running
	// tasks are listed, with their host port.
	if got, want := w.Body.String(), "prod_web\t0\th1:31000\th2:31001\t\n"; got != want {
		t.Errorf("text/plain = %q, want %q", got, want)
	}
	w = call(t, s, "GET", "/v2/apps/nope/tasks", "")
	wantStatus(t, w, 404, w.Body.String())
}

func TestTasksTextWithoutPorts(t *testing.T) {
	f := newFake()
	a := sampleApp("/w", "x")
	a.PortDefinitions = nil
	f.addApp(a, task("/w", "1", "h1", "TASK_RUNNING"))
	if got := tasksText(f.Apps(true)); got != "w\t \th1\t\n" {
		t.Errorf("%q", got)
	}
}

func TestKillAppTasks(t *testing.T) {
	f := fixture()
	s := newTestServer(t, f, Config{})
	w := call(t, s, "DELETE", "/v2/apps/prod/web/tasks?host=h2", "")
	wantStatus(t, w, 200, w.Body.String())
	if k := f.kills[0]; !reflect.DeepEqual(k.ids, []string{"prod_web.a2", "prod_web.a3"}) || k.scale || k.wipe {
		t.Errorf("kill %+v", k)
	}
	if tasks := decode(t, w.Body.Bytes())["tasks"].([]any); len(tasks) != 2 {
		t.Errorf("killed %v", tasks)
	}
	w = call(t, s, "DELETE", "/v2/apps/prod/web/tasks?scale=true", "")
	wantStatus(t, w, 200, w.Body.String())
	if m := decode(t, w.Body.Bytes()); m["deploymentId"] == nil || m["version"] == nil {
		t.Errorf("scale answer %v", m)
	}
	if k := f.kills[1]; len(k.ids) != 3 || !k.scale {
		t.Errorf("kill %+v", k)
	}
	w = call(t, s, "DELETE", "/v2/apps/prod/web/tasks?scale=true&wipe=true", "")
	wantStatus(t, w, 400, w.Body.String())

	w = call(t, s, "DELETE", "/v2/apps/prod/web/tasks/prod_web.a1?wipe=true", "")
	wantStatus(t, w, 200, w.Body.String())
	if m := decode(t, w.Body.Bytes()); m["task"].(map[string]any)["id"] != "prod_web.a1" {
		t.Errorf("single kill %v", m)
	}
	if k := f.kills[2]; !k.wipe || !reflect.DeepEqual(k.ids, []string{"prod_web.a1"}) {
		t.Errorf("kill %+v", k)
	}
	// A task of another app is not this app's.
	w = call(t, s, "DELETE", "/v2/apps/prod/web/tasks/prod_db.b1", "")
	wantStatus(t, w, 404, w.Body.String())
	if m := decode(t, w.Body.Bytes()); m["message"] != "Task 'prod_db.b1' does not exist" {
		t.Errorf("%v", m)
	}
}

func TestListTasksAndStatusFilter(t *testing.T) {
	s := newTestServer(t, fixture(), Config{})
	count := func(q string) int {
		w := call(t, s, "GET", "/v2/tasks"+q, "")
		wantStatus(t, w, 200, w.Body.String())
		return len(decode(t, w.Body.Bytes())["tasks"].([]any))
	}
	if n := count(""); n != 4 {
		t.Errorf("all: %d", n)
	}
	if n := count("?status=running"); n != 3 {
		t.Errorf("running: %d", n)
	}
	if n := count("?status=staging&status=running"); n != 4 {
		t.Errorf("staging+running: %d", n)
	}
	if n := count("?status=bogus"); n != 4 {
		t.Errorf("unknown status must be ignored: %d", n)
	}
	w := call(t, s, "GET", "/v2/tasks", "", "Accept", "text/plain")
	if !strings.Contains(w.Body.String(), "prod_db\t0\th3:31002\t\n") {
		t.Errorf("text %q", w.Body.String())
	}
}

func TestDeleteTasksByID(t *testing.T) {
	f := fixture()
	s := newTestServer(t, f, Config{})
	w := call(t, s, "POST", "/v2/tasks/delete?scale=true", `{"ids": ["prod_web.a1", "prod_db.b1"]}`)
	wantStatus(t, w, 200, w.Body.String())
	if k := f.kills[0]; len(k.ids) != 2 || !k.scale {
		t.Errorf("%+v", k)
	}
	if w.Header().Get("Marathon-Deployment-Id") == "" {
		t.Error("scale answer without Marathon-Deployment-Id")
	}
	w = call(t, s, "POST", "/v2/tasks/delete", `{"ids": ["nope.1"]}`)
	wantStatus(t, w, 404, w.Body.String())
	w = call(t, s, "POST", "/v2/tasks/delete", `{"ids": "x"}`)
	wantStatus(t, w, 400, w.Body.String())
	w = call(t, s, "POST", "/v2/tasks/delete", `{}`)
	wantStatus(t, w, 422, w.Body.String())
}

func TestDeployments(t *testing.T) {
	f := newFake()
	f.deployments = []state.Deployment{{ID: "d1", Version: "v", AffectedApps: []string{"/web"},
		Steps:          []state.Step{{Actions: []state.Action{{Action: state.StartApplication, App: "/web"}}}},
		CurrentActions: []state.CurrentAction{{Action: state.ScaleApplication, App: "/web", Waiting: "UnfulfilledConstraint refused 3 of 3 offers"}},
		CurrentStep:    1, TotalSteps: 1}}
	s := newTestServer(t, f, Config{})
	w := call(t, s, "GET", "/v2/deployments", "")
	wantStatus(t, w, 200, w.Body.String())
	var list []map[string]any
	if err := jsonUnmarshal(w.Body.Bytes(), &list); err != nil || len(list) != 1 {
		t.Fatalf("%v %s", err, w.Body)
	}
	ca := list[0]["currentActions"].([]any)[0].(map[string]any)
	if ca["waiting"] == nil || ca["readinessCheckResults"] == nil || list[0]["affectedPods"] == nil {
		t.Errorf("deployment %v", list[0])
	}
	w = call(t, s, "DELETE", "/v2/deployments/d1", "")
	wantStatus(t, w, 200, w.Body.String())
	if m := decode(t, w.Body.Bytes()); m["deploymentId"] != "dep-1" || m["version"] == nil {
		t.Errorf("rollback %v", m)
	}
	w = call(t, s, "DELETE", "/v2/deployments/d1?force=true", "")
	wantStatus(t, w, 202, w.Body.String())
	if w.Body.Len() != 0 {
		t.Errorf("202 body %q", w.Body)
	}
	if !reflect.DeepEqual(f.cancels, []cancelCall{{"d1", false}, {"d1", true}}) {
		t.Errorf("cancels %+v", f.cancels)
	}
	w = call(t, s, "DELETE", "/v2/deployments/nope", "")
	wantStatus(t, w, 404, w.Body.String())
	w = call(t, s, "GET", "/v2/deployments/d1", "")
	wantStatus(t, w, 200, w.Body.String())
}

func TestQueueAndDelay(t *testing.T) {
	f := newFake()
	f.queue = []state.QueueEntry{{App: sampleApp("/web", "x"), Count: 2,
		ProcessedOffersSummary: state.OffersSummary{ProcessedOffersCount: 4, UnusedOffersCount: 4,
			RejectSummaryLastOffers: []state.RejectCount{{Reason: "UnfulfilledConstraint", Declined: 4, Processed: 4}}},
		LastUnusedOffers: []state.UnusedOffer{{Reason: []string{"UnfulfilledConstraint"}}}}}
	s := newTestServer(t, f, Config{})
	w := call(t, s, "GET", "/v2/queue", "")
	wantStatus(t, w, 200, w.Body.String())
	q := decode(t, w.Body.Bytes())["queue"].([]any)[0].(map[string]any)
	rs := q["processedOffersSummary"].(map[string]any)["rejectSummaryLastOffers"].([]any)[0].(map[string]any)
	if q["count"] != 2.0 || rs["reason"] != "UnfulfilledConstraint" || rs["declined"] != 4.0 || q["app"].(map[string]any)["id"] != "/web" {
		t.Errorf("queue %v", q)
	}
	if _, ok := q["lastUnusedOffers"]; ok {
		t.Error("lastUnusedOffers without embed=lastUnusedOffers")
	}
	w = call(t, s, "GET", "/v2/queue?embed=lastUnusedOffers", "")
	if q := decode(t, w.Body.Bytes())["queue"].([]any)[0].(map[string]any); q["lastUnusedOffers"] == nil {
		t.Error("embed=lastUnusedOffers ignored")
	}
	w = call(t, s, "DELETE", "/v2/queue/prod/web/delay", "")
	wantStatus(t, w, 204, w.Body.String())
	if !reflect.DeepEqual(f.delays, []string{"/prod/web"}) {
		t.Errorf("delays %v", f.delays)
	}
	f.delayErr = &state.NotFoundError{Kind: "App", ID: "/x"}
	w = call(t, s, "DELETE", "/v2/queue/x/delay", "")
	wantStatus(t, w, 404, w.Body.String())
}

func TestInfoLeaderAbdicateMetrics(t *testing.T) {
	f := fixture()
	f.info = state.Info{Name: "marathon", Version: "1.11.0", Leader: "node1:8080", FrameworkID: "fw-1", Elected: true,
		HTTPPort: 8080, ZK: "zk://z:2181/marathon", Master: "zk://z:2181/agora"}
	s := newTestServer(t, f, Config{HTTPEndpoints: []string{"http://cb:1/events"}})
	w := call(t, s, "GET", "/v2/info", "")
	wantStatus(t, w, 200, w.Body.String())
	m := decode(t, w.Body.Bytes())
	mc := m["marathon_config"].(map[string]any)
	es := m["event_subscriber"].(map[string]any)
	if m["name"] != "marathon" || m["leader"] != "node1:8080" || m["frameworkId"] != "fw-1" || m["elected"] != true ||
		mc["master"] != "zk://z:2181/agora" || mc["http_port"] != 8080.0 ||
		m["zookeeper_config"].(map[string]any)["zk"] != "zk://z:2181/marathon" ||
		m["http_config"].(map[string]any)["http_port"] != 8080.0 ||
		es["type"] != "http_callback" || !reflect.DeepEqual(es["http_endpoints"], []any{"http://cb:1/events"}) {
		t.Errorf("info %s", w.Body)
	}
	w = call(t, s, "GET", "/v2/leader", "")
	if m := decode(t, w.Body.Bytes()); m["leader"] != "node1:8080" {
		t.Errorf("leader %v", m)
	}
	w = call(t, s, "DELETE", "/v2/leader", "")
	wantStatus(t, w, 200, w.Body.String())
	if m := decode(t, w.Body.Bytes()); m["message"] != "Leadership abdicated" || f.abdicated != 1 {
		t.Errorf("abdicate %v (%d calls)", m, f.abdicated)
	}
	f.info.Leader = ""
	w = call(t, s, "GET", "/v2/leader", "")
	wantStatus(t, w, 404, w.Body.String())
	if m := decode(t, w.Body.Bytes()); m["message"] != "There is no leader" {
		t.Errorf("%v", m)
	}
	w = call(t, s, "GET", "/metrics", "")
	wantStatus(t, w, 200, w.Body.String())
	g := decode(t, w.Body.Bytes())["gauges"].(map[string]any)
	if g["marathon.apps.active.gauge"].(map[string]any)["value"] != 3.0 || g["marathon.tasks.running.gauge"].(map[string]any)["value"] != 3.0 {
		t.Errorf("gauges %v", g)
	}
}
