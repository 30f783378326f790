package pki

import (
	"crypto/x509"
	"fmt"
	"net/url"
	"strings"
)

// Roles a certificate can carry. Frameworks (Marathon, Chronos) hold a
// certificate of their own role for their REST APIs: signed by the same
// CA, it never passes where a master or an agent is required.
const (
	RoleMaster    = "master"
	RoleAgent     = "agent"
	RoleFramework = "framework"
)

// Identity is who a node certificate speaks for. It is written twice
// into the certificate: the Common Name "<role>:<name>" for humans and
// logs, and the URI SAN "agora://<role>/<name>" for verification.
type Identity struct {
	Role string
	// Name is the node's hostname, or a framework's name ("marathon").
	Name string
}

func (id Identity) String() string { return id.Role + ":" + id.Name }

// URI is the identity's URI SAN.
func (id Identity) URI() *url.URL {
	return &url.URL{Scheme: "agora", Host: id.Role, Path: "/" + id.Name}
}

// Validate checks the role is known and the name is a hostname.
func (id Identity) Validate() error {
	switch id.Role {
	case RoleMaster, RoleAgent, RoleFramework:
	default:
		return fmt.Errorf("role %q is not %q, %q or %q", id.Role, RoleMaster, RoleAgent, RoleFramework)
	}
	return validHostname(id.Name)
}

func validHostname(s string) error {
	if s == "" || len(s) > 253 {
		return fmt.Errorf("name %q: want a hostname of 1 to 253 characters", s)
	}
	for _, c := range s {
		ok := c == '-' || c == '.' || c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		if !ok {
			return fmt.Errorf("name %q: %q is not allowed in a hostname", s, c)
		}
	}
	return nil
}

// ParseCommonName reads "<role>:<name>".
func ParseCommonName(cn string) (Identity, error) {
	role, name, ok := strings.Cut(cn, ":")
	if !ok {
		return Identity{}, fmt.Errorf("common name %q: want \"<role>:<hostname>\"", cn)
	}
	id := Identity{Role: role, Name: name}
	if err := id.Validate(); err != nil {
		return Identity{}, fmt.Errorf("common name %q: %w", cn, err)
	}
	return id, nil
}

// IdentityOf reads the identity of a certificate issued by this package;
// the Common Name and the URI SAN must agree. It does not verify the
// certificate: call it on a verified chain's leaf.
func IdentityOf(cert *x509.Certificate) (Identity, error) {
	id, err := ParseCommonName(cert.Subject.CommonName)
	if err != nil {
		return Identity{}, err
	}
	want := id.URI().String()
	for _, u := range cert.URIs {
		if u.String() == want {
			return id, nil
		}
	}
	return Identity{}, fmt.Errorf("certificate %q has no URI SAN %s", cert.Subject.CommonName, want)
}
