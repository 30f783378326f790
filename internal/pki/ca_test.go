package pki

import (
	"crypto/rand"
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func TestLoadOrCreateCARoundTrip(t *testing.T) {
	dir := t.TempDir()
	ca, created, err := LoadOrCreateCA(dir, Defaults(), t0, rand.Reader)
	if err != nil || !created {
		t.Fatalf("create: created=%v err=%v", created, err)
	}
	fi, err := os.Stat(filepath.Join(dir, CAKeyFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("ca.key mode: %v %v", fi.Mode(), err)
	}
	again, created, err := LoadOrCreateCA(dir, Defaults(), t0.Add(time.Hour), rand.Reader)
	if err != nil || created {
		t.Fatalf("load: created=%v err=%v", created, err)
	}
	if again.Fingerprint() != ca.Fingerprint() || len(ca.Fingerprint()) != 64 {
		t.Errorf("fingerprint %s after reload, want %s", again.Fingerprint(), ca.Fingerprint())
	}
	// The loaded CA signs certificates the original verifies.
	certPEM, _, err := again.IssueKeyPair(Identity{RoleMaster, "m1"}, []string{"m1.example", "10.0.0.1"}, t0, time.Hour, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := ParseCert(certPEM)
	if _, err := cert.Verify(x509.VerifyOptions{Roots: ca.Pool(), CurrentTime: t0, DNSName: "m1.example",
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
		t.Errorf("verify: %v", err)
	}
	if id, err := IdentityOf(cert); err != nil || id != (Identity{RoleMaster, "m1"}) {
		t.Errorf("identity %v, %v", id, err)
	}
	if len(cert.IPAddresses) != 1 || cert.IPAddresses[0].String() != "10.0.0.1" {
		t.Errorf("IP SANs %v", cert.IPAddresses)
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: ca.Pool(), CurrentTime: t0.Add(2 * time.Hour)}); err == nil {
		t.Error("certificate valid after its lifetime")
	}
}

func TestLoadCARefusals(t *testing.T) {
	ca, err := NewCA(Defaults(), t0, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := NewCA(Defaults(), t0, rand.Reader)
	otherKey, _ := EncodeKey(other.Key)
	leafPEM, leafKey, _ := ca.IssueKeyPair(Identity{RoleAgent, "a"}, nil, t0, time.Hour, rand.Reader)
	keyPEM, _ := EncodeKey(ca.Key)

	write := func(t *testing.T, cert, key []byte, mode os.FileMode) (string, string) {
		dir := t.TempDir()
		c, k := filepath.Join(dir, "c.crt"), filepath.Join(dir, "c.key")
		_ = os.WriteFile(c, cert, 0o644)
		_ = os.WriteFile(k, key, mode)
		_ = os.Chmod(k, mode)
		return c, k
	}
	for _, tt := range []struct {
		name      string
		cert, key []byte
		mode      os.FileMode
		now       time.Time
		want      string
	}{
		{"readable key", ca.CertPEM, keyPEM, 0o644, t0, "others can read it"},
		{"not a CA", leafPEM, leafKey, 0o600, t0, "not a CA certificate"},
		{"wrong key", ca.CertPEM, otherKey, 0o600, t0, "does not match"},
		{"expired", ca.CertPEM, keyPEM, 0o600, t0.Add(21 * 365 * 24 * time.Hour), "expired"},
		{"garbage", []byte("nope"), keyPEM, 0o600, t0, "no PEM CERTIFICATE"},
	} {
		c, k := write(t, tt.cert, tt.key, tt.mode)
		if _, err := LoadCA(c, k, tt.now); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
	}
	c, k := write(t, ca.CertPEM, keyPEM, 0o600)
	if got, err := LoadCA(c, k, t0); err != nil || got.Fingerprint() != ca.Fingerprint() {
		t.Errorf("LoadCA: %v", err)
	}
}

func TestHalfACAIsAnError(t *testing.T) {
	dir := t.TempDir()
	ca, _, err := LoadOrCreateCA(dir, Defaults(), t0, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_ = ca
	if err := os.Remove(filepath.Join(dir, CAKeyFile)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadOrCreateCA(dir, Defaults(), t0, rand.Reader); err == nil || !strings.Contains(err.Error(), "only one of") {
		t.Errorf("got %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	if err := Defaults().Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		cfg  Config
		want string
	}{
		{Config{CALifetime: time.Hour, CertLifetime: time.Minute}, "CALifetime"},
		{Config{CALifetime: 48 * time.Hour, CertLifetime: time.Minute}, "CertLifetime 1m0s: want at least 3m"},
		{Config{CALifetime: 48 * time.Hour, CertLifetime: 48 * time.Hour}, "want less than CALifetime"},
	} {
		if err := tt.cfg.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: %v, want %q", tt.cfg, err, tt.want)
		}
	}
}

func TestIssueRefusesBadRequests(t *testing.T) {
	ca, _ := NewCA(Defaults(), t0, rand.Reader)
	key, _ := GenerateKey(rand.Reader)
	for _, tt := range []struct {
		req  Request
		want string
	}{
		{Request{Identity: Identity{"scheduler", "a"}, PublicKey: key.Public()}, `role "scheduler"`},
		{Request{Identity: Identity{RoleAgent, "a b"}, PublicKey: key.Public()}, `' ' is not allowed`},
		{Request{Identity: Identity{RoleAgent, ""}, PublicKey: key.Public()}, "want a hostname"},
		{Request{Identity: Identity{RoleAgent, "a"}, Hosts: []string{"x/y"}, PublicKey: key.Public()}, "hosts[0]"},
		{Request{Identity: Identity{RoleAgent, "a"}, PublicKey: "not a key"}, "unsupported type"},
	} {
		if _, err := ca.Issue(tt.req, t0, time.Hour, rand.Reader); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: %v, want %q", tt.req.Identity, err, tt.want)
		}
	}
	// A certificate never outlives its CA.
	certPEM, err := ca.Issue(Request{Identity: Identity{RoleAgent, "a"}, PublicKey: key.Public()}, t0, 30*365*24*time.Hour, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := ParseCert(certPEM); c.NotAfter.After(ca.Cert.NotAfter) {
		t.Errorf("NotAfter %v beyond the CA's %v", c.NotAfter, ca.Cert.NotAfter)
	}
}
