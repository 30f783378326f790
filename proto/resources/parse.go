package resources

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// Parse reads resources in the syntax of the Mesos agent's --resources
// flag: "cpus:4;mem:4096;ports:[31000-32000];cpus(ads):2;zones:{a,b}".
// Each item is name(role):value; a role other than "*" makes a static
// reservation (both the reservation stack and the legacy role field are
// set, so readers of either see it). A string starting with '[' is read as
// a JSON array of Resource messages instead.
//
// Items with the same identity are merged, and zero items dropped, as
// Mesos does; empty input gives an empty, non-nil list. The error names
// the offending item.
func Parse(s string) ([]*mesos.Resource, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "[") {
		return parseJSON(s)
	}
	if !utf8.ValidString(s) {
		return nil, errors.New("resources: not valid UTF-8")
	}
	p := &pool{}
	types := map[string]mesos.Value_Type{}
	for _, tok := range strings.Split(s, ";") {
		if strings.TrimSpace(tok) == "" {
			continue
		}
		r, err := parseItem(tok)
		if err == nil {
			err = checkType(types, r)
		}
		if err != nil {
			return nil, fmt.Errorf("resources: %q: %w", strings.TrimSpace(tok), err)
		}
		p.add(r)
	}
	return p.resources(), nil
}

// checkType rejects a name used with two types: "ports:[1-2];ports:3"
// would leave the agent with two unrelated things of one name.
func checkType(types map[string]mesos.Value_Type, r *mesos.Resource) error {
	if t, ok := types[r.GetName()]; ok && t != r.GetType() {
		return fmt.Errorf("%s is already a %s resource", r.GetName(), t)
	}
	types[r.GetName()] = r.GetType()
	return nil
}

func parseItem(tok string) (*mesos.Resource, error) {
	head, val, ok := strings.Cut(tok, ":")
	if !ok {
		return nil, errors.New("missing ':'")
	}
	if strings.Contains(val, ":") {
		return nil, errors.New("extra ':'")
	}
	name, role, err := parseHead(head)
	if err != nil {
		return nil, err
	}
	v, err := parseValue(val)
	if err != nil {
		return nil, err
	}
	r := &mesos.Resource{Name: proto.String(name), Type: v.typ.Enum()}
	switch v.typ {
	case mesos.Value_SCALAR:
		r.Scalar = &mesos.Value_Scalar{Value: proto.Float64(v.scalar)}
	case mesos.Value_RANGES:
		r.Ranges = toRanges(v.spans)
	case mesos.Value_SET:
		r.Set = &mesos.Value_Set{Item: v.items}
	default:
		return nil, fmt.Errorf("value %q is not a number, [ranges] or {set}", v.text)
	}
	if role != unreservedRole {
		r.Role = proto.String(role)
		r.Reservations = []*mesos.Resource_ReservationInfo{{
			Type: mesos.Resource_ReservationInfo_STATIC.Enum(),
			Role: proto.String(role),
		}}
	}
	return r, structuralError(r)
}

// parseHead splits "name(role)" into its parts; the role defaults to "*".
// Names may not contain the syntax's punctuation, so that String's output
// always parses back to the same resources.
func parseHead(head string) (name, role string, err error) {
	name, role = head, unreservedRole
	if open := strings.IndexByte(head, '('); open >= 0 {
		end := strings.LastIndexByte(head, ')')
		if end < open {
			return "", "", errors.New("'(' without ')'")
		}
		if strings.TrimSpace(head[end+1:]) != "" {
			return "", "", fmt.Errorf("unexpected %q after the role", head[end+1:])
		}
		name, role = head[:open], strings.TrimSpace(head[open+1:end])
		if err := validateRole(role); err != nil {
			return "", "", err
		}
		if strings.ContainsAny(role, "()") {
			return "", "", fmt.Errorf("role %q contains parentheses", role)
		}
	}
	name = strings.TrimSpace(name)
	if name == "" {
		return "", "", errors.New("empty name")
	}
	if strings.ContainsAny(name, "()[]{},;:") {
		return "", "", fmt.Errorf("name %q contains punctuation", name)
	}
	return name, role, nil
}
