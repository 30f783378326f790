package cors

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestPolicy(t *testing.T) {
	p := Policy{Origins: ParseOrigins(" http://ui:5050/ ,http://other:1"), Methods: "GET", Headers: "Accept", Expose: "Location"}
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	h := p.Wrap(ok)
	for _, tc := range []struct {
		name, method, origin, preflight string
		code                            int
		allow                           string
	}{
		{"allowed origin", "GET", "http://ui:5050", "", http.StatusTeapot, "http://ui:5050"},
		{"other origin served without headers", "GET", "http://evil", "", http.StatusTeapot, ""},
		{"no origin", "GET", "", "", http.StatusTeapot, ""},
		{"preflight answered", "OPTIONS", "http://other:1", "GET", http.StatusNoContent, "http://other:1"},
		{"plain OPTIONS reaches the handler", "OPTIONS", "http://other:1", "", http.StatusTeapot, "http://other:1"},
	} {
		r := httptest.NewRequest(tc.method, "/x", nil)
		if tc.origin != "" {
			r.Header.Set("Origin", tc.origin)
		}
		if tc.preflight != "" {
			r.Header.Set("Access-Control-Request-Method", tc.preflight)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tc.code || w.Header().Get("Access-Control-Allow-Origin") != tc.allow {
			t.Errorf("%s: %d allow %q, want %d %q", tc.name, w.Code, w.Header().Get("Access-Control-Allow-Origin"), tc.code, tc.allow)
		}
	}
	if got := (Policy{}).Wrap(ok); got == nil {
		t.Fatal("nil handler")
	}
	for o, valid := range map[string]bool{"*": true, "http://a:1": true, "https://a": true, "ftp://a": false, "http://a/path": false, "a:1": false} {
		if err := CheckOrigin(o); (err == nil) != valid {
			t.Errorf("CheckOrigin(%q) = %v, want valid=%v", o, err, valid)
		}
	}
}
