package pki

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"time"

	"go.uber.org/zap"
)

// RenewAt is when a certificate should be renewed: after two thirds of
// its lifetime, leaving a third for retries while the master is away.
func RenewAt(cert *x509.Certificate) time.Time {
	life := cert.NotAfter.Sub(cert.NotBefore)
	return cert.NotBefore.Add(life * 2 / 3)
}

// Renewer keeps a CertStore's certificate fresh: it asks Sign for a new
// one, with a new key, when RenewAt comes, and puts it in the store so
// the next handshake uses it.
type Renewer struct {
	Store *CertStore
	Sign  SignFunc
	// Hosts are the SANs to ask for; the identity is the current
	// certificate's.
	Hosts []string
	// OnRenew persists the new pair (e.g. SaveKeyPair); optional. The
	// store is updated only if it succeeds, so a restart finds what
	// is in use.
	OnRenew func(certPEM, keyPEM []byte) error
	// Retry is the wait after a failed attempt; default 30s, and never
	// past the certificate's expiry.
	Retry time.Duration
	Now   func() time.Time
	// After is time.After; tests give a fake.
	After  func(time.Duration) <-chan time.Time
	Rand   io.Reader
	Logger *zap.Logger
}

// RenewOnce renews now, whatever the time.
func (r *Renewer) RenewOnce(ctx context.Context) error {
	leaf := r.Store.Leaf()
	if leaf == nil {
		return errors.New("pki: nothing to renew: no certificate")
	}
	id, err := IdentityOf(leaf)
	if err != nil {
		return fmt.Errorf("pki: current certificate: %w", err)
	}
	rnd := r.Rand
	if rnd == nil {
		rnd = rand.Reader
	}
	key, err := GenerateKey(rnd)
	if err != nil {
		return err
	}
	csr, err := NewCSR(id, r.Hosts, key, rnd)
	if err != nil {
		return err
	}
	certPEM, err := r.Sign(ctx, csr)
	if err != nil {
		return err
	}
	keyPEM, err := EncodeKey(key)
	if err != nil {
		return err
	}
	next, err := NewCertStore(certPEM, keyPEM) // checks the pair before anything changes
	if err != nil {
		return err
	}
	if r.OnRenew != nil {
		if err := r.OnRenew(certPEM, keyPEM); err != nil {
			return fmt.Errorf("pki: saving the renewed certificate: %w", err)
		}
	}
	r.Store.cur.Store(next.Certificate())
	r.logger().Info("certificate renewed", zap.Stringer("identity", id),
		zap.Time("not_after", next.Leaf().NotAfter), zap.Time("renew_at", RenewAt(next.Leaf())))
	return nil
}

// Run renews whenever due until ctx ends.
func (r *Renewer) Run(ctx context.Context) error {
	retry := r.Retry
	if retry <= 0 {
		retry = 30 * time.Second
	}
	failed := false
	for {
		leaf := r.Store.Leaf()
		if leaf == nil {
			return errors.New("pki: nothing to renew: no certificate")
		}
		now := r.now()
		wait := max(RenewAt(leaf).Sub(now), 0)
		if failed {
			// Try once more just before expiry if that comes first; after
			// it, keep the pace (the master refuses an expired
			// certificate, and the agent must join again).
			wait = retry
			if rem := leaf.NotAfter.Sub(now); rem > 0 && rem < wait {
				wait = rem
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-r.after(wait):
		}
		if err := r.RenewOnce(ctx); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			failed = true
			r.logger().Warn("certificate renewal failed; will retry", zap.Error(err),
				zap.Duration("retry_in", retry), zap.Time("expires", leaf.NotAfter))
			continue
		}
		failed = false
	}
}

func (r *Renewer) now() time.Time {
	if r.Now == nil {
		return time.Now()
	}
	return r.Now()
}

func (r *Renewer) after(d time.Duration) <-chan time.Time {
	if r.After == nil {
		return time.After(d)
	}
	return r.After(d)
}

func (r *Renewer) logger() *zap.Logger {
	if r.Logger == nil {
		return zap.NewNop()
	}
	return r.Logger
}
