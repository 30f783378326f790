package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agoraproject/agora/frameworks/chronos/api"
	"github.com/agoraproject/agora/frameworks/chronos/job"
	"github.com/agoraproject/agora/frameworks/chronos/runner"
)

var now = time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)

// coreBackend serves the API from a real runner core at a fixed time.
type coreBackend struct {
	mu    sync.Mutex
	c     *runner.Core
	kills []runner.Decision
}

func (b *coreBackend) with(f func() error) error { b.mu.Lock(); defer b.mu.Unlock(); return f() }
func (b *coreBackend) PutJob(_ context.Context, j job.Job) error {
	return b.with(func() error { return b.c.Put(now, j) })
}
func (b *coreBackend) DeleteJob(_ context.Context, n string) error {
	return b.with(func() error { ds, err := b.c.Delete(now, n); b.kills = append(b.kills, ds...); return err })
}
func (b *coreBackend) RunJob(_ context.Context, n string, args []string) error {
	return b.with(func() error { return b.c.RunNow(now, n, args) })
}
func (b *coreBackend) MarkSuccess(_ context.Context, n string) error {
	return b.with(func() error { return b.c.MarkSuccess(now, n) })
}
func (b *coreBackend) KillTasks(_ context.Context, n string) error {
	return b.with(func() error { ds, err := b.c.KillTasks(n); b.kills = append(b.kills, ds...); return err })
}
func (b *coreBackend) Jobs(context.Context) ([]runner.JobView, error) {
	var v []runner.JobView
	_ = b.with(func() error { v = b.c.Views(); return nil })
	return v, nil
}
func (b *coreBackend) Job(_ context.Context, n string) (runner.JobView, error) {
	var v runner.JobView
	err := b.with(func() error {
		var ok bool
		if v, ok = b.c.View(n); !ok {
			return runner.ErrNotFound
		}
		return nil
	})
	return v, err
}

func setup(t *testing.T) (*httptest.Server, *coreBackend) {
	b := &coreBackend{c: runner.New(runner.Config{})}
	srv := httptest.NewServer(api.New(b, api.Options{Leader: func() (string, bool) { return "host1:4400", true }}))
	t.Cleanup(srv.Close)
	return srv, b
}

func do(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func want(t *testing.T, method, url, body string, code int, contains string) string {
	t.Helper()
	got, out := do(t, method, url, body)
	if got != code || !strings.Contains(out, contains) {
		t.Fatalf("%s %s: %d %s; want %d containing %q", method, url, got, out, code, contains)
	}
	return out
}

const (
	jobA = `{"name":"a","command":"echo a","schedule":"R/2030-01-01T12:00:00Z/PT1H","owner":"ops@example.com"}`
	jobB = `{"name":"b","command":"echo b","parents":["a"]}`
)

func TestEndpointsUnderBothPrefixes(t *testing.T) {
	for _, prefix := range api.Prefixes {
		t.Run(prefix, func(t *testing.T) {
			srv, b := setup(t)
			u := srv.URL + prefix
			want(t, "POST", u+"/iso8601", jobA, 204, "")
			want(t, "POST", u+"/dependency", jobB, 204, "")

			var jobs []map[string]any
			if err := json.Unmarshal([]byte(want(t, "GET", u+"/jobs", "", 200, "")), &jobs); err != nil || len(jobs) != 2 {
				t.Fatalf("jobs %v %v", jobs, err)
			}
			if jobs[0]["name"] != "a" || jobs[0]["shell"] != true || jobs[0]["retries"] != 2.0 || jobs[0]["schedule"] != "R/2030-01-01T12:00:00.000Z/PT1H" ||
				jobs[0]["lastSuccess"] != "" || jobs[1]["parents"] == nil {
				t.Fatalf("jobs %v", jobs)
			}
			want(t, "GET", u+"/jobs/summary", "", 200, `{"jobs":[{"name":"a","status":"fresh","state":"idle","schedule":"R/2030-01-01T12:00:00.000Z/PT1H","parents":[],"disabled":false},{"name":"b","status":"fresh","state":"idle","schedule":"","parents":["a"],"disabled":false}]}`)
			want(t, "GET", u+"/jobs/search?name=B", "", 200, `"name":"b"`)
			if out := want(t, "GET", u+"/jobs/search?any=ops@", "", 200, `"name":"a"`); strings.Contains(out, `"name":"b"`) {
				t.Fatalf("search any matched b: %s", out)
			}
			if out := want(t, "GET", u+"/jobs/search?limit=1&offset=1", "", 200, `"name":"b"`); strings.Contains(out, `"name":"a"`) {
				t.Fatalf("paging: %s", out)
			}
			want(t, "GET", u+"/job/a", "", 200, `"command":"echo a"`)

			want(t, "PUT", u+"/job/a?arguments=x%20y", "", 204, "")
			q := b.c.Queue()
			if len(q) != 1 || strings.Join(q[0].Run.Arguments, ",") != "x,y" {
				t.Fatalf("run now with arguments: %+v", q)
			}
			want(t, "GET", u+"/jobs/summary", "", 200, `"state":"queued"`)

			want(t, "PUT", u+"/job/success/a", "", 204, "")
			want(t, "GET", u+"/job/a", "", 200, `"successCount":1`)
			want(t, "GET", u+"/jobs/summary", "", 200, `{"name":"b","status":"fresh","state":"queued"`)

			b.c.Launched(now, q[0].Run.TaskID, runner.Agent{ID: "S1"})
			want(t, "DELETE", u+"/task/kill/a", "", 204, "")
			if len(b.kills) != 1 || b.kills[0].TaskID != q[0].Run.TaskID {
				t.Fatalf("kills %+v", b.kills)
			}
			stat := want(t, "GET", u+"/job/stat/a", "", 200, `"taskStatHistory":[]`)
			if !strings.Contains(stat, `"histogram":{"75thPercentile":0`) {
				t.Fatalf("stat %s", stat)
			}
			want(t, "GET", u+"/graph/dot", "", 200, `"a" -> "b";`)
			want(t, "GET", u+"/graph/csv", "", 200, "node,a,success,running\nnode,b,fresh,queued\nlink,a,b\n")

			want(t, "DELETE", u+"/job/a", "", 204, "")
			want(t, "GET", u+"/job/a", "", 404, `{"message":"job not found: a","status":404}`)
			if out := want(t, "GET", u+"/job/b", "", 200, `"name":"b"`); strings.Contains(out, `"parents":["a"]`) {
				t.Fatalf("b still lists deleted parent a: %s", out)
			}
			if out := want(t, "GET", u+"/jobs", "", 200, ""); strings.Contains(out, `"name":"a"`) {
				t.Fatalf("ghost job after delete: %s", out)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	srv, _ := setup(t)
	u := srv.URL + "/v1/scheduler"
	want(t, "POST", u+"/iso8601", jobA, 204, "")
	for _, tc := range []struct {
		method, path, body string
		code               int
		contains           string
	}{
		{"POST", "/iso8601", `{`, 400, `"message":"invalid JSON`},
		{"POST", "/iso8601", ``, 400, `empty body`},
		{"POST", "/iso8601", `{"name":"x","command":"c"}`, 400, `schedule: required`},
		{"POST", "/iso8601", `{"name":"x","command":"c","schedule":"R/soon/PT1H"}`, 400, `schedule`},
		{"POST", "/iso8601", `{"name":"x","cpus":"lots"}`, 400, `cpus: want a number`},
		{"POST", "/dependency", `{"name":"x","command":"c","parents":["nope"]}`, 400, `no such job: nope`},
		{"POST", "/dependency", `{"name":"x","command":"c"}`, 400, `parents: required`},
		{"GET", "/job/nope", ``, 404, `"status":404`},
		{"PUT", "/job/nope", ``, 404, `job not found: nope`},
		{"DELETE", "/job/nope", ``, 404, `job not found`},
		{"PUT", "/job/success/nope", ``, 404, `job not found`},
		{"GET", "/job/stat/nope", ``, 404, `job not found`},
		{"DELETE", "/task/kill/nope", ``, 404, `job not found`},
		{"GET", "/jobs/search?limit=-1", ``, 400, `limit: want a non-negative integer`},
		{"GET", "/nothing", ``, 404, `no such endpoint`},
	} {
		code, out := do(t, tc.method, u+tc.path, tc.body)
		var e struct {
			Message string `json:"message"`
			Status  int    `json:"status"`
		}
		if code != tc.code || !strings.Contains(out, tc.contains) || json.Unmarshal([]byte(out), &e) != nil || e.Status != tc.code {
			t.Errorf("%s %s %s: %d %s; want %d with %q", tc.method, tc.path, tc.body, code, out, tc.code, tc.contains)
		}
	}
}

func TestCycleIsRejectedNamingIt(t *testing.T) {
	srv, _ := setup(t)
	u := srv.URL + "/scheduler"
	want(t, "POST", u+"/iso8601", jobA, 204, "")
	want(t, "POST", u+"/dependency", jobB, 204, "")
	want(t, "POST", u+"/dependency", `{"name":"c","command":"c","parents":["b"]}`, 204, "")
	want(t, "POST", u+"/dependency", `{"name":"a","command":"c","parents":["c"]}`, 400, "dependency cycle: a -> b -> c -> a")
}

func TestLeaderPingMetrics(t *testing.T) {
	b := &coreBackend{c: runner.New(runner.Config{})}
	metrics := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("agora_chronos_jobs 0\n")) })
	srv := httptest.NewServer(api.New(b, api.Options{Leader: func() (string, bool) { return "h:4400", true }, Metrics: metrics}))
	defer srv.Close()
	want(t, "GET", srv.URL+"/leader", "", 200, `{"leader":"h:4400"}`)
	want(t, "GET", srv.URL+"/ping", "", 200, "pong")
	want(t, "GET", srv.URL+"/metrics", "", 200, "agora_chronos_jobs")

	none := httptest.NewServer(api.New(b, api.Options{}))
	defer none.Close()
	want(t, "GET", none.URL+"/leader", "", 503, "no leader")
}
