package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"net"
	"net/url"
	"time"
)

// maxHosts bounds the SANs a node may ask for.
const maxHosts = 32

// Request is what a certificate is issued for.
type Request struct {
	Identity Identity
	// Hosts are the DNS names and IP addresses the node is reached by;
	// they become SANs so the certificate also serves HTTPS.
	Hosts []string
	// PublicKey is the node's key; the CA never sees the private half.
	PublicKey crypto.PublicKey
}

// Validate checks the identity, the hosts and the key.
func (r Request) Validate() error {
	if err := r.Identity.Validate(); err != nil {
		return fmt.Errorf("identity: %w", err)
	}
	if len(r.Hosts) > maxHosts {
		return fmt.Errorf("hosts: %d given, at most %d", len(r.Hosts), maxHosts)
	}
	for i, h := range r.Hosts {
		if net.ParseIP(h) == nil {
			if err := validHostname(h); err != nil {
				return fmt.Errorf("hosts[%d]: %w", i, err)
			}
		}
	}
	return checkPublicKey(r.PublicKey)
}

func checkPublicKey(k crypto.PublicKey) error {
	switch k := k.(type) {
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() && k.Curve != elliptic.P384() {
			return fmt.Errorf("key: ECDSA curve %s: want P-256 or P-384", k.Curve.Params().Name)
		}
	case ed25519.PublicKey:
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			return fmt.Errorf("key: RSA %d bits: want at least 2048", k.N.BitLen())
		}
	default:
		return fmt.Errorf("key: unsupported type %T", k)
	}
	return nil
}

// Issue signs a certificate for req, valid from now (less a minute for
// clock skew) for lifetime. Node certificates serve both sides of TLS:
// masters and agents are servers to each other and clients of each other.
func (ca *CA) Issue(req Request, now time.Time, lifetime time.Duration, rand io.Reader) (certPEM []byte, err error) {
	if err := req.Validate(); err != nil {
		return nil, fmt.Errorf("pki: %w", err)
	}
	serial, err := newSerial(rand)
	if err != nil {
		return nil, err
	}
	notAfter := now.Add(lifetime)
	if notAfter.After(ca.Cert.NotAfter) {
		notAfter = ca.Cert.NotAfter // never outlive the issuer
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: req.Identity.String(), Organization: []string{"agora"}},
		NotBefore:    now.Add(-backdate),
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		URIs:         []*url.URL{req.Identity.URI()},
	}
	for _, h := range req.Hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand, tmpl, ca.Cert, req.PublicKey, ca.Key)
	if err != nil {
		return nil, fmt.Errorf("pki: signing %s: %w", req.Identity, err)
	}
	return EncodeCert(der), nil
}

// IssueKeyPair makes a key and a certificate for id: the master's own
// serving certificate when --tls_cert and --tls_key are not given.
func (ca *CA) IssueKeyPair(id Identity, hosts []string, now time.Time, lifetime time.Duration, rand io.Reader) (certPEM, keyPEM []byte, err error) {
	key, err := GenerateKey(rand)
	if err != nil {
		return nil, nil, err
	}
	certPEM, err = ca.Issue(Request{Identity: id, Hosts: hosts, PublicKey: key.Public()}, now, lifetime, rand)
	if err != nil {
		return nil, nil, err
	}
	keyPEM, err = EncodeKey(key)
	return certPEM, keyPEM, err
}

// NewCSR makes a PEM certificate signing request for id and hosts.
func NewCSR(id Identity, hosts []string, key crypto.Signer, rand io.Reader) ([]byte, error) {
	tmpl := &x509.CertificateRequest{
		Subject: pkix.Name{CommonName: id.String()},
		URIs:    []*url.URL{id.URI()},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificateRequest(rand, tmpl, key)
	if err != nil {
		return nil, fmt.Errorf("pki: creating CSR: %w", err)
	}
	return pemEncode("CERTIFICATE REQUEST", der), nil
}

// ParseCSR reads a PEM CSR, checks its signature, and returns what it
// asks for. The identity comes from its Common Name.
func ParseCSR(data []byte) (Request, error) {
	der, err := pemDecode(data, "CERTIFICATE REQUEST")
	if err != nil {
		return Request{}, err
	}
	csr, err := x509.ParseCertificateRequest(der)
	if err != nil {
		return Request{}, err
	}
	if err := csr.CheckSignature(); err != nil {
		return Request{}, fmt.Errorf("signature: %w", err)
	}
	id, err := ParseCommonName(csr.Subject.CommonName)
	if err != nil {
		return Request{}, err
	}
	req := Request{Identity: id, PublicKey: csr.PublicKey, Hosts: append([]string(nil), csr.DNSNames...)}
	for _, ip := range csr.IPAddresses {
		req.Hosts = append(req.Hosts, ip.String())
	}
	if err := req.Validate(); err != nil {
		return Request{}, err
	}
	return req, nil
}
