// Package acl is Agora's local authorizer: Mesos's ACL JSON (the
// `--acls` flag) and its evaluation. For one action the rules are tried in
// the order written; the first rule whose subjects and objects both match
// the request decides, and when none matches the `permissive` field does.
//
// It is a pure library: it decides, the HTTP layer answers 403 with the
// reason. It does not authenticate; the principal comes from package authn.
package acl
