package pki

import (
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"time"
)

// Names of the CA files under the master's work_dir.
const (
	CACertFile = "ca.crt"
	CAKeyFile  = "ca.key"
)

// CA is the cluster certificate authority.
type CA struct {
	Cert    *x509.Certificate
	CertPEM []byte
	Key     crypto.Signer
}

// Fingerprint is the SHA-256 digest of a certificate's DER encoding, in
// lower-case hex: what a join token carries and what
// `openssl x509 -noout -fingerprint -sha256` prints (there with colons).
func Fingerprint(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.Raw)
	return hex.EncodeToString(sum[:])
}

// Fingerprint of the CA certificate.
func (ca *CA) Fingerprint() string { return Fingerprint(ca.Cert) }

// Pool is a pool holding only the CA, for verifying peers.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Cert)
	return p
}

// NewCA creates a self-signed CA with a fresh P-256 key.
func NewCA(cfg Config, now time.Time, rand io.Reader) (*CA, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	key, err := GenerateKey(rand)
	if err != nil {
		return nil, err
	}
	serial, err := newSerial(rand)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "agora cluster CA", Organization: []string{"agora"}},
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.Add(cfg.CALifetime),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("pki: creating CA: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &CA{Cert: cert, CertPEM: EncodeCert(der), Key: key}, nil
}

// Save writes ca.crt (0644) and ca.key (0600) into dir.
func (ca *CA) Save(dir string) error {
	keyPEM, err := EncodeKey(ca.Key)
	if err != nil {
		return err
	}
	return SaveKeyPair(dir, "ca", ca.CertPEM, keyPEM)
}

// LoadCA reads a CA from a certificate and key file, such as one an
// operator supplies. It refuses a key others can read, a certificate that
// is not a CA, a key that does not match, and a CA expired at now.
func LoadCA(certPath, keyPath string, now time.Time) (*CA, error) {
	certPEM, err := os.ReadFile(certPath)
	if err != nil {
		return nil, fmt.Errorf("pki: CA certificate: %w", err)
	}
	fi, err := os.Stat(keyPath)
	if err != nil {
		return nil, fmt.Errorf("pki: CA key: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("pki: CA key %s has mode %04o: others can read it; chmod 600 it", keyPath, fi.Mode().Perm())
	}
	keyPEM, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, fmt.Errorf("pki: CA key: %w", err)
	}
	cert, err := ParseCert(certPEM)
	if err != nil {
		return nil, fmt.Errorf("pki: %s: %w", certPath, err)
	}
	key, err := ParseKey(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("pki: %s: %w", keyPath, err)
	}
	switch {
	case !cert.IsCA || cert.KeyUsage&x509.KeyUsageCertSign == 0:
		return nil, fmt.Errorf("pki: %s is not a CA certificate (needs CA:TRUE and keyCertSign)", certPath)
	case !publicKeysEqual(cert.PublicKey, key.Public()):
		return nil, fmt.Errorf("pki: %s does not match the certificate %s", keyPath, certPath)
	case now.After(cert.NotAfter):
		return nil, fmt.Errorf("pki: CA %s expired at %s", certPath, cert.NotAfter.UTC().Format(time.RFC3339))
	}
	return &CA{Cert: cert, CertPEM: certPEM, Key: key}, nil
}

// LoadOrCreateCA loads the CA in dir, or creates and saves one when
// neither file exists. created tells the caller to announce the new
// fingerprint. Half a CA (one file without the other) is an error rather
// than silently replaced: every node's trust depends on it.
func LoadOrCreateCA(dir string, cfg Config, now time.Time, rand io.Reader) (ca *CA, created bool, err error) {
	certPath, keyPath := filepath.Join(dir, CACertFile), filepath.Join(dir, CAKeyFile)
	_, certErr := os.Stat(certPath)
	_, keyErr := os.Stat(keyPath)
	switch {
	case certErr == nil && keyErr == nil:
		ca, err := LoadCA(certPath, keyPath, now)
		return ca, false, err
	case errors.Is(certErr, os.ErrNotExist) && errors.Is(keyErr, os.ErrNotExist):
	case certErr == nil || keyErr == nil:
		return nil, false, fmt.Errorf("pki: found only one of %s and %s in %s; restore the other or remove both to create a new CA", CACertFile, CAKeyFile, dir)
	default:
		return nil, false, fmt.Errorf("pki: %w", errors.Join(certErr, keyErr))
	}
	ca, err = NewCA(cfg, now, rand)
	if err != nil {
		return nil, false, err
	}
	if err := ca.Save(dir); err != nil {
		return nil, false, err
	}
	return ca, true, nil
}

func newSerial(rand io.Reader) (*big.Int, error) {
	return randInt(rand, 128)
}

func randInt(rand io.Reader, bits uint) (*big.Int, error) {
	b := make([]byte, bits/8)
	if _, err := io.ReadFull(rand, b); err != nil {
		return nil, fmt.Errorf("pki: reading randomness: %w", err)
	}
	b[0] &= 0x7f // positive, as RFC 5280 wants
	return new(big.Int).SetBytes(b), nil
}

func publicKeysEqual(a, b crypto.PublicKey) bool {
	ak, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && ak.Equal(b)
}
