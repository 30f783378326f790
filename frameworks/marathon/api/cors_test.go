package api

import (
	"net/http"
	"strings"
	"testing"
)

// TestCORS: the master's web UI, on another origin, may read /v2/apps and
// /v2/deployments; a preflight is answered; other origins get no headers.
func TestCORS(t *testing.T) {
	f := newFake()
	f.addApp(sampleApp("/web", "sleep 1"))
	ui := "http://127.0.0.1:5050"
	s := newTestServer(t, f, Config{AccessControlAllowOrigin: ParseOrigins(ui + "/, http://localhost:5050")})

	for _, path := range []string{"/v2/apps", "/v2/deployments"} {
		w := call(t, s, "GET", path, "", "Origin", ui)
		if w.Code != 200 || w.Header().Get("Access-Control-Allow-Origin") != ui {
			t.Errorf("GET %s from %s: %d, Allow-Origin %q", path, ui, w.Code, w.Header().Get("Access-Control-Allow-Origin"))
		}
	}
	w := call(t, s, "GET", "/v2/apps", "", "Origin", "http://localhost:5050")
	if w.Header().Get("Access-Control-Allow-Origin") != "http://localhost:5050" {
		t.Errorf("second origin: %q", w.Header().Get("Access-Control-Allow-Origin"))
	}

	w = call(t, s, "OPTIONS", "/v2/apps/web", "", "Origin", ui,
		"Access-Control-Request-Method", "DELETE", "Access-Control-Request-Headers", "content-type")
	if w.Code != http.StatusNoContent || w.Header().Get("Access-Control-Allow-Origin") != ui ||
		!strings.Contains(w.Header().Get("Access-Control-Allow-Methods"), "DELETE") ||
		!strings.Contains(w.Header().Get("Access-Control-Allow-Headers"), "Content-Type") {
		t.Errorf("preflight: %d %v", w.Code, w.Header())
	}
	if len(f.deploys) != 0 {
		t.Error("a preflight reached the backend")
	}

	w = call(t, s, "GET", "/v2/apps", "", "Origin", "http://evil.example")
	if w.Code != 200 || w.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("foreign origin: %d, Allow-Origin %q", w.Code, w.Header().Get("Access-Control-Allow-Origin"))
	}
	w = call(t, s, "OPTIONS", "/v2/apps", "", "Origin", "http://evil.example", "Access-Control-Request-Method", "POST")
	if w.Header().Get("Access-Control-Allow-Origin") != "" || w.Code == http.StatusNoContent {
		t.Errorf("foreign preflight: %d %v", w.Code, w.Header())
	}

	// Without the setting nothing changes.
	plain := newTestServer(t, f, Config{})
	if w := call(t, plain, "GET", "/v2/apps", "", "Origin", ui); w.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Error("CORS headers without AccessControlAllowOrigin")
	}

	// "*" allows any origin.
	star := newTestServer(t, f, Config{AccessControlAllowOrigin: ParseOrigins("*")})
	if w := call(t, star, "GET", "/v2/apps", "", "Origin", "http://x.example"); w.Header().Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("*: %q", w.Header().Get("Access-Control-Allow-Origin"))
	}
}

func TestCORSConfigValidated(t *testing.T) {
	for _, bad := range []string{"127.0.0.1:5050", "ftp://x", "http://x/path", "http://"} {
		err := Config{AccessControlAllowOrigin: []string{bad}}.Validate()
		if err == nil || !strings.Contains(err.Error(), "AccessControlAllowOrigin") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
