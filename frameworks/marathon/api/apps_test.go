package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/agoraproject/agora/frameworks/marathon/state"
)

// decode parses a JSON response body, failing the test on anything else.
func decode(t *testing.T, body []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("response is not a JSON object: %v: %s", err, body)
	}
	return m
}

func wantStatus(t *testing.T, w interface {
	Result() *http.Response
}, code int, body string) {
	t.Helper()
	if got := w.Result().StatusCode; got != code {
		t.Fatalf("status %d, want %d; body %s", got, code, body)
	}
}

func fixture() *fakeBackend {
	f := newFake()
	web := sampleApp("/prod/web", "python3 -m http.server $PORT0")
	web.Labels = map[string]string{"tier": "frontend", "env": "prod"}
	st := f.addApp(web,
		task("/prod/web", "a1", "h1", "TASK_RUNNING", 31000),
		task("/prod/web", "a2", "h2", "TASK_RUNNING", 31001),
		task("/prod/web", "a3", "h2", "TASK_STAGING"))
	st.Deployments = []string{"dep-running"}
	st.LastTaskFailure = &state.TaskFailure{AppID: "/prod/web", TaskID: "prod_web.old", State: "TASK_FAILED", Message: "exit 1"}
	db := sampleApp("/prod/db", "postgres")
	db.Labels = map[string]string{"tier": "backend"}
	f.addApp(db, task("/prod/db", "b1", "h3", "TASK_RUNNING", 31002))
	f.addApp(sampleApp("/batch", "sleep 1000"))
	return f
}

func TestListAppsCarriesCountsAndDeploymentsButNotTasks(t *testing.T) {
	s := newTestServer(t, fixture(), Config{})
	w := call(t, s, "GET", "/v2/apps", "")
	wantStatus(t, w, 200, w.Body.String())
	apps := decode(t, w.Body.Bytes())["apps"].([]any)
	if len(apps) != 3 {
		t.Fatalf("%d apps, want 3", len(apps))
	}
	var web map[string]any
	for _, a := range apps {
		if a.(map[string]any)["id"] == "/prod/web" {
			web = a.(map[string]any)
		}
	}
	if web == nil {
		t.Fatalf("no /prod/web in %s", w.Body)
	}
	if web["tasksRunning"] != 2.0 || web["tasksStaged"] != 1.0 || web["tasksHealthy"] != 0.0 {
		t.Errorf("counts %v %v %v", web["tasksRunning"], web["tasksStaged"], web["tasksHealthy"])
	}
	if !reflect.DeepEqual(web["deployments"], []any{map[string]any{"id": "dep-running"}}) {
		t.Errorf("deployments = %v", web["deployments"])
	}
	if _, ok := web["tasks"]; ok {
		t.Error("tasks embedded without embed=apps.tasks")
	}
	if web["cmd"] != "python3 -m http.server $PORT0" || web["mem"] == nil || web["labels"] == nil {
		t.Errorf("app definition fields missing: %v", web)
	}
}

func TestListAppsEmbeds(t *testing.T) {
	s := newTestServer(t, fixture(), Config{})
	w := call(t, s, "GET", "/v2/apps?id=web&embed=apps.tasks&embed=apps.lastTaskFailure&embed=apps.taskStats&embed=apps.readiness", "")
	wantStatus(t, w, 200, w.Body.String())
	apps := decode(t, w.Body.Bytes())["apps"].([]any)
	if len(apps) != 1 {
		t.Fatalf("%d apps, want 1 (?id=web)", len(apps))
	}
	web := apps[0].(map[string]any)
	tasks, _ := web["tasks"].([]any)
	if len(tasks) != 3 {
		t.Fatalf("tasks = %v", web["tasks"])
	}
	t0 := tasks[0].(map[string]any)
	if t0["id"] != "prod_web.a1" || t0["appId"] != "/prod/web" || t0["host"] != "h1" || t0["state"] != "TASK_RUNNING" {
		t.Errorf("task = %v", t0)
	}
	if ports, _ := tasks[2].(map[string]any)["ports"].([]any); ports == nil {
		t.Errorf("a task without ports must render \"ports\": [], got %v", tasks[2])
	}
	if f := web["lastTaskFailure"].(map[string]any); f["taskId"] != "prod_web.old" {
		t.Errorf("lastTaskFailure = %v", f)
	}
	stats := web["taskStats"].(map[string]any)["totalSummary"].(map[string]any)["stats"].(map[string]any)
	counts := stats["counts"].(map[string]any)
	if counts["running"] != 2.0 || counts["staged"] != 1.0 {
		t.Errorf("taskStats counts = %v", counts)
	}
	if life := stats["lifeTime"].(map[string]any); life["averageSeconds"] != 30.0 {
		t.Errorf("lifeTime = %v (tasks started 30 s before the fixed clock)", life)
	}
	if web["readinessCheckResults"] == nil {
		t.Error("embed=apps.readiness did not add readinessCheckResults")
	}
}

func TestListAppsFilters(t *testing.T) {
	s := newTestServer(t, fixture(), Config{})
	cases := []struct {
		query string
		want  []string
	}{
		{"cmd=http.server", []string{"/prod/web"}},
		{"id=prod", []string{"/prod/db", "/prod/web"}},
		{"label=tier", []string{"/prod/db", "/prod/web"}},
		{"label=tier==frontend", []string{"/prod/web"}},
		{"label=tier!=frontend", []string{"/prod/db"}},
		{"label=tier+in+(backend,%20other)", []string{"/prod/db"}},
		{"label=tier+notin+(backend)", []string{"/prod/web"}},
		{"label=tier,env==prod", []string{"/prod/web"}},
		{"label=missing", nil},
		{"id=prod&cmd=postgres", []string{"/prod/db"}},
	}
	for _, c := range cases {
		w := call(t, s, "GET", "/v2/apps?"+c.query, "")
		wantStatus(t, w, 200, w.Body.String())
		var got []string
		for _, a := range decode(t, w.Body.Bytes())["apps"].([]any) {
			got = append(got, a.(map[string]any)["id"].(string))
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("?%s → %v, want %v", c.query, got, c.want)
		}
	}
	w := call(t, s, "GET", "/v2/apps?label=a+in+(b", "")
	wantStatus(t, w, 400, w.Body.String())
	if !strings.Contains(w.Body.String(), "label selector") {
		t.Errorf("bad selector body %s", w.Body)
	}
}

func TestGetAppEmbedsTasksDeploymentsAndFailure(t *testing.T) {
	s := newTestServer(t, fixture(), Config{})
	for _, path := range []string{"/v2/apps/prod/web", "/v2/apps//prod/web", "/v2/apps/prod/web/"} {
		w := call(t, s, "GET", path, "")
		wantStatus(t, w, 200, w.Body.String())
		a := decode(t, w.Body.Bytes())["app"].(map[string]any)
		if a["id"] != "/prod/web" || len(a["tasks"].([]any)) != 3 || a["tasksRunning"] != 2.0 ||
			len(a["deployments"].([]any)) != 1 || a["lastTaskFailure"] == nil {
			t.Errorf("GET %s = %s", path, w.Body)
		}
	}
	w := call(t, s, "GET", "/v2/apps/nope", "")
	wantStatus(t, w, 404, w.Body.String())
	if m := decode(t, w.Body.Bytes()); m["message"] != "App '/nope' does not exist" {
		t.Errorf("404 body %v", m)
	}
}

func TestCreateAppAsCurlSendsIt(t *testing.T) {
	f := newFake()
	s := newTestServer(t, f, Config{})
	body := `{"id": "web", "cmd": "sleep 100", "cpus": 0.1, "mem": 32, "instances": 2, "ports": null, "dependencies": null}`
	w := call(t, s, "POST", "/v2/apps", body)
	wantStatus(t, w, 201, w.Body.String())
	if loc := w.Header().Get("Location"); loc != "/v2/apps/web" {
		t.Errorf("Location %q", loc)
	}
	if id := w.Header().Get("Marathon-Deployment-Id"); id != "dep-1" {
		t.Errorf("Marathon-Deployment-Id %q", id)
	}
	got := decode(t, w.Body.Bytes())
	if got["id"] != "/web" || got["instances"] != 2.0 || got["version"] != "2024-02-01T00:00:01.000Z" ||
		!reflect.DeepEqual(got["deployments"], []any{map[string]any{"id": "dep-1"}}) {
		t.Errorf("body %s", w.Body)
	}
	d := f.lastDeploy(t)
	if len(d.ch.Upsert) != 1 || d.ch.Upsert[0].ID != "/web" || d.ch.Upsert[0].Instances != 2 || d.force {
		t.Errorf("deploy %+v", d)
	}
	if types := f.publishedTypes(); !reflect.DeepEqual(types, []string{"api_post_event"}) {
		t.Errorf("published %v, want one api_post_event", types)
	}
	ev := decode(t, f.published[0].Body)
	if ev["eventType"] != "api_post_event" || ev["uri"] != "/v2/apps" || ev["timestamp"] != "2024-03-01T12:00:00.000Z" ||
		ev["appDefinition"].(map[string]any)["id"] != "/web" {
		t.Errorf("api_post_event %v", ev)
	}

	// The same again: the app exists.
	f.addApp(sampleApp("/web", "sleep 100"))
	w = call(t, s, "POST", "/v2/apps", body)
	wantStatus(t, w, 409, w.Body.String())
	if m := decode(t, w.Body.Bytes()); !strings.Contains(m["message"].(string), "/web") {
		t.Errorf("409 body %v", m)
	}
}

func TestWriteErrorsHaveMarathonsShapes(t *testing.T) {
	cases := []struct {
		name       string
		method     string
		path, body string
		backend    error
		status     int
		check      func(t *testing.T, m map[string]any)
	}{
		{"malformed JSON", "POST", "/v2/apps", `{"id": "x", `, nil, 400, func(t *testing.T, m map[string]any) {
			if m["message"] != "Invalid JSON" || len(m["details"].([]any)) != 1 {
				t.Errorf("%v", m)
			}
		}},
		{"wrong type", "POST", "/v2/apps", `{"id": "x", "cmd": "c", "cpus": "lots"}`, nil, 400, func(t *testing.T, m map[string]any) {
			if d := m["details"].([]any)[0].(map[string]any); d["path"] != "/cpus" {
				t.Errorf("details %v, want path /cpus", d)
			}
		}},
		{"validation", "POST", "/v2/apps", `{"id": "x", "cmd": "c", "cpus": -1}`, nil, 422, func(t *testing.T, m map[string]any) {
			d := m["details"].([]any)[0].(map[string]any)
			if m["message"] != "Object is not valid" || d["path"] != "/cpus" || len(d["errors"].([]any)) == 0 {
				t.Errorf("%v", m)
			}
		}},
		{"bad id", "POST", "/v2/apps", `{"id": "Bad_ID", "cmd": "c"}`, nil, 422, func(t *testing.T, m map[string]any) {
			if d := m["details"].([]any)[0].(map[string]any); d["path"] != "/id" {
				t.Errorf("%v", m)
			}
		}},
		{"locked", "PUT", "/v2/apps/web", `{"instances": 3}`, &state.LockedError{DeploymentIDs: []string{"d1", "d2"}}, 409, func(t *testing.T, m map[string]any) {
			if !reflect.DeepEqual(m["deployments"], []any{map[string]any{"id": "d1"}, map[string]any{"id": "d2"}}) ||
				!strings.Contains(m["message"].(string), "locked") {
				t.Errorf("%v", m)
			}
		}},
		{"conflict", "PUT", "/v2/apps/web", `{"instances": 3}`, &state.ConflictError{Message: "no"}, 409, func(t *testing.T, m map[string]any) {
			if m["message"] != "no" {
				t.Errorf("%v", m)
			}
		}},
		{"invalid from the core", "PUT", "/v2/apps/web", `{"dependencies": ["/nope"]}`,
			&state.InvalidError{Violations: []state.Violation{{Path: "/dependencies(0)", Errors: []string{"unknown"}}}}, 422,
			func(t *testing.T, m map[string]any) {
				if d := m["details"].([]any)[0].(map[string]any); d["path"] != "/dependencies(0)" {
					t.Errorf("%v", m)
				}
			}},
		{"not leader", "DELETE", "/v2/apps/web", "", &state.NotLeaderError{}, 503, func(t *testing.T, m map[string]any) {
			if m["message"] == "" {
				t.Errorf("%v", m)
			}
		}},
		{"other backend failure", "DELETE", "/v2/apps/web", "", errors.New("disk on fire"), 500, func(t *testing.T, m map[string]any) {
			if m["message"] != "disk on fire" {
				t.Errorf("%v", m)
			}
		}},
		{"unknown route", "GET", "/v2/nothing", "", nil, 404, func(t *testing.T, m map[string]any) {
			if m["message"] == nil {
				t.Errorf("%v", m)
			}
		}},
		{"wrong method", "POST", "/v2/info", "", nil, 405, func(t *testing.T, m map[string]any) {
			if m["message"] == nil {
				t.Errorf("%v", m)
			}
		}},
		{"bad boolean", "DELETE", "/v2/apps/web?force=maybe", "", nil, 400, func(t *testing.T, m map[string]any) {
			if !strings.Contains(m["message"].(string), "force") {
				t.Errorf("%v", m)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFake()
			f.addApp(sampleApp("/web", "sleep 1"))
			f.deployErr = c.backend
			s := newTestServer(t, f, Config{})
			w := call(t, s, c.method, c.path, c.body)
			wantStatus(t, w, c.status, w.Body.String())
			if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type %q", ct)
			}
			c.check(t, decode(t, w.Body.Bytes()))
		})
	}
}

func TestPutAppPartialByDefault(t *testing.T) {
	f := newFake()
	f.addApp(sampleApp("/web", "sleep 100"))
	s := newTestServer(t, f, Config{})
	w := call(t, s, "PUT", "/v2/apps/web?force=true", `{"instances": 5}`)
	wantStatus(t, w, 200, w.Body.String())
	if m := decode(t, w.Body.Bytes()); m["deploymentId"] != "dep-1" || m["version"] != "2024-02-01T00:00:01.000Z" {
		t.Errorf("body %v", m)
	}
	if w.Header().Get("Marathon-Deployment-Id") != "dep-1" {
		t.Error("no Marathon-Deployment-Id header")
	}
	d := f.lastDeploy(t)
	a := d.ch.Upsert[0]
	if !d.force || a.ID != "/web" || a.Instances != 5 || a.Cmd == nil || *a.Cmd != "sleep 100" {
		t.Errorf("deploy force=%v app %+v", d.force, a)
	}
}

func TestPutAppFullReplaceNeedsAWholeDefinition(t *testing.T) {
	f := newFake()
	f.addApp(sampleApp("/web", "sleep 100"))
	s := newTestServer(t, f, Config{})
	w := call(t, s, "PUT", "/v2/apps/web?partialUpdate=false", `{"instances": 5}`)
	wantStatus(t, w, 422, w.Body.String())
	w = call(t, s, "PUT", "/v2/apps/web?partialUpdate=false", `{"cmd": "sleep 5", "instances": 5}`)
	wantStatus(t, w, 200, w.Body.String())
	if a := f.lastDeploy(t).ch.Upsert[0]; *a.Cmd != "sleep 5" || a.Mem != 128 {
		t.Errorf("replaced app %+v", a)
	}
}

func TestPutAppCreatesWhenMissingAndPatchDoesNot(t *testing.T) {
	f := newFake()
	s := newTestServer(t, f, Config{})
	w := call(t, s, "PATCH", "/v2/apps/new", `{"cmd": "sleep 5"}`)
	wantStatus(t, w, 404, w.Body.String())
	w = call(t, s, "PUT", "/v2/apps/new", `{"id": "/other", "cmd": "sleep 5", "ports": null}`)
	wantStatus(t, w, 201, w.Body.String())
	if loc := w.Header().Get("Location"); loc != "/v2/apps/new" {
		t.Errorf("Location %q", loc)
	}
	if a := f.lastDeploy(t).ch.Upsert[0]; a.ID != "/new" {
		t.Errorf("the URL's ID must win: %q", a.ID)
	}
}

func TestPutAppVersionRollsBack(t *testing.T) {
	f := newFake()
	old := sampleApp("/web", "old")
	old.Version = "2023-01-01T00:00:00.000Z"
	f.addApp(old)
	f.addApp(sampleApp("/web", "new"))
	s := newTestServer(t, f, Config{})
	w := call(t, s, "PUT", "/v2/apps/web", `{"version": "2023-01-01T00:00:00.000Z"}`)
	wantStatus(t, w, 200, w.Body.String())
	if a := f.lastDeploy(t).ch.Upsert[0]; *a.Cmd != "old" || a.Version != "" {
		t.Errorf("rollback deployed %+v", a)
	}
	w = call(t, s, "PUT", "/v2/apps/web", `{"version": "1999-01-01T00:00:00.000Z"}`)
	wantStatus(t, w, 404, w.Body.String())
}

func TestUpdateManyApps(t *testing.T) {
	f := newFake()
	f.addApp(sampleApp("/a", "sleep a"))
	s := newTestServer(t, f, Config{})
	w := call(t, s, "PUT", "/v2/apps", `[{"id": "a", "instances": 3}, {"id": "/b", "cmd": "sleep b", "ports": null}]`)
	wantStatus(t, w, 200, w.Body.String())
	ch := f.lastDeploy(t).ch
	if len(ch.Upsert) != 2 || ch.Upsert[0].Instances != 3 || *ch.Upsert[0].Cmd != "sleep a" || ch.Upsert[1].ID != "/b" {
		t.Errorf("upserts %+v", ch.Upsert)
	}
	w = call(t, s, "PATCH", "/v2/apps", `[{"id": "a", "cpus": -2}]`)
	wantStatus(t, w, 422, w.Body.String())
	if d := decode(t, w.Body.Bytes())["details"].([]any)[0].(map[string]any); d["path"] != "/(0)/cpus" {
		t.Errorf("path %v", d["path"])
	}
	w = call(t, s, "PUT", "/v2/apps", `{"id": "a"}`)
	wantStatus(t, w, 400, w.Body.String())
	w = call(t, s, "PUT", "/v2/apps", `[{"cmd": "x"}]`)
	wantStatus(t, w, 422, w.Body.String())
}

func TestDeleteAndRestartApp(t *testing.T) {
	f := newFake()
	f.addApp(sampleApp("/web", "sleep 1"))
	s := newTestServer(t, f, Config{})
	w := call(t, s, "DELETE", "/v2/apps/web", "")
	wantStatus(t, w, 200, w.Body.String())
	if ch := f.lastDeploy(t).ch; !reflect.DeepEqual(ch.Delete, []string{"/web"}) {
		t.Errorf("change %+v", ch)
	}
	if m := decode(t, w.Body.Bytes()); m["deploymentId"] != "dep-1" {
		t.Errorf("body %v", m)
	}
	w = call(t, s, "POST", "/v2/apps/web/restart?force=true", "")
	wantStatus(t, w, 200, w.Body.String())
	if d := f.lastDeploy(t); !reflect.DeepEqual(d.ch.Restart, []string{"/web"}) || !d.force {
		t.Errorf("restart %+v", d)
	}
	for _, p := range []string{"/v2/apps/nope", "/v2/apps/nope/restart"} {
		method := "DELETE"
		if strings.HasSuffix(p, "restart") {
			method = "POST"
		}
		w = call(t, s, method, p, "")
		wantStatus(t, w, 404, w.Body.String())
	}
}

func TestAppVersions(t *testing.T) {
	f := newFake()
	a := sampleApp("/web", "v1")
	a.Version = "2023-01-01T00:00:00.000Z"
	f.addApp(a)
	f.addApp(sampleApp("/web", "v2"))
	s := newTestServer(t, f, Config{})
	w := call(t, s, "GET", "/v2/apps/web/versions", "")
	wantStatus(t, w, 200, w.Body.String())
	if m := decode(t, w.Body.Bytes()); !reflect.DeepEqual(m["versions"], []any{"2024-01-01T00:00:00.000Z", "2023-01-01T00:00:00.000Z"}) {
		t.Errorf("versions %v", m)
	}
	w = call(t, s, "GET", "/v2/apps/web/versions/2023-01-01T00:00:00.000Z", "")
	wantStatus(t, w, 200, w.Body.String())
	if m := decode(t, w.Body.Bytes()); m["cmd"] != "v1" || m["id"] != "/web" {
		t.Errorf("version body %v", m)
	}
	w = call(t, s, "GET", "/v2/apps/web/versions/nope", "")
	wantStatus(t, w, 404, w.Body.String())
}

func TestPing(t *testing.T) {
	s := newTestServer(t, newFake(), Config{})
	w := call(t, s, "GET", "/ping", "")
	wantStatus(t, w, 200, w.Body.String())
	if w.Body.String() != "pong" || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/plain") {
		t.Errorf("%q %q", w.Body.String(), w.Header().Get("Content-Type"))
	}
}

func TestGetAppsOfAGroup(t *testing.T) {
	s := newTestServer(t, fixture(), Config{})
	w := call(t, s, "GET", "/v2/apps/prod/*", "")
	wantStatus(t, w, 200, w.Body.String())
	var ids []string
	for _, a := range decode(t, w.Body.Bytes())["*"].([]any) {
		ids = append(ids, a.(map[string]any)["id"].(string))
	}
	if !reflect.DeepEqual(ids, []string{"/prod/db", "/prod/web"}) {
		t.Errorf("apps of /prod: %v", ids)
	}
	w = call(t, s, "GET", "/v2/apps/nope/*", "")
	wantStatus(t, w, 404, w.Body.String())
}
