package pki

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"sync/atomic"
)

// CertStore holds a node's current certificate for tls.Config callbacks,
// so a renewed certificate is used by the next handshake without a
// restart. Connections already open keep the certificate they began with.
type CertStore struct {
	cur atomic.Pointer[tls.Certificate]
}

// NewCertStore returns a store holding the given pair.
func NewCertStore(certPEM, keyPEM []byte) (*CertStore, error) {
	s := &CertStore{}
	if err := s.Set(certPEM, keyPEM); err != nil {
		return nil, err
	}
	return s, nil
}

// Set replaces the certificate with a PEM pair, which must match.
func (s *CertStore) Set(certPEM, keyPEM []byte) error {
	c, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return fmt.Errorf("pki: %w", err)
	}
	if c.Leaf == nil {
		if c.Leaf, err = x509.ParseCertificate(c.Certificate[0]); err != nil {
			return fmt.Errorf("pki: %w", err)
		}
	}
	s.cur.Store(&c)
	return nil
}

// Leaf is the current certificate, or nil when the store is empty.
func (s *CertStore) Leaf() *x509.Certificate {
	if c := s.cur.Load(); c != nil {
		return c.Leaf
	}
	return nil
}

// Certificate is the current pair, or nil.
func (s *CertStore) Certificate() *tls.Certificate { return s.cur.Load() }

// GetCertificate is a tls.Config.GetCertificate for servers.
func (s *CertStore) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	if c := s.cur.Load(); c != nil {
		return c, nil
	}
	return nil, errors.New("pki: no server certificate yet")
}

// GetClientCertificate is a tls.Config.GetClientCertificate for clients;
// an empty store sends no certificate, which the server may refuse.
func (s *CertStore) GetClientCertificate(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
	if c := s.cur.Load(); c != nil {
		return c, nil
	}
	return &tls.Certificate{}, nil
}
