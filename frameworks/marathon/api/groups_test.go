package api

import (
	"reflect"
	"sort"
	"testing"

	"github.com/agoraproject/agora/frameworks/marathon/state"
)

func TestGetGroupsNestsAppsAndGroups(t *testing.T) {
	f := fixture()
	f.groups = []state.Group{{ID: "/prod", Dependencies: []string{"/infra"}, Version: "2024-01-05T00:00:00.000Z"}, {ID: "/infra"}}
	s := newTestServer(t, f, Config{})
	w := call(t, s, "GET", "/v2/groups", "")
	wantStatus(t, w, 200, w.Body.String())
	root := decode(t, w.Body.Bytes())
	if root["id"] != "/" || root["version"] != "2024-01-05T00:00:00.000Z" || !reflect.DeepEqual(root["dependencies"], []any{}) {
		t.Errorf("root %v", root)
	}
	apps := root["apps"].([]any)
	if len(apps) != 1 || apps[0].(map[string]any)["id"] != "/batch" {
		t.Errorf("root apps %v", apps)
	}
	if _, ok := apps[0].(map[string]any)["tasks"]; ok {
		t.Error("group apps carry tasks without embed")
	}
	groups := root["groups"].([]any)
	if len(groups) != 2 || groups[0].(map[string]any)["id"] != "/infra" || groups[1].(map[string]any)["id"] != "/prod" {
		t.Fatalf("groups %v", groups)
	}
	prod := groups[1].(map[string]any)
	if len(prod["apps"].([]any)) != 2 || !reflect.DeepEqual(prod["dependencies"], []any{"/infra"}) {
		t.Errorf("prod %v", prod)
	}

	w = call(t, s, "GET", "/v2/groups/prod?embed=group.apps&embed=group.apps.tasks", "")
	wantStatus(t, w, 200, w.Body.String())
	g := decode(t, w.Body.Bytes())
	if _, ok := g["groups"]; ok {
		t.Error("embed without group.groups still has groups")
	}
	if tasks := g["apps"].([]any)[1].(map[string]any)["tasks"].([]any); len(tasks) != 3 {
		t.Errorf("group.apps.tasks: %v", tasks)
	}
	w = call(t, s, "GET", "/v2/groups/nope", "")
	wantStatus(t, w, 404, w.Body.String())
	if m := decode(t, w.Body.Bytes()); m["message"] != "Group '/nope' does not exist" {
		t.Errorf("%v", m)
	}
}

func appIDs(ch state.Change) []string {
	var ids []string
	for _, a := range ch.Upsert {
		ids = append(ids, a.ID)
	}
	sort.Strings(ids)
	return ids
}

func TestPostGroupResolvesRelativeIDs(t *testing.T) {
	f := newFake()
	s := newTestServer(t, f, Config{})
	body := `{"id": "shop", "apps": [{"id": "web", "cmd": "sleep 1", "ports": null, "dependencies": ["../shop/db/pg"]}],
		"groups": [{"id": "db", "apps": [{"id": "/shop/db/pg", "cmd": "pg"}], "dependencies": null}],
		"dependencies": ["infra"]}`
	w := call(t, s, "POST", "/v2/groups", body)
	wantStatus(t, w, 201, w.Body.String())
	if w.Header().Get("Location") != "/v2/groups/shop" || w.Header().Get("Marathon-Deployment-Id") != "dep-1" {
		t.Errorf("headers %v", w.Header())
	}
	ch := f.lastDeploy(t).ch
	if got := appIDs(ch); !reflect.DeepEqual(got, []string{"/shop/db/pg", "/shop/web"}) {
		t.Errorf("apps %v", got)
	}
	want := []state.Group{{ID: "/shop", Dependencies: []string{"/infra"}}, {ID: "/shop/db", Dependencies: []string{}}}
	if !reflect.DeepEqual(ch.Groups, want) {
		t.Errorf("groups %+v, want %+v", ch.Groups, want)
	}
	if len(ch.Delete) != 0 || len(ch.DeleteGroups) != 0 {
		t.Errorf("POST must not delete: %+v", ch)
	}

	f.addApp(sampleApp("/shop/web", "x"))
	w = call(t, s, "POST", "/v2/groups/shop", `{"apps": []}`)
	wantStatus(t, w, 409, w.Body.String())
}

func TestPutGroupReplacesListedKinds(t *testing.T) {
	f := newFake()
	f.addApp(sampleApp("/shop/web", "x"))
	f.addApp(sampleApp("/shop/old", "x"))
	f.addApp(sampleApp("/shop/legacy/a", "x"))
	f.addApp(sampleApp("/shop/db/pg", "x"))
	f.groups = []state.Group{{ID: "/shop", Dependencies: []string{"/infra"}}}
	s := newTestServer(t, f, Config{})

	// Only "apps" named: subgroups untouched, unlisted apps deleted,
	// dependencies kept.
	w := call(t, s, "PUT", "/v2/groups/shop", `{"apps": [{"id": "web", "cmd": "y"}]}`)
	wantStatus(t, w, 200, w.Body.String())
	ch := f.lastDeploy(t).ch
	if !reflect.DeepEqual(ch.Delete, []string{"/shop/old"}) || len(ch.DeleteGroups) != 0 ||
		!reflect.DeepEqual(ch.Groups, []state.Group{{ID: "/shop", Dependencies: []string{"/infra"}}}) {
		t.Errorf("change %+v", ch)
	}

	// "groups" named: unlisted subgroups go.
	w = call(t, s, "PUT", "/v2/groups/shop?force=true", `{"groups": [{"id": "db"}]}`)
	wantStatus(t, w, 200, w.Body.String())
	d := f.lastDeploy(t)
	if !d.force || !reflect.DeepEqual(d.ch.DeleteGroups, []string{"/shop/legacy"}) || len(d.ch.Delete) != 0 {
		t.Errorf("change %+v", d)
	}

	// scaleBy scales every app in the group.
	w = call(t, s, "PUT", "/v2/groups/shop", `{"scaleBy": 2.5}`)
	wantStatus(t, w, 200, w.Body.String())
	ch = f.lastDeploy(t).ch
	if len(ch.Upsert) != 4 || ch.Upsert[0].Instances != 3 {
		t.Errorf("scaleBy %+v", ch.Upsert)
	}

	w = call(t, s, "PUT", "/v2/groups/shop", `{"version": "2020-01-01T00:00:00.000Z"}`)
	wantStatus(t, w, 422, w.Body.String())
}

func TestGroupBodyErrors(t *testing.T) {
	s := newTestServer(t, newFake(), Config{})
	cases := []struct {
		body   string
		status int
		path   string
	}{
		{`{"id": "g", "apps": [{"id": "a", "cmd": "x", "cpus": -1}]}`, 422, "/apps(0)/cpus"},
		{`{"id": "g", "apps": [{"id": "a", "cmd": "x", "mem": "big"}]}`, 400, "/apps(0)/mem"},
		{`{"id": "g", "apps": [{"cmd": "x"}]}`, 422, "/apps(0)/id"},
		{`{"id": "g", "apps": [{"id": "/elsewhere/a", "cmd": "x"}]}`, 422, "/apps(0)/id"},
		{`{"id": "g", "groups": [{"id": "s", "apps": [{"id": "a", "cmd": "x", "instances": -1}]}]}`, 422, "/groups(0)/apps(0)/instances"},
		{`{"id": "g", "groups": [{"apps": []}]}`, 422, "/groups(0)/id"},
		{`{"id": "Bad!"}`, 422, "/id"},
		{`{"id": "g", "apps": "none"}`, 400, "/apps"},
		{`{"id": "g", "dependencies": [""]}`, 422, "/dependencies(0)"},
		{`{"id": "g", "pods": [{"id": "p"}]}`, 422, "/pods"},
		{`[1]`, 400, "/"},
	}
	for _, c := range cases {
		w := call(t, s, "POST", "/v2/groups", c.body)
		if w.Code != c.status {
			t.Errorf("%s: status %d, want %d: %s", c.body, w.Code, c.status, w.Body)
			continue
		}
		d := decode(t, w.Body.Bytes())["details"].([]any)[0].(map[string]any)
		if d["path"] != c.path {
			t.Errorf("%s: path %v, want %s", c.body, d["path"], c.path)
		}
	}
}

func TestDeleteGroup(t *testing.T) {
	f := fixture()
	f.groups = []state.Group{{ID: "/infra"}}
	s := newTestServer(t, f, Config{})
	w := call(t, s, "DELETE", "/v2/groups/prod", "")
	wantStatus(t, w, 200, w.Body.String())
	if ch := f.lastDeploy(t).ch; !reflect.DeepEqual(ch.DeleteGroups, []string{"/prod"}) || len(ch.Delete) != 0 {
		t.Errorf("%+v", ch)
	}
	w = call(t, s, "DELETE", "/v2/groups", "")
	wantStatus(t, w, 200, w.Body.String())
	if ch := f.lastDeploy(t).ch; !reflect.DeepEqual(ch.Delete, []string{"/batch"}) || !reflect.DeepEqual(ch.DeleteGroups, []string{"/infra", "/prod"}) {
		t.Errorf("%+v", ch)
	}
	w = call(t, s, "DELETE", "/v2/groups/nope", "")
	wantStatus(t, w, 404, w.Body.String())
}

func FuzzDecodeGroup(f *testing.F) {
	for _, seed := range []string{
		`{"id": "shop", "apps": [{"id": "web", "cmd": "sleep 1", "ports": null}], "groups": [{"id": "db", "apps": [{"id": "pg", "cmd": "pg"}]}], "dependencies": ["../infra"]}`,
		`{"scaleBy": 2}`, `{"version": "x"}`, `{"id": "/"}`, `{"id": "a/../../b"}`, `{"groups": [{"id": "/x/y"}]}`,
		`{"apps": [{"id": "a", "cmd": "x", "env": {"S": {"secret": "s"}}}]}`, `null`, `[]`, `{"apps": [null]}`, `{"groups": [null]}`,
	} {
		f.Add(seed, "/")
	}
	f.Add(`{"id": "x"}`, "/base")
	f.Fuzz(func(t *testing.T, body, base string) {
		g, err := decodeGroup([]byte(body), base, "")
		if err != nil {
			return
		}
		g.walk(func(sg *groupSpec) {
			if sg.id == "" || sg.id[0] != '/' {
				t.Fatalf("group ID %q not absolute", sg.id)
			}
			for _, a := range sg.apps {
				if len(a.Validate()) > 0 {
					t.Fatalf("accepted an invalid app %s", a.ID)
				}
			}
		})
	})
}
