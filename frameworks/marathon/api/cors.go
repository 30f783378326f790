package api

import (
	"net/http"

	"github.com/agoraproject/agora/internal/cors"
)

// ParseOrigins splits Marathon's --access_control_allow_origin (see
// cors.ParseOrigins).
func ParseOrigins(s string) []string { return cors.ParseOrigins(s) }

func checkOrigin(o string) error { return cors.CheckOrigin(o) }

// withCORS lets pages from the allowed origins call the API (the master's
// web UI reads /v2/apps and /v2/deployments from its own origin).
// Preflights are answered here, before routing, so they never reach a
// handler or the leader.
func withCORS(allowed []string, w http.ResponseWriter, r *http.Request) (handled bool) {
	return cors.Policy{
		Origins: allowed,
		Methods: "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS",
		Headers: "Content-Type, Accept, Authorization",
		Expose:  "Location, Marathon-Deployment-Id, X-Marathon-Leader",
	}.Apply(w, r)
}
