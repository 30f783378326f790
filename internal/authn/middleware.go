package authn

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"go.uber.org/zap"
)

// DefaultRealm is the realm of the WWW-Authenticate challenge.
const DefaultRealm = "agora"

type principalKey struct{}

// WithPrincipal returns ctx carrying an authenticated principal.
func WithPrincipal(ctx context.Context, principal string) context.Context {
	return context.WithValue(ctx, principalKey{}, principal)
}

// PrincipalFrom returns the principal the middleware authenticated, or
// false for an anonymous request.
func PrincipalFrom(ctx context.Context) (string, bool) {
	p, ok := ctx.Value(principalKey{}).(string)
	return p, ok
}

// Middleware authenticates requests before they reach a handler.
type Middleware struct {
	// Authenticator checks credentials; required.
	Authenticator Authenticator
	// Realm is named in the 401 challenge; DefaultRealm when empty.
	Realm string
	// Required says which requests must authenticate; nil means all.
	// Others may still authenticate, and then carry their principal.
	Required func(r *http.Request) bool
	// Logger records refusals (never the secrets); nil logs nothing.
	Logger *zap.Logger
}

// Wrap returns next behind authentication. Invalid credentials are
// refused with 401 even where authentication is optional: a caller that
// typed a wrong password should hear so, not be served as anonymous.
func (m *Middleware) Wrap(next http.Handler) http.Handler {
	realm := m.Realm
	if realm == "" {
		realm = DefaultRealm
	}
	log := m.Logger
	if log == nil {
		log = zap.NewNop()
	}
	challenge := "Basic realm=" + strconv.Quote(realm)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := m.Authenticator.Authenticate(r)
		switch {
		case err == nil:
			next.ServeHTTP(w, r.WithContext(WithPrincipal(r.Context(), p)))
			return
		case errors.Is(err, ErrNoCredentials) && m.Required != nil && !m.Required(r):
			next.ServeHTTP(w, r)
			return
		}
		log.Info("authentication failed", zap.String("path", r.URL.Path),
			zap.String("remote", r.RemoteAddr), zap.String("reason", err.Error()))
		w.Header().Set("WWW-Authenticate", challenge)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusUnauthorized)
		if errors.Is(err, ErrNoCredentials) {
			_, _ = w.Write([]byte("Authentication required\n"))
			return
		}
		_, _ = w.Write([]byte(err.Error() + "\n"))
	})
}
