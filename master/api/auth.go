package api

import (
	"crypto/tls"
	"net/http"
	"strings"

	"go.uber.org/zap"

	"github.com/agoraproject/agora/internal/acl"
	"github.com/agoraproject/agora/internal/authn"
	"github.com/agoraproject/agora/internal/pki"
	"github.com/agoraproject/agora/master/webui"
)

// Security is what the master enforces at its HTTP boundary. The zero
// value enforces nothing, which is `agora dev` and `--tls=false` without
// credentials or ACLs.
type Security struct {
	// Authenticator checks credentials (--credentials); nil when none
	// are configured, and then no request carries a principal.
	Authenticator authn.Authenticator
	// Flags are the --authenticate_* flags: which classes of endpoint
	// must authenticate (see Classify).
	Flags authn.Flags
	// AgentCertificates makes the agent protocol require a client
	// certificate of role agent issued by the cluster CA.
	AgentCertificates bool
	// Authorizer decides ACL actions (--acls); nil allows everything.
	Authorizer acl.Authorizer
	// AgentTLS is the client configuration the master reaches agents'
	// HTTPS endpoints with (the files proxy); nil: plain HTTP.
	AgentTLS *tls.Config
	// FrameworkSubscribes and AgentSubscribes limit SUBSCRIBEs per
	// remote IP and principal (auth_rate.go); a zero Rate: no limit.
	FrameworkSubscribes, AgentSubscribes RateLimit
	Logger                               *zap.Logger
}

// enabled reports whether any check needs the calls decoded at the
// boundary; without, the hot paths are left untouched.
func (s *Security) enabled() bool {
	return s != nil && (s.Authenticator != nil || s.Authorizer != nil)
}

func (s *Security) authorizer() acl.Authorizer {
	if s == nil || s.Authorizer == nil {
		return acl.AllowAll{}
	}
	return s.Authorizer
}

// Classify sorts a master request into Mesos's authentication classes:
// the scheduler API, the agent protocol, endpoints that change state
// (the operator API, as Mesos's /api/v1 is in its read-write realm, and
// /logging/toggle), public ones (health, version, the CA and join
// endpoints, the UI's static page), and everything else as read-only —
// an endpoint added later is protected by --authenticate_http_readonly
// until classified otherwise.
func Classify(r *http.Request) authn.Class {
	p := r.URL.Path
	switch p {
	case "/health", "/master/health", "/version", "/master/redirect", "/redirect",
		"/", "/index.html", pki.PathCA, pki.PathJoin, pki.PathRenew:
		return authn.Public
	case "/api/v1/scheduler", "/master/api/v1/scheduler":
		return authn.Framework
	case agentPath:
		return authn.Agent
	case "/api/v1", "/master/api/v1", "/logging/toggle":
		return authn.ReadWrite
	}
	if strings.HasPrefix(p, webui.Prefix) {
		return authn.Public
	}
	return authn.ReadOnly
}

const agentPath = "/agora/v1/agent"

// Protect puts authentication in front of next (the leader router, so
// standbys authenticate too): public endpoints pass untouched; the agent
// protocol needs an agent certificate when s.AgentCertificates; every
// other request is authenticated when credentials are configured, and
// must be when its class's --authenticate_* flag is set. Invalid
// credentials are a 401 even where authentication is optional.
func Protect(next http.Handler, s Security) http.Handler {
	h := next
	if s.FrameworkSubscribes.Rate > 0 || s.AgentSubscribes.Rate > 0 {
		h = newSubscribeLimiter(s.FrameworkSubscribes, s.AgentSubscribes).wrap(h)
	}
	if s.Authenticator != nil {
		mw := &authn.Middleware{
			Authenticator: s.Authenticator,
			Required:      func(r *http.Request) bool { return s.Flags.Required(Classify(r)) },
			Logger:        s.Logger,
		}
		h = mw.Wrap(h)
	}
	if s.AgentCertificates {
		h = pki.RequireRole(pki.RoleAgent, func(r *http.Request) bool { return r.URL.Path == agentPath }, h)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if Classify(r) == authn.Public {
			next.ServeHTTP(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// SetSecurity turns on the ACL and principal checks of the scheduler and
// operator APIs and the files proxy, and the proxy's TLS to agents.
func (h *Handler) SetSecurity(s Security) {
	h.sec = &s
	if s.AgentTLS != nil && h.files != nil {
		h.files.useTLS(s.AgentTLS)
	}
}

// deny answers 403 with the reason and logs it with the principal.
func (h *Handler) deny(w http.ResponseWriter, r *http.Request, principal, reason string) {
	h.log.Info("request denied", zap.String("path", r.URL.Path), zap.String("principal", principal), zap.String("reason", reason))
	httpError(w, http.StatusForbidden, reason)
}

// allowed asks the authorizer and answers 403 itself when it says no.
func (h *Handler) allowed(w http.ResponseWriter, r *http.Request, action acl.Action, principal, object string) bool {
	ok, reason := h.sec.authorizer().Allowed(action, principal, object)
	if !ok {
		h.deny(w, r, principal, reason)
	}
	return ok
}

func principalOf(r *http.Request) string {
	p, _ := authn.PrincipalFrom(r.Context())
	return p
}
