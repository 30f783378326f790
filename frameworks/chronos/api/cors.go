package api

import (
	"net/http"
	"slices"
	"strings"
)

// corsMethods and corsHeaders are what a preflight may ask for: the API's
// methods and the JSON content type of job definitions.
const (
	corsMethods = "GET, POST, PUT, DELETE, OPTIONS"
	corsHeaders = "Content-Type, Accept"
	corsMaxAge  = "600" // seconds a browser may cache a preflight answer
)

// ParseOrigins splits --access_control_allow_origin: "*", or a
// comma-separated list of origins ("http://host:port"). Empty means no
// cross-origin access.
func ParseOrigins(s string) []string {
	var out []string
	for _, o := range strings.Split(s, ",") {
		if o = strings.TrimRight(strings.TrimSpace(o), "/"); o != "" {
			out = append(out, o)
		}
	}
	return out
}

// withCORS lets pages from the allowed origins call the API (the master's
// web UI reads /jobs and /jobs/summary from its own origin). A request
// from another origin is served as before, without the headers, so the
// browser withholds the answer from that page. Preflight requests are
// answered here; other OPTIONS requests fall through to the router.
func withCORS(allowed []string, next http.Handler) http.Handler {
	if len(allowed) == 0 {
		return next
	}
	all := slices.Contains(allowed, "*")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin == "" || (!all && !slices.Contains(allowed, origin)) {
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Add("Vary", "Origin")
		if all {
			h.Set("Access-Control-Allow-Origin", "*")
		} else {
			h.Set("Access-Control-Allow-Origin", origin)
		}
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Set("Access-Control-Allow-Methods", corsMethods)
			h.Set("Access-Control-Allow-Headers", corsHeaders)
			h.Set("Access-Control-Max-Age", corsMaxAge)
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}
