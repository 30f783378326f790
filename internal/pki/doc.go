// Package pki is Agora's cluster public-key infrastructure: a cluster CA
// kept in the master's work_dir, certificates for masters, agents and
// frameworks that carry the holder's identity and role, join tokens with
// which an agent or a framework obtains its first certificate without
// trusting the network (each token issues one role only), renewal before
// expiry, and the tls.Config builders that use them.
//
// The trust model follows Docker Swarm's: a join token names the CA by the
// SHA-256 fingerprint of its certificate, so an agent verifies the CA it
// downloads instead of trusting it on first use, and proves the token's
// secret, of which the master keeps only a digest. After joining, an agent
// authenticates with its client certificate and renews it with that same
// certificate when two thirds of its lifetime have passed.
//
// Decisions (what to issue, whether a token is valid, when to renew) are
// functions of their inputs and the time given; the HTTP handler, the
// join client and the Renewer are the shell around them. This package
// does not decide which endpoints require which identity beyond offering
// RequireRole; the composition roots in cmd/ and master/ do.
package pki
