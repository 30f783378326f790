package pki

import (
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const fp = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestTokenRoundTrip(t *testing.T) {
	tok, err := NewToken(fp, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s := tok.Encode()
	if !strings.HasPrefix(s, "AGORA-1-"+fp+"-") || len(s) != len("AGORA-1-")+64+1+52 {
		t.Errorf("token %q", s)
	}
	got, err := ParseToken(" " + s + "\n")
	if err != nil || got != tok {
		t.Errorf("ParseToken = %+v, %v", got, err)
	}
	if strings.Contains(tok.String(), tok.Secret) {
		t.Errorf("String() shows the secret: %s", tok)
	}
}

func TestParseTokenErrors(t *testing.T) {
	secret := strings.Repeat("a", 52)
	for _, tt := range []struct{ in, want string }{
		{"", "starting with AGORA-1-"},
		{"SWMTKN-1-" + fp + "-" + secret, "starting with AGORA-1-"},
		{"AGORA-1-" + fp, "want AGORA-1-<fingerprint>-<secret>"},
		{"AGORA-1-abc-" + secret, "fingerprint has 3 characters"},
		{"AGORA-1-" + strings.ToUpper(fp) + "-" + secret, "not lower-case hex"},
		{"AGORA-1-" + strings.Repeat("g", 64) + "-" + secret, "not lower-case hex"},
		{"AGORA-1-" + fp + "-" + secret[:40], "secret is not 32 bytes"},
		{"AGORA-1-" + fp + "-" + strings.Repeat("1", 52), "secret is not 32 bytes"},
		{"AGORA-1-" + fp + "-" + secret + "-x", "secret is not 32 bytes"},
	} {
		_, err := ParseToken(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseToken(%q) = %v, want %q", tt.in, err, tt.want)
		}
	}
}

func TestTokenSetVerify(t *testing.T) {
	var set TokenSet
	a, _ := NewToken(fp, rand.Reader)
	b, _ := NewToken(fp, rand.Reader)
	c, _ := NewToken(fp, rand.Reader)
	set.Add(a, RoleAgent, t0, 0)
	set.Add(b, RoleAgent, t0, time.Hour)
	if r, err := set.Verify(a.Secret, t0.Add(1000*time.Hour)); err != nil || r.ID != a.ID() {
		t.Errorf("a: %+v %v", r, err)
	}
	if _, err := set.Verify(b.Secret, t0.Add(59*time.Minute)); err != nil {
		t.Errorf("b before expiry: %v", err)
	}
	if _, err := set.Verify(b.Secret, t0.Add(time.Hour)); !errors.Is(err, ErrTokenRefused) {
		t.Errorf("b at expiry: %v", err)
	}
	if _, err := set.Verify(c.Secret, t0); !errors.Is(err, ErrTokenRefused) {
		t.Errorf("unknown: %v", err)
	}
	if err := set.Revoke(a.ID()); err != nil {
		t.Fatal(err)
	}
	if _, err := set.Verify(a.Secret, t0); !errors.Is(err, ErrTokenRefused) {
		t.Errorf("revoked: %v", err)
	}
	if err := set.Revoke("nope"); err == nil {
		t.Error("revoking an unknown id succeeded")
	}
}

func TestTokenStorePersistsDigestsOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), TokensFile)
	s, err := OpenTokenStore(path, fp)
	if err != nil {
		t.Fatal(err)
	}
	first, err := s.Create(t0, 0, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	second, err := s.Rotate(t0, 0, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	if strings.Contains(string(data), first.Secret) || strings.Contains(string(data), second.Secret) {
		t.Errorf("%s holds a secret:\n%s", TokensFile, data)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode())
	}
	reopened, err := OpenTokenStore(path, fp)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reopened.Verify(first, t0); !errors.Is(err, ErrTokenRefused) {
		t.Errorf("rotated-out token: %v", err)
	}
	if _, err := reopened.Verify(second, t0); err != nil {
		t.Errorf("current token: %v", err)
	}
	other := second
	other.Fingerprint = strings.Repeat("f", 64)
	if _, err := reopened.Verify(other, t0); err == nil || !strings.Contains(err.Error(), "another cluster") {
		t.Errorf("token for another CA: %v", err)
	}
	if err := reopened.Revoke(second.ID()); err != nil {
		t.Fatal(err)
	}
	if len(reopened.List()) != 2 {
		t.Errorf("List = %+v", reopened.List())
	}
	again, _ := OpenTokenStore(path, fp)
	if _, err := again.Verify(second, t0); !errors.Is(err, ErrTokenRefused) {
		t.Errorf("revocation not saved: %v", err)
	}
	if err := os.WriteFile(path, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenTokenStore(path, fp); err == nil || !strings.Contains(err.Error(), TokensFile) {
		t.Errorf("corrupt file: %v", err)
	}
}

func FuzzParseToken(f *testing.F) {
	f.Add("AGORA-1-" + fp + "-" + strings.Repeat("a", 52))
	f.Add("AGORA-1-" + fp + "-")
	f.Add("AGORA-1--")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := ParseToken(s)
		if err != nil {
			if strings.Contains(err.Error(), s) && len(s) > 8 {
				t.Fatalf("error %q repeats the input", err)
			}
			return
		}
		again, err := ParseToken(tok.Encode())
		if err != nil || again != tok {
			t.Fatalf("round trip of %q: %+v, %v", s, again, err)
		}
	})
}
