package acl

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
)

// EntityType says how an Entity matches, as Mesos's ACL.Entity.Type.
type EntityType string

// The entity types. SOME (the default) lists values; ANY is everyone or
// everything; NONE is no one or nothing.
const (
	Some EntityType = "SOME"
	Any  EntityType = "ANY"
	None EntityType = "NONE"
)

// Entity is the subject or object side of a rule: {"values": [...]} or
// {"type": "ANY"} / {"type": "NONE"}.
type Entity struct {
	Type   EntityType `json:"type,omitempty"`
	Values []string   `json:"values,omitempty"`
}

// UnmarshalJSON reads an entity strictly, so a misspelt key is an error
// rather than an entity that silently matches nothing.
func (e *Entity) UnmarshalJSON(b []byte) error {
	type plain Entity
	var p plain
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return err
	}
	*e = Entity(p)
	if e.Type == "" {
		e.Type = Some
	}
	return nil
}

func (e Entity) validate() error {
	switch e.Type {
	case Some:
		if len(e.Values) == 0 {
			return fmt.Errorf(`"values" is empty; use {"type": "NONE"} to match no one`)
		}
		for i, v := range e.Values {
			if v == "" {
				return fmt.Errorf("values[%d] is empty", i)
			}
		}
	case Any, None:
		if len(e.Values) > 0 {
			return fmt.Errorf(`"values" given with type %s, which ignores them`, e.Type)
		}
	default:
		return fmt.Errorf("type %q is not one of SOME, ANY, NONE", string(e.Type))
	}
	return nil
}

// request is one side of an authorization request: a named subject or
// object, or (name "") an unspecified one, which Mesos treats as ANY.
type request string

// matches reports whether a rule entity applies to the request side,
// following Mesos's local authorizer: NONE and ANY rules apply to every
// named value (so a trailing NONE rule denies everyone not allowed above),
// and a SOME rule applies only to the values it lists.
func (e Entity) matches(r request) bool {
	if r == "" {
		return e.Type == Any || e.Type == None
	}
	if e.Type == Any || e.Type == None {
		return true
	}
	return slices.Contains(e.Values, string(r))
}

// allows reports whether a matching rule entity grants the request side:
// an unspecified side is granted only by ANY.
func (e Entity) allows(r request) bool {
	switch e.Type {
	case Any:
		return true
	case Some:
		return r != "" && slices.Contains(e.Values, string(r))
	}
	return false
}
