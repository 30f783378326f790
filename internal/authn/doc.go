// Package authn authenticates HTTP callers against a Mesos credentials
// file: HTTP Basic (principal and secret) and bearer tokens (an opaque
// token mapped to a principal, an Agora extension of the same file). Its
// middleware puts the principal in the request context for the
// authorizer (package acl) and answers 401 when a caller that must
// authenticate does not.
//
// Which requests must authenticate is the caller's decision; Flags maps
// Mesos's --authenticate_* flags onto classes of endpoints. Secrets are
// compared in constant time and never printed.
package authn
