package authn

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"
)

// Errors of Authenticate. ErrNoCredentials lets optional authentication
// go on anonymously; ErrInvalid never does.
var (
	ErrNoCredentials = errors.New("no credentials")
	ErrInvalid       = errors.New("invalid credentials")
)

// Authenticator finds who sent a request.
type Authenticator interface {
	// Authenticate returns the principal, ErrNoCredentials when the
	// request carries none, or an error wrapping ErrInvalid.
	Authenticate(r *http.Request) (principal string, err error)
}

// Static authenticates against a credentials file held in memory. It
// keeps only SHA-256 digests of secrets and tokens, so comparisons take
// the same time whatever the lengths, and a memory dump does not show
// them.
type Static struct {
	secrets map[string][32]byte // principal → digest of its secret
	tokens  []tokenEntry
}

type tokenEntry struct {
	digest    [32]byte
	principal string
}

// NewStatic builds an authenticator from validated credentials.
func NewStatic(c *Credentials) *Static {
	s := &Static{secrets: map[string][32]byte{}}
	for _, e := range c.List {
		if e.Secret != "" {
			s.secrets[e.Principal] = sha256.Sum256([]byte(e.Secret))
		}
		if e.Token != "" {
			s.tokens = append(s.tokens, tokenEntry{sha256.Sum256([]byte(e.Token)), e.Principal})
		}
	}
	return s
}

// unknownPrincipal is compared against when the principal is unknown, so
// a wrong name costs as long as a wrong secret.
var unknownPrincipal = sha256.Sum256([]byte("agora: no such principal"))

// Authenticate implements Authenticator for "Basic" and "Bearer".
func (s *Static) Authenticate(r *http.Request) (string, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", ErrNoCredentials
	}
	scheme, rest, _ := strings.Cut(h, " ")
	switch {
	case strings.EqualFold(scheme, "Basic"):
		user, pass, ok := r.BasicAuth()
		if !ok {
			return "", invalid("malformed Basic credentials")
		}
		want, known := s.secrets[user]
		if !known {
			want = unknownPrincipal
		}
		got := sha256.Sum256([]byte(pass))
		if subtle.ConstantTimeCompare(got[:], want[:]) != 1 || !known {
			return "", invalid("wrong principal or secret")
		}
		return user, nil
	case strings.EqualFold(scheme, "Bearer"):
		got := sha256.Sum256([]byte(strings.TrimSpace(rest)))
		// Compare with every token, without stopping early, so the time
		// taken says nothing about which token came close.
		found := -1
		for i := range s.tokens {
			if subtle.ConstantTimeCompare(got[:], s.tokens[i].digest[:]) == 1 {
				found = i
			}
		}
		if found < 0 {
			return "", invalid("unknown bearer token")
		}
		return s.tokens[found].principal, nil
	}
	return "", invalid("unsupported authorization scheme (want Basic or Bearer)")
}

type invalidError string

func (e invalidError) Error() string { return "invalid credentials: " + string(e) }
func (e invalidError) Unwrap() error { return ErrInvalid }

func invalid(why string) error { return invalidError(why) }

// First tries authenticators in order and returns the first principal
// found. A request with invalid credentials for any of them fails, so a
// wrong password is never downgraded to an anonymous request.
func First(as ...Authenticator) Authenticator { return first(as) }

type first []Authenticator

func (f first) Authenticate(r *http.Request) (string, error) {
	for _, a := range f {
		p, err := a.Authenticate(r)
		if errors.Is(err, ErrNoCredentials) {
			continue
		}
		return p, err
	}
	return "", ErrNoCredentials
}
