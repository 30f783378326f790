package app

import (
	"strings"
	"testing"
)

func TestValidatePaths(t *testing.T) {
	for _, tc := range []struct{ body, path, msg string }{
		{`{"id":"Prod/Web","cmd":"x"}`, "/id", "must match"},
		{`{"id":"/-web","cmd":"x"}`, "/id", "must match"},
		{`{"id":"/web_1","cmd":"x"}`, "/id", "must match"},
		{`{"cmd":"x"}`, "/id", "path must not be empty"},
		{`{"id":"a"}`, "/", "AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'."},
		{`{"id":"a","cmd":"x","args":["y"]}`, "/", "not both"},
		{`{"id":"a","cmd":"x","cpus":-1}`, "/cpus", "must be greater than or equal to 0"},
		{`{"id":"a","cmd":"x","mem":-1}`, "/mem", "must be greater than or equal to 0"},
		{`{"id":"a","cmd":"x","instances":-2}`, "/instances", "must be greater than or equal to 0"},
		{`{"id":"a","cmd":"x","backoffFactor":0.5}`, "/backoffFactor", "1.0"},
		{`{"id":"a","container":{"type":"DOCKER","docker":{"image":""}}}`, "/container/docker/image", "must not be empty"},
		{`{"id":"a","cmd":"x","container":{"type":"RKT"}}`, "/container/type", "must be one of"},
		{`{"id":"a","cmd":"x","healthChecks":[{"protocol":"HTTP"},{"protocol":"GOPHER"}]}`, "/healthChecks(1)/protocol", "must be one of"},
		{`{"id":"a","cmd":"x","healthChecks":[{"protocol":"HTTP","portIndex":3}]}`, "/healthChecks(0)", "port indices"},
		{`{"id":"a","cmd":"x","healthChecks":[{"protocol":"COMMAND"}]}`, "/healthChecks(0)/command", "require a command"},
		{`{"id":"a","cmd":"x","constraints":[["hostname","UNIQUE"],["rack","NEAR","1"]]}`, "/constraints(1)", "UNIQUE, CLUSTER, GROUP_BY, LIKE, UNLIKE, MAX_PER, IS"},
		{`{"id":"a","cmd":"x","constraints":[["hostname"]]}`, "/constraints(0)", "2 or 3 fields"},
		{`{"id":"a","cmd":"x","constraints":[["rack","LIKE","("]]}`, "/constraints(0)", "not a valid regular expression"},
		{`{"id":"a","cmd":"x","constraints":[["rack","MAX_PER","two"]]}`, "/constraints(0)", "not an integer"},
		{`{"id":"a","cmd":"x","constraints":[["rack","GROUP_BY","x"]]}`, "/constraints(0)", "not an integer"},
		{`{"id":"a","cmd":"x","constraints":[["hostname","UNIQUE","x"]]}`, "/constraints(0)", "UNIQUE"},
		{`{"id":"a","cmd":"x","portDefinitions":[{"port":70000}]}`, "/portDefinitions(0)/port", "65535"},
		{`{"id":"a","cmd":"x","portDefinitions":[{"port":80},{"port":80}]}`, "/portDefinitions", "unique"},
		{`{"id":"a","cmd":"x","dependencies":["/Bad"]}`, "/dependencies(0)", "must match"},
		{`{"id":"a","cmd":"x","upgradeStrategy":{"minimumHealthCapacity":1.5}}`, "/upgradeStrategy/minimumHealthCapacity", "between"},
		{`{"id":"a","cmd":"x","killSelection":"RANDOM"}`, "/killSelection", "YOUNGEST_FIRST"},
		{`{"id":"a","cmd":"x","unreachableStrategy":{"inactiveAfterSeconds":600,"expungeAfterSeconds":60}}`, "/unreachableStrategy/expungeAfterSeconds", "greater"},
	} {
		a := mustDecode(t, tc.body)
		vs := a.Validate()
		found := false
		for _, v := range vs {
			if v.Path == tc.path && strings.Contains(strings.Join(v.Errors, "|"), tc.msg) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: violations %+v, want %s: %q", tc.body, vs, tc.path, tc.msg)
		}
	}
}

func TestValidateAccepts(t *testing.T) {
	for _, body := range []string{
		`{"id":"/prod/web-1.v2","cmd":"x","constraints":[["hostname","UNIQUE"],["rack","GROUP_BY","3"],["rack","CLUSTER","a"],["zone","LIKE","us-.*"],["zone","UNLIKE","eu"],["hostname","MAX_PER","2"],["os","IS","linux"],["rack","GROUP_BY"]]}`,
		`{"id":"a","args":["sleep","10"],"healthChecks":[{"protocol":"MESOS_TCP"},{"protocol":"COMMAND","command":{"value":"true"}}]}`,
		`{"id":"a","container":{"type":"DOCKER","docker":{"image":"nginx"},"portMappings":[{"containerPort":80,"hostPort":0},{"containerPort":81,"hostPort":0}]},"networks":[{"mode":"container/bridge"}],"healthChecks":[{"protocol":"HTTP","portIndex":1}]}`,
		`{"id":"a","cmd":"x","instances":0,"dependencies":["../db","/other"]}`,
	} {
		a := mustDecode(t, body)
		if vs := a.Validate(); vs != nil {
			t.Errorf("%s: %+v", body, vs)
		}
	}
}

func TestNormalizeResolvesDependencies(t *testing.T) {
	a := mustDecode(t, `{"id":"/prod/web","cmd":"x","dependencies":["db","../shared/cache","/x/"]}`)
	want := []string{"/prod/db", "/shared/cache", "/x"}
	for i, d := range a.Dependencies {
		if d != want[i] {
			t.Errorf("dependency %d = %q, want %q", i, d, want[i])
		}
	}
}

func TestIDs(t *testing.T) {
	if got := TaskID("/prod/web", "abc"); got != "prod_web.abc" {
		t.Errorf("TaskID = %q", got)
	}
	if got := TaskID("web.v1", "u"); got != "web.v1.u" {
		t.Errorf("TaskID = %q", got)
	}
	for _, tc := range []struct {
		task, app string
		ok        bool
	}{
		{"prod_web.abc", "/prod/web", true},
		{"web.v1.5f1c-1", "/web.v1", true},
		{"noseparator", "", false},
		{".abc", "", false},
		{"web.", "", false},
	} {
		got, ok := AppIDFromTaskID(tc.task)
		if got != tc.app || ok != tc.ok {
			t.Errorf("AppIDFromTaskID(%q) = %q %v", tc.task, got, ok)
		}
	}
	for in, want := range map[string]string{"/prod/web": "/prod", "/web": "/", "/": "/", "a/b/c": "/a/b"} {
		if got := Parent(in); got != want {
			t.Errorf("Parent(%q) = %q, want %q", in, got, want)
		}
	}
}
