package api

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

func TestFollowerRedirectsToTheLeader(t *testing.T) {
	var known bool
	leader := &mesos.MasterInfo{Port: proto.Uint32(5050), Hostname: proto.String("m2"),
		Address: &mesos.Address{Ip: proto.String("10.0.0.2"), Hostname: proto.String("m2"), Port: proto.Int32(5050)}}
	lr := NewLeaderRouter(func() (*mesos.MasterInfo, bool) { return leader, known }, nil)

	serve := func(method, target string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		lr.ServeHTTP(w, httptest.NewRequest(method, target, strings.NewReader(`{"type":"SUBSCRIBE"}`)))
		return w
	}
	if w := serve(http.MethodPost, "/api/v1/scheduler"); w.Code != http.StatusServiceUnavailable {
		t.Fatalf("no leader known: %d, want 503", w.Code)
	}
	if w := serve(http.MethodGet, "/health"); w.Code != http.StatusOK {
		t.Fatalf("/health on a follower: %d", w.Code)
	}
	if w := serve(http.MethodGet, "/version"); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"version"`) {
		t.Fatalf("/version on a follower: %d %s", w.Code, w.Body)
	}

	known = true
	for target, want := range map[string]string{
		"/api/v1/scheduler":          "//10.0.0.2:5050/api/v1/scheduler",
		"/agora/v1/agent":            "//10.0.0.2:5050/agora/v1/agent",
		"/master/state?jsonp=f":      "//10.0.0.2:5050/master/state?jsonp=f",
		"/master/redirect":           "//10.0.0.2:5050",
		"/redirect":                  "//10.0.0.2:5050",
		"/master/api/v1?x=%2Fencode": "//10.0.0.2:5050/master/api/v1?x=%2Fencode",
	} {
		w := serve(http.MethodPost, target)
		if w.Code != http.StatusTemporaryRedirect || w.Header().Get("Location") != want {
			t.Errorf("%s: %d Location %q, want 307 %q", target, w.Code, w.Header().Get("Location"), want)
		}
	}

	// Over TLS the redirect names https, so clients never fall back to
	// plain HTTP with their credentials.
	r := httptest.NewRequest(http.MethodGet, "https://m1:5050/master/state", nil)
	w := httptest.NewRecorder()
	lr.ServeHTTP(w, r)
	if got := w.Header().Get("Location"); w.Code != http.StatusTemporaryRedirect || got != "https://10.0.0.2:5050/master/state" {
		t.Errorf("over TLS: %d Location %q, want 307 https://10.0.0.2:5050/master/state", w.Code, got)
	}

	// Leading, the term's handler answers; following again, it does not.
	lr.Lead(nil, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) }))
	if w := serve(http.MethodGet, "/master/state"); w.Code != http.StatusTeapot {
		t.Fatalf("leading: %d, want the handler's answer", w.Code)
	}
	lr.Follow()
	if w := serve(http.MethodGet, "/master/state"); w.Code != http.StatusTemporaryRedirect {
		t.Fatalf("after stepping down: %d, want 307", w.Code)
	}
}

func TestLeaderHostPortFallsBack(t *testing.T) {
	for _, tc := range []struct {
		info *mesos.MasterInfo
		want string
	}{
		{&mesos.MasterInfo{Hostname: proto.String("h"), Port: proto.Uint32(1)}, "h:1"},
		{&mesos.MasterInfo{Port: proto.Uint32(1), Address: &mesos.Address{Ip: proto.String("0.0.0.0"), Hostname: proto.String("h2"), Port: proto.Int32(2)}}, "h2:2"},
		{&mesos.MasterInfo{Address: &mesos.Address{Ip: proto.String("::1"), Port: proto.Int32(3)}}, "[::1]:3"},
	} {
		if got := leaderHostPort(tc.info); got != tc.want {
			t.Errorf("%v: %s, want %s", tc.info, got, tc.want)
		}
	}
}

func TestChangesRegistry(t *testing.T) {
	for body, want := range map[string]bool{
		`{"type":"MARK_AGENT_GONE","mark_agent_gone":{"agent_id":{"value":"a"}}}`: true,
		`{"type":"UPDATE_WEIGHTS","update_weights":{"weight_infos":[]}}`:          true,
		`{"type":"GET_STATE"}`: false,
		`not json`:             false,
	} {
		if got := changesRegistry("application/json", []byte(body)); got != want {
			t.Errorf("%s: %v, want %v", body, got, want)
		}
	}
}
