package pki

import (
	"fmt"
	"time"
)

// Config holds certificate lifetimes.
type Config struct {
	// CALifetime is how long a newly created cluster CA is valid.
	CALifetime time.Duration
	// CertLifetime is how long node certificates are valid. They are
	// renewed after two thirds of it (60 days of the default 90, as
	// Docker Swarm does).
	CertLifetime time.Duration
}

// Defaults returns a CA valid for 20 years and node certificates valid
// for 90 days.
func Defaults() Config {
	return Config{CALifetime: 20 * 365 * 24 * time.Hour, CertLifetime: 90 * 24 * time.Hour}
}

// Validate checks the lifetimes.
func (c Config) Validate() error {
	switch {
	case c.CALifetime < 24*time.Hour:
		return fmt.Errorf("pki: CALifetime %v: want at least 24h", c.CALifetime)
	case c.CertLifetime < 3*time.Minute:
		// Shorter lifetimes leave no room for renewal and clock skew.
		return fmt.Errorf("pki: CertLifetime %v: want at least 3m", c.CertLifetime)
	case c.CertLifetime >= c.CALifetime:
		return fmt.Errorf("pki: CertLifetime %v: want less than CALifetime %v", c.CertLifetime, c.CALifetime)
	}
	return nil
}

// backdate is subtracted from NotBefore so that a node whose clock is a
// little behind the master's accepts a certificate issued a moment ago.
const backdate = time.Minute
