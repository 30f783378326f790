package webui

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/gorilla/mux"
)

func router() http.Handler {
	r := mux.NewRouter()
	Register(r)
	return r
}

func get(t *testing.T, h http.Handler, method, path string) *httptest.ResponseRecorder {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(method, path, nil))
	return w
}

func TestIndexAtRoot(t *testing.T) {
	for _, p := range []string{"/", "/index.html"} {
		w := get(t, router(), http.MethodGet, p)
		if w.Code != http.StatusOK {
			t.Fatalf("GET %s: %d", p, w.Code)
		}
		if ct := w.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("GET %s: Content-Type %q", p, ct)
		}
		if csp := w.Header().Get("Content-Security-Policy"); csp != ContentSecurityPolicy {
			t.Errorf("GET %s: Content-Security-Policy %q", p, csp)
		}
		if !strings.Contains(w.Body.String(), `<script type="module" src="/ui/app.js">`) {
			t.Errorf("GET %s: the page does not load /ui/app.js:\n%s", p, w.Body.String())
		}
	}
}

func TestCSPAllowsOnlyTheMasterAndFrameworkFetches(t *testing.T) {
	for _, want := range []string{"default-src 'self'", "script-src 'self'", "style-src 'self'", "connect-src 'self' http: https:", "object-src 'none'", "frame-ancestors 'none'"} {
		if !strings.Contains(ContentSecurityPolicy, want) {
			t.Errorf("policy lacks %q: %s", want, ContentSecurityPolicy)
		}
	}
	if strings.Contains(ContentSecurityPolicy, "unsafe") {
		t.Errorf("policy allows unsafe sources: %s", ContentSecurityPolicy)
	}
}

func TestAssetsHaveTheirTypes(t *testing.T) {
	h := router()
	want := map[string]string{".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".html": "text/html; charset=utf-8"}
	n := 0
	err := fs.WalkDir(static, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		n++
		name := strings.TrimPrefix(p, "static/")
		w := get(t, h, http.MethodGet, Prefix+name)
		ext := name[strings.LastIndex(name, "."):]
		if w.Code != http.StatusOK || w.Header().Get("Content-Type") != want[ext] {
			t.Errorf("GET %s%s: %d %q, want 200 %q", Prefix, name, w.Code, w.Header().Get("Content-Type"), want[ext])
		}
		if w.Header().Get("Content-Security-Policy") != ContentSecurityPolicy || w.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s%s: security headers %v", Prefix, name, w.Header())
		}
		return nil
	})
	if err != nil || n < 5 {
		t.Fatalf("walking the assets: %v (%d files)", err, n)
	}
}

func TestUnknownPathsAre404(t *testing.T) {
	h := New()
	for _, p := range []string{"/ui/nope.js", "/ui/", "/ui/../webui.go", "/ui//app.js", "/ui/./app.js", "/other", "/ui/static/app.js"} {
		if w := get(t, h, http.MethodGet, p); w.Code != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", p, w.Code)
		}
	}
	if w := get(t, router(), http.MethodGet, "/ui/nope.css"); w.Code != http.StatusNotFound {
		t.Errorf("through the router: %d, want 404", w.Code)
	}
}

func TestOnlyGETAndHEAD(t *testing.T) {
	h := router()
	if w := get(t, h, http.MethodHead, "/ui/app.js"); w.Code != http.StatusOK || w.Body.Len() != 0 {
		t.Errorf("HEAD: %d with %d bytes", w.Code, w.Body.Len())
	}
	w := get(t, h, http.MethodPost, "/")
	if w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") != "GET, HEAD" {
		t.Errorf("POST /: %d Allow %q", w.Code, w.Header().Get("Allow"))
	}
}

// The modules import each other by relative path: every import must name
// an embedded file, or the page fails to load in the browser.
func TestModuleImportsResolve(t *testing.T) {
	imp := regexp.MustCompile(`(?m)^\s*(?:import|export)\s[^'"]*from\s+'\./([^']+)'`)
	sub, _ := fs.Sub(static, "static")
	files, _ := fs.Glob(sub, "*.js")
	for _, f := range files {
		b, _ := fs.ReadFile(sub, f)
		for _, m := range imp.FindAllStringSubmatch(string(b), -1) {
			if _, err := fs.Stat(sub, m[1]); err != nil {
				t.Errorf("%s imports ./%s, which is not embedded", f, m[1])
			}
		}
	}
}

// Cluster data (task names, labels) is user input: the scripts must
// build the DOM with text nodes, never by parsing HTML.
func TestScriptsDoNotParseHTML(t *testing.T) {
	bad := regexp.MustCompile(`\.innerHTML\s*=|\.outerHTML\s*=|insertAdjacentHTML|document\.write|\beval\(|new Function\(`)
	sub, _ := fs.Sub(static, "static")
	files, _ := fs.Glob(sub, "*.js")
	for _, f := range files {
		b, _ := fs.ReadFile(sub, f)
		if loc := bad.FindIndex(b); loc != nil {
			t.Errorf("%s uses %q", f, b[loc[0]:loc[1]])
		}
	}
}
