package api_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/agoraproject/agora/frameworks/chronos/api"
	"github.com/agoraproject/agora/frameworks/chronos/runner"
)

func TestMethodMismatchIs405UnderBothPrefixes(t *testing.T) {
	srv, _ := setup(t)
	for _, prefix := range api.Prefixes {
		for _, tc := range []struct{ method, path, allow string }{
			{"DELETE", "/jobs", "GET"},
			{"GET", "/iso8601", "POST, PUT"},
			{"GET", "/dependency", "POST, PUT"},
			{"POST", "/job/a", "GET, PUT, DELETE"},
			{"GET", "/task/kill/a", "DELETE"},
		} {
			req, _ := http.NewRequest(tc.method, srv.URL+prefix+tc.path, nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 405 || resp.Header.Get("Allow") != tc.allow {
				t.Errorf("%s %s%s: %s Allow %q; want 405 Allow %q", tc.method, prefix, tc.path, resp.Status, resp.Header.Get("Allow"), tc.allow)
			}
		}
	}
	want(t, "POST", srv.URL+"/ping", "", 405, `"status":405`)
}

func TestParseOrigins(t *testing.T) {
	for in, out := range map[string][]string{
		"":                                  nil,
		"*":                                 {"*"},
		" http://a:5050/ , http://b:5050 ,": {"http://a:5050", "http://b:5050"},
	} {
		if got := api.ParseOrigins(in); !slices.Equal(got, out) {
			t.Errorf("ParseOrigins(%q) = %q, want %q", in, got, out)
		}
	}
}

func TestCORS(t *testing.T) {
	b := &coreBackend{c: runner.New(runner.Config{})}
	call := func(allow []string, method, path, origin string, preflight bool) *http.Response {
		t.Helper()
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(method, path, nil)
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		if preflight {
			req.Header.Set("Access-Control-Request-Method", "POST")
		}
		api.New(b, api.Options{AllowOrigins: allow}).ServeHTTP(rec, req)
		return rec.Result()
	}
	master := []string{"http://127.0.0.1:5050"}
	for _, tc := range []struct {
		name      string
		allow     []string
		method    string
		path      string
		origin    string
		preflight bool
		code      int
		acao      string
	}{
		{"not configured", nil, "GET", "/v1/scheduler/jobs", "http://127.0.0.1:5050", false, 200, ""},
		{"allowed origin", master, "GET", "/v1/scheduler/jobs", "http://127.0.0.1:5050", false, 200, "http://127.0.0.1:5050"},
		{"allowed origin, 2.x prefix", master, "GET", "/scheduler/jobs/summary", "http://127.0.0.1:5050", false, 200, "http://127.0.0.1:5050"},
		{"other origin", master, "GET", "/v1/scheduler/jobs", "http://evil.example", false, 200, ""},
		{"same origin request", master, "GET", "/v1/scheduler/jobs", "", false, 200, ""},
		{"any origin", []string{"*"}, "GET", "/v1/scheduler/jobs", "http://x.example", false, 200, "*"},
		{"preflight", master, "OPTIONS", "/v1/scheduler/iso8601", "http://127.0.0.1:5050", true, 204, "http://127.0.0.1:5050"},
		{"preflight, other origin", master, "OPTIONS", "/v1/scheduler/iso8601", "http://evil.example", true, 405, ""},
		{"preflight, not configured", nil, "OPTIONS", "/v1/scheduler/iso8601", "http://127.0.0.1:5050", true, 405, ""},
	} {
		resp := call(tc.allow, tc.method, tc.path, tc.origin, tc.preflight)
		resp.Body.Close()
		if resp.StatusCode != tc.code || resp.Header.Get("Access-Control-Allow-Origin") != tc.acao {
			t.Errorf("%s: %d, Access-Control-Allow-Origin %q; want %d, %q", tc.name, resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"), tc.code, tc.acao)
		}
		if tc.code == 204 && (resp.Header.Get("Access-Control-Allow-Methods") == "" || resp.Header.Get("Access-Control-Allow-Headers") == "") {
			t.Errorf("%s: preflight answer lacks methods or headers: %v", tc.name, resp.Header)
		}
	}
}
