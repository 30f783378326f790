package api

import (
	"testing"
)

// FuzzWriteBodies sends arbitrary bodies to every endpoint that decodes one:
// whatever arrives, the answer is never a 5xx (clients mark a Marathon that
// answers 5xx as down).
func FuzzWriteBodies(f *testing.F) {
	for _, seed := range []string{
		`{"id": "web", "cmd": "sleep 1", "ports": null, "dependencies": null}`,
		`{"instances": 3}`, `{"version": "2024-01-01T00:00:00.000Z"}`, `[{"id": "a", "cmd": "x"}]`,
		`{"id": "g", "apps": [{"id": "a", "cmd": "x"}], "groups": [{"id": "s"}]}`, `{"scaleBy": 1.5}`,
		`{"ids": ["web.1"]}`, `{"container": {"type": "DOCKER", "docker": {"image": "x", "network": "BRIDGE", "portMappings": [{"containerPort": 80}]}}}`,
		`null`, `[]`, `{`, `"x"`, `{"env": {"S": {"secret": "s"}}}`,
	} {
		f.Add(seed)
	}
	fb := newFake()
	fb.addApp(sampleApp("/web", "sleep 1"), task("/web", "1", "h", "TASK_RUNNING", 31000))
	s := newTestServer(f, fb, Config{})
	targets := []struct{ method, path string }{
		{"POST", "/v2/apps"}, {"PUT", "/v2/apps/web"}, {"PUT", "/v2/apps/new"}, {"PUT", "/v2/apps/web?partialUpdate=false"},
		{"PATCH", "/v2/apps/web"}, {"PUT", "/v2/apps"}, {"PATCH", "/v2/apps"}, {"POST", "/v2/groups"},
		{"PUT", "/v2/groups/g"}, {"POST", "/v2/tasks/delete"},
	}
	f.Fuzz(func(t *testing.T, body string) {
		for _, tg := range targets {
			w := call(t, s, tg.method, tg.path, body)
			if w.Code >= 500 {
				t.Fatalf("%s %s with %q: %d %s", tg.method, tg.path, body, w.Code, w.Body)
			}
		}
	})
}
