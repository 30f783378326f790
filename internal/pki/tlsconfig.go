package pki

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"time"

	"github.com/agoraproject/agora/internal/httpapi"
)

// ServerConfig serves HTTPS with the store's certificate and verifies
// client certificates against the cluster CA when a client offers one.
// It does not require one: frameworks and browsers have none. Endpoints
// that need a node's certificate say so with RequireRole. now is the
// clock used to check validity (nil: time.Now).
func ServerConfig(certs *CertStore, clientCAs *x509.CertPool, now func() time.Time) *tls.Config {
	return &tls.Config{
		MinVersion:     tls.VersionTLS12,
		GetCertificate: certs.GetCertificate,
		ClientAuth:     tls.VerifyClientCertIfGiven,
		ClientCAs:      clientCAs,
		Time:           now,
	}
}

// ClientConfig trusts only the cluster CA, presents the store's
// certificate when asked (certs may be nil), and, when peerRole is not
// empty, accepts only a server whose certificate carries that role: an
// agent's certificate is signed by the same CA and may name any host, so
// the role is what tells a master from an agent.
func ClientConfig(roots *x509.CertPool, certs *CertStore, peerRole string, now func() time.Time) *tls.Config {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: roots, Time: now}
	if certs != nil {
		cfg.GetClientCertificate = certs.GetClientCertificate
	}
	if peerRole != "" {
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return fmt.Errorf("pki: server sent no certificate")
			}
			id, err := IdentityOf(cs.PeerCertificates[0])
			if err != nil {
				return fmt.Errorf("pki: server is not an agora %s: %w", peerRole, err)
			}
			if id.Role != peerRole {
				return fmt.Errorf("pki: server is %s, want a %s", id, peerRole)
			}
			return nil
		}
	}
	return cfg
}

type peerKey struct{}

// PeerFrom returns the verified identity RequireRole put in the context.
func PeerFrom(ctx context.Context) (Identity, bool) {
	id, ok := ctx.Value(peerKey{}).(Identity)
	return id, ok
}

// VerifiedPeer returns the identity of the client certificate the TLS
// layer verified, or an error saying why there is none.
func VerifiedPeer(r *http.Request) (Identity, error) {
	if r.TLS == nil {
		return Identity{}, fmt.Errorf("connection is not TLS")
	}
	if len(r.TLS.VerifiedChains) == 0 || len(r.TLS.VerifiedChains[0]) == 0 {
		return Identity{}, fmt.Errorf("no client certificate issued by the cluster CA")
	}
	return IdentityOf(r.TLS.VerifiedChains[0][0])
}

// RequireRole lets through only requests whose verified client
// certificate carries role, when match says the request needs it (nil:
// every request). Others get 403 with the reason; the identity goes into
// the request context.
func RequireRole(role string, match func(*http.Request) bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if match != nil && !match(r) {
			next.ServeHTTP(w, r)
			return
		}
		id, err := VerifiedPeer(r)
		if err == nil && id.Role != role {
			err = fmt.Errorf("certificate is for %s", id)
		}
		if err != nil {
			httpapi.Error(w, http.StatusForbidden, fmt.Sprintf("%s requires an agora %s certificate: %v", r.URL.Path, role, err))
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), peerKey{}, id)))
	})
}
