package pki

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// A join token reads AGORA-1-<CA fingerprint, 64 hex digits>-<secret, 52
// base32 characters>. The fingerprint lets the joining agent verify the
// CA it downloads; the secret proves to the master that the agent was
// invited.
const (
	tokenPrefix    = "AGORA-1-"
	secretBytes    = 32
	fingerprintLen = 64
)

var secretEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// Token is a parsed join token.
type Token struct {
	Fingerprint string // of the CA certificate, lower-case hex
	Secret      string
}

// NewToken makes a token for the CA with fingerprint fp.
func NewToken(fp string, rand io.Reader) (Token, error) {
	b := make([]byte, secretBytes)
	if _, err := io.ReadFull(rand, b); err != nil {
		return Token{}, fmt.Errorf("pki: reading randomness: %w", err)
	}
	return Token{Fingerprint: fp, Secret: secretEncoding.EncodeToString(b)}, nil
}

// Encode returns the token as the operator passes it to --join_token.
func (t Token) Encode() string { return tokenPrefix + t.Fingerprint + "-" + t.Secret }

// String hides the secret, so a token can be logged.
func (t Token) String() string { return tokenPrefix + t.Fingerprint + "-(redacted)" }

// ID names the token without revealing it: the first 12 hex digits of
// the secret's digest. Operators revoke tokens by ID.
func (t Token) ID() string { return secretID(t.digest()) }

func (t Token) digest() [32]byte { return sha256.Sum256([]byte(t.Secret)) }

func secretID(d [32]byte) string { return hex.EncodeToString(d[:6]) }

// ParseToken reads a join token, saying which part is wrong without
// repeating the secret.
func ParseToken(s string) (Token, error) {
	s = strings.TrimSpace(s)
	rest, ok := strings.CutPrefix(s, tokenPrefix)
	if !ok {
		return Token{}, errors.New("join token: want a token starting with " + tokenPrefix)
	}
	fp, secret, ok := strings.Cut(rest, "-")
	if !ok {
		return Token{}, errors.New("join token: want AGORA-1-<fingerprint>-<secret>")
	}
	if len(fp) != fingerprintLen {
		return Token{}, fmt.Errorf("join token: CA fingerprint has %d characters, want %d", len(fp), fingerprintLen)
	}
	if _, err := hex.DecodeString(fp); err != nil || strings.ToLower(fp) != fp {
		return Token{}, errors.New("join token: CA fingerprint is not lower-case hex")
	}
	if b, err := secretEncoding.DecodeString(secret); err != nil || len(b) != secretBytes {
		return Token{}, fmt.Errorf("join token: secret is not %d bytes of lower-case base32", secretBytes)
	}
	return Token{Fingerprint: fp, Secret: secret}, nil
}

// TokenRecord is what the master keeps of a token: its digest, never the
// secret.
type TokenRecord struct {
	ID      string    `json:"id"`
	Digest  string    `json:"sha256"`
	Created time.Time `json:"created"`
	// Expires is the zero time for a token that does not expire.
	Expires time.Time `json:"expires,omitzero"`
	Revoked bool      `json:"revoked,omitempty"`
	// Role is the only role of the certificates the token issues (see
	// JoinRoles). Empty means RoleAgent: files written before tokens had
	// roles hold agent tokens.
	Role string `json:"role,omitempty"`
}

// Issues is the role of the certificates the token may issue.
func (r TokenRecord) Issues() string {
	if r.Role == "" {
		return RoleAgent
	}
	return r.Role
}

// JoinRoles are the roles a join token can be made for. A master's
// certificate never comes from a token: masters hold the CA itself.
var JoinRoles = []string{RoleAgent, RoleFramework}

// ValidJoinRole checks role is one of JoinRoles.
func ValidJoinRole(role string) error {
	for _, r := range JoinRoles {
		if role == r {
			return nil
		}
	}
	return fmt.Errorf("role %q: a join token issues %q or %q certificates", role, RoleAgent, RoleFramework)
}

// TokenSet is the master's join tokens. It is plain data with pure
// methods; TokenStore adds locking and persistence.
type TokenSet struct {
	Tokens []TokenRecord `json:"tokens"`
}

// Add records t, issuing certificates of role (one of JoinRoles),
// created at now and valid for ttl (0: until revoked).
func (s *TokenSet) Add(t Token, role string, now time.Time, ttl time.Duration) TokenRecord {
	d := t.digest()
	r := TokenRecord{ID: secretID(d), Digest: hex.EncodeToString(d[:]), Created: now, Role: role}
	if ttl > 0 {
		r.Expires = now.Add(ttl)
	}
	s.Tokens = append(s.Tokens, r)
	return r
}

// Revoke marks the token with id revoked.
func (s *TokenSet) Revoke(id string) error {
	for i := range s.Tokens {
		if s.Tokens[i].ID == id {
			s.Tokens[i].Revoked = true
			return nil
		}
	}
	return fmt.Errorf("no join token with id %q", id)
}

// RevokeAll revokes every token: rotation, which adds a new one after.
func (s *TokenSet) RevokeAll() {
	for i := range s.Tokens {
		s.Tokens[i].Revoked = true
	}
}

// ErrTokenRefused is returned for a token that is unknown, revoked or
// expired. The caller is not told which, so probing learns nothing.
var ErrTokenRefused = errors.New("join token is unknown, revoked or expired")

// Verify checks secret against every live token in constant time and
// returns the matching record, whose Issues says what it may sign.
func (s *TokenSet) Verify(secret string, now time.Time) (TokenRecord, error) {
	got := sha256.Sum256([]byte(secret))
	found := -1
	for i, r := range s.Tokens {
		want, err := hex.DecodeString(r.Digest)
		if err != nil {
			continue
		}
		if subtle.ConstantTimeCompare(got[:], want) == 1 {
			found = i
		}
	}
	if found < 0 {
		return TokenRecord{}, ErrTokenRefused
	}
	r := s.Tokens[found]
	if r.Revoked || (!r.Expires.IsZero() && !now.Before(r.Expires)) {
		return r, ErrTokenRefused
	}
	return r, nil
}

// ParseTokenSet reads a join_tokens.json, checking each record's role so
// that a hand-edited file cannot make a token issue master certificates.
func ParseTokenSet(data []byte) (TokenSet, error) {
	var set TokenSet
	if err := json.Unmarshal(data, &set); err != nil {
		return TokenSet{}, err
	}
	for i, r := range set.Tokens {
		if r.Role == "" {
			continue
		}
		if err := ValidJoinRole(r.Role); err != nil {
			return TokenSet{}, fmt.Errorf("tokens[%d].role: %w", i, err)
		}
	}
	return set, nil
}
