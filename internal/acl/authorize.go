package acl

import "fmt"

// Authorizer decides whether principal may perform action on object.
// principal "" is an unauthenticated caller and object "" an unspecified
// object; Mesos treats both as ANY, which only ANY rules grant. The reason
// is meant for the 403 body and the log.
type Authorizer interface {
	Allowed(action Action, principal, object string) (ok bool, reason string)
}

// AllowAll is the authorizer without --acls: everything is allowed.
type AllowAll struct{}

// Allowed implements Authorizer.
func (AllowAll) Allowed(Action, string, string) (bool, string) { return true, "no ACLs configured" }

// Allowed implements Authorizer: the first rule of the action whose
// subjects and objects both match decides; without one, Permissive does.
func (a *ACLs) Allowed(action Action, principal, object string) (bool, string) {
	if _, ok := objectKeys[action]; !ok {
		return false, fmt.Sprintf("unknown action %q", action)
	}
	subj, obj := request(principal), request(object)
	for i, r := range a.Rules[action] {
		if !r.Principals.matches(subj) || !r.Objects.matches(obj) {
			continue
		}
		if r.Principals.allows(subj) && r.Objects.allows(obj) {
			return true, fmt.Sprintf("allowed by %s[%d]", action, i)
		}
		return false, fmt.Sprintf("%s denied by %s[%d] for principal %s on %s %s",
			action, action, i, describe(principal), action.ObjectKey(), describe(object))
	}
	if a.Permissive {
		return true, fmt.Sprintf("no %s rule matched; permissive", action)
	}
	return false, fmt.Sprintf("%s denied for principal %s on %s %s: no rule matched and permissive is false",
		action, describe(principal), action.ObjectKey(), describe(object))
}

func describe(s string) string {
	if s == "" {
		return "(any)"
	}
	return fmt.Sprintf("%q", s)
}

// Filter keeps the items principal may see under a view action; objectOf
// gives an item's object (the user its framework, task or executor runs
// as). State, event streams and the files API filter with it so nothing
// the principal may not view leaks.
func Filter[T any](a Authorizer, action Action, principal string, items []T, objectOf func(T) string) []T {
	out := items[:0:0]
	for _, it := range items {
		if ok, _ := a.Allowed(action, principal, objectOf(it)); ok {
			out = append(out, it)
		}
	}
	return out
}
