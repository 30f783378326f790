package api

import (
	"net/http"

	"github.com/agoraproject/agora/internal/cors"
)

// ParseOrigins splits --access_control_allow_origin (see cors.ParseOrigins).
func ParseOrigins(s string) []string { return cors.ParseOrigins(s) }

// withCORS lets pages from the allowed origins call the API (the master's
// web UI reads /jobs and /jobs/summary from its own origin).
func withCORS(allowed []string, next http.Handler) http.Handler {
	return cors.Policy{
		Origins: allowed,
		Methods: "GET, POST, PUT, DELETE, OPTIONS",
		Headers: "Content-Type, Accept",
	}.Wrap(next)
}
