package authn

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func testAuth(t *testing.T) *Static {
	t.Helper()
	c, err := ParseCredentials([]byte(`{"credentials": [
	  {"principal": "marathon", "secret": "s3cret"},
	  {"principal": "ci", "token": "tok-123"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	return NewStatic(c)
}

// whoami answers with the principal the middleware found.
var whoami = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	p, ok := PrincipalFrom(r.Context())
	if !ok {
		p = "(anonymous)"
	}
	_, _ = w.Write([]byte(p))
})

func do(h http.Handler, path string, set func(*http.Request)) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, path, nil)
	if set != nil {
		set(r)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestMiddleware(t *testing.T) {
	m := &Middleware{
		Authenticator: testAuth(t),
		Required:      func(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api/") },
	}
	h := m.Wrap(whoami)
	basic := func(u, p string) func(*http.Request) { return func(r *http.Request) { r.SetBasicAuth(u, p) } }
	bearer := func(tok string) func(*http.Request) {
		return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
	}
	for _, tt := range []struct {
		name   string
		path   string
		set    func(*http.Request)
		status int
		body   string
	}{
		{"missing on required path", "/api/v1", nil, 401, "Authentication required"},
		{"wrong secret", "/api/v1", basic("marathon", "nope"), 401, "wrong principal or secret"},
		{"unknown principal", "/api/v1", basic("mallory", "s3cret"), 401, "wrong principal or secret"},
		{"token as Basic password", "/api/v1", basic("ci", "tok-123"), 401, "wrong principal or secret"},
		{"right secret", "/api/v1", basic("marathon", "s3cret"), 200, "marathon"},
		{"right token", "/api/v1", bearer("tok-123"), 200, "ci"},
		{"lower-case scheme", "/api/v1", func(r *http.Request) { r.Header.Set("Authorization", "bearer tok-123") }, 200, "ci"},
		{"wrong token", "/api/v1", bearer("tok-124"), 401, "unknown bearer token"},
		{"secret as token", "/api/v1", bearer("s3cret"), 401, "unknown bearer token"},
		{"other scheme", "/api/v1", func(r *http.Request) { r.Header.Set("Authorization", "Digest x") }, 401, "unsupported authorization scheme"},
		{"malformed Basic", "/api/v1", func(r *http.Request) { r.Header.Set("Authorization", "Basic !!!") }, 401, "malformed"},
		{"anonymous on optional path", "/health", nil, 200, "(anonymous)"},
		{"known on optional path", "/health", bearer("tok-123"), 200, "ci"},
		{"wrong on optional path", "/health", basic("marathon", "nope"), 401, "wrong principal or secret"},
	} {
		w := do(h, tt.path, tt.set)
		if w.Code != tt.status || !strings.Contains(w.Body.String(), tt.body) {
			t.Errorf("%s: %d %q, want %d with %q", tt.name, w.Code, w.Body.String(), tt.status, tt.body)
		}
		if got := w.Header().Get("WWW-Authenticate"); (w.Code == 401) != (got == `Basic realm="agora"`) {
			t.Errorf("%s: WWW-Authenticate %q with status %d", tt.name, got, w.Code)
		}
	}
}

func TestMiddlewareNilRequiredMeansAll(t *testing.T) {
	h := (&Middleware{Authenticator: testAuth(t), Realm: "ops"}).Wrap(whoami)
	w := do(h, "/health", nil)
	if w.Code != 401 || w.Header().Get("WWW-Authenticate") != `Basic realm="ops"` {
		t.Errorf("got %d %q", w.Code, w.Header().Get("WWW-Authenticate"))
	}
}

func TestFirst(t *testing.T) {
	fixed := authFunc(func(r *http.Request) (string, error) {
		if r.Header.Get("X-Peer") == "" {
			return "", ErrNoCredentials
		}
		return "agent:" + r.Header.Get("X-Peer"), nil
	})
	h := (&Middleware{Authenticator: First(fixed, testAuth(t))}).Wrap(whoami)
	if w := do(h, "/", func(r *http.Request) { r.Header.Set("X-Peer", "h1") }); w.Body.String() != "agent:h1" {
		t.Errorf("first authenticator: %d %q", w.Code, w.Body.String())
	}
	if w := do(h, "/", func(r *http.Request) { r.Header.Set("Authorization", "Bearer tok-123") }); w.Body.String() != "ci" {
		t.Errorf("second authenticator: %d %q", w.Code, w.Body.String())
	}
	if w := do(h, "/", nil); w.Code != 401 {
		t.Errorf("none: %d", w.Code)
	}
}

type authFunc func(*http.Request) (string, error)

func (f authFunc) Authenticate(r *http.Request) (string, error) { return f(r) }

// TestHoldsOnlyDigests checks the authenticator keeps no secret or token
// in the clear: it compares fixed-length SHA-256 digests with
// crypto/subtle, so neither the length nor the first differing byte of a
// guess changes how long the comparison takes, and a heap dump shows no
// password.
func TestHoldsOnlyDigests(t *testing.T) {
	a := NewStatic(&Credentials{List: []Credential{{Principal: "p", Secret: "hunter2-long-secret", Token: "tok-very-secret"}}})
	dump := fmt.Sprintf("%#v", *a)
	for _, s := range []string{"hunter2-long-secret", "tok-very-secret"} {
		if strings.Contains(dump, s) {
			t.Errorf("authenticator holds %q in the clear: %s", s, dump)
		}
	}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.SetBasicAuth("p", "hunter2-long-secret")
	if p, err := a.Authenticate(r); err != nil || p != "p" {
		t.Errorf("right secret: %q, %v", p, err)
	}
}

func TestFlags(t *testing.T) {
	f := Flags{Frameworks: true, HTTPReadWrite: true}
	want := map[Class]bool{Public: false, ReadOnly: false, ReadWrite: true, Framework: true, Agent: false}
	for c, w := range want {
		if f.Required(c) != w {
			t.Errorf("Required(%d) = %v, want %v", c, !w, w)
		}
	}
	if err := f.Validate(false); err == nil || err.Error() != "--credentials is required with --authenticate_frameworks, --authenticate_http_readwrite" {
		t.Errorf("Validate(false) = %v", err)
	}
	if err := f.Validate(true); err != nil {
		t.Errorf("Validate(true) = %v", err)
	}
	if err := (Flags{}).Validate(false); err != nil {
		t.Errorf("no flags: %v", err)
	}
}
