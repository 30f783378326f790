package pki

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// TokensFile is the name of the token digests under the master's work_dir.
const TokensFile = "join_tokens.json"

// TokenStore is a TokenSet shared by HTTP handlers and saved to a file
// (0600) after every change.
type TokenStore struct {
	path string
	fp   string // the CA fingerprint new tokens carry

	mu  sync.Mutex
	set TokenSet
}

// OpenTokenStore loads path, or starts empty if it does not exist.
func OpenTokenStore(path, caFingerprint string) (*TokenStore, error) {
	s := &TokenStore{path: path, fp: caFingerprint}
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return s, nil
	case err != nil:
		return nil, fmt.Errorf("pki: join tokens: %w", err)
	}
	if s.set, err = ParseTokenSet(data); err != nil {
		return nil, fmt.Errorf("pki: %s: %w", path, err)
	}
	return s, nil
}

// Create makes, records and saves a new agent token; the caller shows
// the encoded token to the operator once, since only its digest is kept.
func (s *TokenStore) Create(now time.Time, ttl time.Duration, rand io.Reader) (Token, error) {
	return s.CreateFor(RoleAgent, now, ttl, rand)
}

// CreateFor is Create for a token issuing role's certificates (one of
// JoinRoles).
func (s *TokenStore) CreateFor(role string, now time.Time, ttl time.Duration, rand io.Reader) (Token, error) {
	if err := ValidJoinRole(role); err != nil {
		return Token{}, fmt.Errorf("pki: %w", err)
	}
	return s.change(func(set *TokenSet) (Token, error) {
		t, err := NewToken(s.fp, rand)
		if err == nil {
			set.Add(t, role, now, ttl)
		}
		return t, err
	})
}

// Rotate revokes every token and creates a new agent token.
func (s *TokenStore) Rotate(now time.Time, ttl time.Duration, rand io.Reader) (Token, error) {
	return s.change(func(set *TokenSet) (Token, error) {
		t, err := NewToken(s.fp, rand)
		if err == nil {
			set.RevokeAll()
			set.Add(t, RoleAgent, now, ttl)
		}
		return t, err
	})
}

// Revoke revokes the token with id.
func (s *TokenStore) Revoke(id string) error {
	_, err := s.change(func(set *TokenSet) (Token, error) { return Token{}, set.Revoke(id) })
	return err
}

// List returns a copy of the records.
func (s *TokenStore) List() []TokenRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]TokenRecord(nil), s.set.Tokens...)
}

// Verify implements TokenVerifier.
func (s *TokenStore) Verify(t Token, now time.Time) (TokenRecord, error) {
	if t.Fingerprint != s.fp {
		return TokenRecord{}, errWrongCluster
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.set.Verify(t.Secret, now)
}

var errWrongCluster = errors.New("join token names another cluster CA (fingerprint mismatch)")

// change applies f to a copy and saves it; the set in memory changes
// only if the file was written, so memory and disk agree.
func (s *TokenStore) change(f func(*TokenSet) (Token, error)) (Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	next := TokenSet{Tokens: append([]TokenRecord(nil), s.set.Tokens...)}
	t, err := f(&next)
	if err != nil {
		return Token{}, err
	}
	data, err := json.MarshalIndent(next, "", "  ")
	if err != nil {
		return Token{}, err
	}
	if err := writeFile(s.path, append(data, '\n'), 0o600); err != nil {
		return Token{}, fmt.Errorf("pki: saving join tokens: %w", err)
	}
	s.set = next
	return t, nil
}
