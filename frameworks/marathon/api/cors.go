package api

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// What a CORS preflight may ask for: the API's methods and the headers
// Marathon clients send.
const (
	corsMethods = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"
	corsHeaders = "Content-Type, Accept, Authorization"
	corsMaxAge  = "600" // seconds a browser may cache a preflight answer
)

// ParseOrigins splits Marathon's --access_control_allow_origin: "*", or a
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

// checkOrigin accepts "*" or scheme://host[:port], which is all a browser
// ever sends in Origin.
func checkOrigin(o string) error {
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

// withCORS lets pages from the allowed origins call the API (the master's
// web UI reads /v2/apps and /v2/deployments from its own origin). Requests
// from other origins are served as before, without the headers, so the
// browser withholds the answer from that page. Preflights are answered
// here, before routing, so they never reach a handler or the leader.
func withCORS(allowed []string, w http.ResponseWriter, r *http.Request) (handled bool) {
	origin := r.Header.Get("Origin")
	if len(allowed) == 0 || origin == "" {
		return false
	}
	all := slices.Contains(allowed, "*")
	if !all && !slices.Contains(allowed, origin) {
		return false
	}
	h := w.Header()
	h.Add("Vary", "Origin")
	if all {
		h.Set("Access-Control-Allow-Origin", "*")
	} else {
		h.Set("Access-Control-Allow-Origin", origin)
	}
	h.Set("Access-Control-Expose-Headers", "Location, Marathon-Deployment-Id, X-Marathon-Leader")
	if r.Method != http.MethodOptions || r.Header.Get("Access-Control-Request-Method") == "" {
		return false
	}
	h.Set("Access-Control-Allow-Methods", corsMethods)
	h.Set("Access-Control-Allow-Headers", corsHeaders)
	h.Set("Access-Control-Max-Age", corsMaxAge)
	w.WriteHeader(http.StatusNoContent)
	return true
}
