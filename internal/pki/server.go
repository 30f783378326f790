package pki

import (
	cryptorand "crypto/rand"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/agoraproject/agora/internal/httpapi"
)

// Paths the master serves. The CA path is public (the CA certificate is
// no secret; the joining agent checks its fingerprint). Join is
// authenticated by the token, renew by the client certificate.
const (
	PathCA    = "/agora/v1/ca"
	PathJoin  = "/agora/v1/join"
	PathRenew = "/agora/v1/renew"
)

// JoinRequest is the body of POST /agora/v1/join.
type JoinRequest struct {
	Token string `json:"token"`
	CSR   string `json:"csr"` // PEM
}

// RenewRequest is the body of POST /agora/v1/renew.
type RenewRequest struct {
	CSR string `json:"csr"` // PEM
}

// CertResponse answers join and renew.
type CertResponse struct {
	Certificate string `json:"certificate"` // PEM
	CA          string `json:"ca"`          // PEM
}

// TokenVerifier checks a join token and returns its record, whose
// Issues is the role it may sign for; TokenStore is one.
type TokenVerifier interface {
	Verify(t Token, now time.Time) (TokenRecord, error)
}

// Server issues node certificates over HTTP.
type Server struct {
	CA     *CA
	Tokens TokenVerifier
	Config Config
	Now    func() time.Time
	Rand   io.Reader
	Logger *zap.Logger
}

// maxBody bounds request bodies: a CSR is well under 2 KiB.
const maxBody = 64 << 10

// decision is what a join or renew call resolves to before signing.
type decision struct {
	req    Request
	status int // non-zero: refuse with this status and err
	err    error
}

// decideJoin checks a join request. A token issues certificates of its
// own role only (agent or framework), so an agent's token cannot mint a
// framework's certificate, nor any token a master's.
func decideJoin(body JoinRequest, caFingerprint string, tokens TokenVerifier, now time.Time) decision {
	t, err := ParseToken(body.Token)
	if err != nil {
		return decision{status: http.StatusBadRequest, err: fmt.Errorf("token: %w", err)}
	}
	if t.Fingerprint != caFingerprint {
		return decision{status: http.StatusForbidden, err: errWrongCluster}
	}
	rec, err := tokens.Verify(t, now)
	if err != nil {
		return decision{status: http.StatusForbidden, err: err}
	}
	req, err := ParseCSR([]byte(body.CSR))
	if err != nil {
		return decision{status: http.StatusBadRequest, err: fmt.Errorf("csr: %w", err)}
	}
	if role := rec.Issues(); req.Identity.Role != role {
		return decision{status: http.StatusForbidden, err: fmt.Errorf("csr: this join token issues %s certificates only, not %s", role, req.Identity.Role)}
	}
	return decision{req: req}
}

// decideRenew checks a renewal: the peer's verified certificate decides
// the identity, and the CSR must ask for the same one.
func decideRenew(body RenewRequest, peer *x509.Certificate, pool *x509.CertPool, now time.Time) decision {
	if peer == nil {
		return decision{status: http.StatusForbidden, err: errors.New("renewal needs the current client certificate")}
	}
	if _, err := peer.Verify(x509.VerifyOptions{Roots: pool, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		return decision{status: http.StatusForbidden, err: fmt.Errorf("client certificate: %w; join again with a token", err)}
	}
	id, err := IdentityOf(peer)
	if err != nil {
		return decision{status: http.StatusForbidden, err: fmt.Errorf("client certificate: %w", err)}
	}
	req, err := ParseCSR([]byte(body.CSR))
	if err != nil {
		return decision{status: http.StatusBadRequest, err: fmt.Errorf("csr: %w", err)}
	}
	if req.Identity != id {
		return decision{status: http.StatusForbidden, err: fmt.Errorf("csr: asks for %s but the client certificate is %s", req.Identity, id)}
	}
	return decision{req: req}
}

// ServeCA answers GET /agora/v1/ca with the CA certificate in PEM.
func (s *Server) ServeCA(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		httpapi.Error(w, http.StatusMethodNotAllowed, "Expecting a 'GET' request, received '"+r.Method+"'")
		return
	}
	w.Header().Set("Content-Type", "application/x-pem-file")
	_, _ = w.Write(s.CA.CertPEM)
}

// ServeJoin answers POST /agora/v1/join.
func (s *Server) ServeJoin(w http.ResponseWriter, r *http.Request) {
	var body JoinRequest
	if !s.decode(w, r, &body) {
		return
	}
	s.finish(w, r, "join", decideJoin(body, s.CA.Fingerprint(), s.Tokens, s.now()))
}

// ServeRenew answers POST /agora/v1/renew.
func (s *Server) ServeRenew(w http.ResponseWriter, r *http.Request) {
	var body RenewRequest
	if !s.decode(w, r, &body) {
		return
	}
	var peer *x509.Certificate
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		peer = r.TLS.PeerCertificates[0]
	}
	s.finish(w, r, "renew", decideRenew(body, peer, s.CA.Pool(), s.now()))
}

func (s *Server) decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		httpapi.Error(w, http.StatusMethodNotAllowed, "Expecting a 'POST' request, received '"+r.Method+"'")
		return false
	}
	data, ok := httpapi.ReadBody(w, r, maxBody)
	if !ok {
		return false
	}
	if err := json.Unmarshal(data, v); err != nil {
		httpapi.Error(w, http.StatusBadRequest, "invalid JSON body: "+err.Error())
		return false
	}
	return true
}

func (s *Server) finish(w http.ResponseWriter, r *http.Request, call string, d decision) {
	log := s.logger().With(zap.String("call", call), zap.String("remote", r.RemoteAddr))
	if d.err != nil {
		log.Warn("certificate refused", zap.Int("status", d.status), zap.Error(d.err))
		httpapi.Error(w, d.status, d.err.Error())
		return
	}
	certPEM, err := s.CA.Issue(d.req, s.now(), s.lifetime(), s.rand())
	if err != nil {
		log.Error("signing failed", zap.Error(err))
		httpapi.Error(w, http.StatusInternalServerError, err.Error())
		return
	}
	log.Info("certificate issued", zap.Stringer("identity", d.req.Identity), zap.Strings("hosts", d.req.Hosts))
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(CertResponse{Certificate: string(certPEM), CA: string(s.CA.CertPEM)})
}

func (s *Server) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

func (s *Server) rand() io.Reader {
	if s.Rand == nil {
		return cryptorand.Reader
	}
	return s.Rand
}

func (s *Server) lifetime() time.Duration {
	if s.Config.CertLifetime == 0 {
		return Defaults().CertLifetime
	}
	return s.Config.CertLifetime
}

func (s *Server) logger() *zap.Logger {
	if s.Logger == nil {
		return zap.NewNop()
	}
	return s.Logger
}
