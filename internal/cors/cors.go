// Package cors lets web pages from configured origins call an HTTP API
// (the master's web UI reads the bundled frameworks' APIs from its own
// origin), as Marathon's --access_control_allow_origin does. It is not an
// access control: a request from another origin is served as before,
// without the headers, and the browser withholds the answer from that page.
package cors

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// maxAge is how many seconds a browser may cache a preflight answer.
const maxAge = "600"

// Policy is the set of allowed origins and what a preflight may ask for.
type Policy struct {
	Origins []string // "*" or scheme://host[:port]; none = no cross-origin access
	Methods string   // Access-Control-Allow-Methods
	Headers string   // Access-Control-Allow-Headers
	Expose  string   // Access-Control-Expose-Headers ("" = none)
}

// ParseOrigins splits an --access_control_allow_origin value: "*", or a
// comma-separated list of origins. Empty means no cross-origin access.
func ParseOrigins(s string) []string {
	var out []string
	for _, o := range strings.Split(s, ",") {
		if o = strings.TrimRight(strings.TrimSpace(o), "/"); o != "" {
			out = append(out, o)
		}
	}
	return out
}

// CheckOrigin accepts "*" or scheme://host[:port], which is all a browser
// ever sends in Origin.
func CheckOrigin(o string) error {
	if o == "*" {
		return nil
	}
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
		return fmt.Errorf("origin %q: want \"*\" or scheme://host[:port]", o)
	}
	return nil
}

// Apply adds the CORS headers for an allowed origin and answers a
// preflight itself (handled = true); otherwise the caller serves the
// request as usual.
func (p Policy) Apply(w http.ResponseWriter, r *http.Request) (handled bool) {
	origin := r.Header.Get("Origin")
	if len(p.Origins) == 0 || origin == "" {
		return false
	}
	all := slices.Contains(p.Origins, "*")
	if !all && !slices.Contains(p.Origins, origin) {
		return false
	}
	h := w.Header()
	h.Add("Vary", "Origin")
	if all {
		h.Set("Access-Control-Allow-Origin", "*")
	} else {
		h.Set("Access-Control-Allow-Origin", origin)
	}
	if p.Expose != "" {
		h.Set("Access-Control-Expose-Headers", p.Expose)
	}
	if r.Method != http.MethodOptions || r.Header.Get("Access-Control-Request-Method") == "" {
		return false
	}
	h.Set("Access-Control-Allow-Methods", p.Methods)
	h.Set("Access-Control-Allow-Headers", p.Headers)
	h.Set("Access-Control-Max-Age", maxAge)
	w.WriteHeader(http.StatusNoContent)
	return true
}

// Wrap applies the policy in front of next.
func (p Policy) Wrap(next http.Handler) http.Handler {
	if len(p.Origins) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !p.Apply(w, r) {
			next.ServeHTTP(w, r)
		}
	})
}
