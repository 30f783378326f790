package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"strings"

	"github.com/agoraproject/agora/frameworks/marathon/app"
	"github.com/agoraproject/agora/frameworks/marathon/state"
)

// groupSpec is a decoded group body of POST/PUT /v2/groups: IDs resolved to
// absolute paths, apps decoded, normalized and validated. The has* fields
// say whether the body named the list at all: on PUT a named list replaces
// what the group holds, an absent one leaves it alone.
type groupSpec struct {
	id        string
	apps      []*app.App
	hasApps   bool
	groups    []*groupSpec
	hasGroups bool
	deps      []string
	hasDeps   bool
	scaleBy   *float64
	version   *string
}

type rawGroup struct {
	ID           *string           `json:"id"`
	Apps         []json.RawMessage `json:"apps"`
	Groups       []json.RawMessage `json:"groups"`
	Pods         []json.RawMessage `json:"pods"`
	Dependencies []string          `json:"dependencies"`
	ScaleBy      *float64          `json:"scaleBy"`
	Version      *string           `json:"version"`
}

// decodeGroup decodes a group body whose ID is resolved against base (the
// group of the URL, "/" for /v2/groups). prefix places error paths inside a
// parent body.
func decodeGroup(body []byte, base, prefix string) (*groupSpec, error) {
	var rg rawGroup
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(body, &keys); err != nil || keys == nil {
		return nil, groupJSONError(err, prefix)
	}
	if err := json.Unmarshal(body, &rg); err != nil {
		return nil, groupJSONError(err, prefix)
	}
	present := func(k string) bool {
		v, ok := keys[k]
		return ok && !bytes.Equal(bytes.TrimSpace(v), []byte("null"))
	}
	g := &groupSpec{id: app.CanonicalID(base), hasApps: present("apps"), hasGroups: present("groups"),
		hasDeps: present("dependencies"), scaleBy: rg.ScaleBy, version: rg.Version}
	if rg.ID != nil && strings.TrimSpace(*rg.ID) != "" {
		g.id = app.ResolveID(base, *rg.ID)
	}
	if g.id != "/" {
		if msg := app.ValidID(g.id); msg != "" {
			return nil, invalid(joinPath(prefix, "/id"), msg)
		}
	}
	if len(rg.Pods) > 0 {
		return nil, invalid(joinPath(prefix, "/pods"), "pods are not supported; use apps")
	}
	if g.scaleBy != nil && (*g.scaleBy < 0 || math.IsNaN(*g.scaleBy) || math.IsInf(*g.scaleBy, 0)) {
		return nil, invalid(joinPath(prefix, "/scaleBy"), "must be greater than or equal to 0")
	}
	for i, d := range rg.Dependencies {
		if strings.TrimSpace(d) == "" {
			return nil, invalid(joinPath(prefix, "/dependencies("+itoa(i)+")"), msgEmpty)
		}
		g.deps = append(g.deps, app.ResolveID(app.Parent(g.id), d))
	}
	if g.deps == nil {
		g.deps = []string{}
	}
	for i, raw := range rg.Apps {
		p := joinPath(prefix, "/apps("+itoa(i)+")")
		a, err := decodeGroupApp(raw, g.id, p)
		if err != nil {
			return nil, err
		}
		g.apps = append(g.apps, a)
	}
	for i, raw := range rg.Groups {
		p := joinPath(prefix, "/groups("+itoa(i)+")")
		var head struct {
			ID *string `json:"id"`
		}
		if err := json.Unmarshal(raw, &head); err != nil {
			return nil, groupJSONError(err, p)
		}
		if head.ID == nil || strings.TrimSpace(*head.ID) == "" {
			return nil, invalid(joinPath(p, "/id"), msgEmpty)
		}
		sub, err := decodeGroup(raw, g.id, p)
		if err != nil {
			return nil, err
		}
		if !within(sub.id, g.id) || sub.id == g.id {
			return nil, invalid(joinPath(p, "/id"), "group "+sub.id+" is not a subgroup of "+g.id)
		}
		g.groups = append(g.groups, sub)
	}
	return g, nil
}

const msgEmpty = "must not be empty"

// decodeGroupApp decodes an app of a group body; a relative ID is relative
// to the group.
func decodeGroupApp(raw []byte, group, prefix string) (*app.App, error) {
	var head struct {
		ID *string `json:"id"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return nil, invalidJSON(asDecodeError(raw, err), prefix)
	}
	if head.ID == nil || strings.Trim(*head.ID, "/ ") == "" {
		return nil, invalid(joinPath(prefix, "/id"), msgEmpty)
	}
	id := app.ResolveID(group, *head.ID)
	if id == group || app.Parent(id) != group {
		return nil, invalid(joinPath(prefix, "/id"), "app "+id+" must be a direct child of group "+group)
	}
	return decodeApp(raw, id, prefix)
}

// asDecodeError gets app.Decode's account of a body that does not decode,
// for its path.
func asDecodeError(raw []byte, err error) error {
	if _, derr := app.Decode(raw); derr != nil {
		return derr
	}
	return err
}

// groupJSONError is a 400 for a group body that is not JSON of the right
// shape, naming the failing field.
func groupJSONError(err error, prefix string) error {
	path := "/"
	msg := "expected a JSON object"
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		if te.Field != "" {
			path = "/" + strings.ReplaceAll(te.Field, ".", "/")
		}
		msg = "expected " + te.Type.String() + ", got " + te.Value
	case errors.As(err, &se):
		msg = se.Error()
	case err != nil:
		msg = err.Error()
	}
	return &badRequest{status: http.StatusBadRequest, message: "Invalid JSON",
		details: []state.Violation{{Path: joinPath(prefix, path), Errors: []string{msg}}}}
}

// within reports whether id is group or lies under it.
func within(id, group string) bool {
	return group == "/" || id == group || strings.HasPrefix(id, group+"/")
}

// walk calls f for the group and every subgroup in the body.
func (g *groupSpec) walk(f func(*groupSpec)) {
	f(g)
	for _, c := range g.groups {
		c.walk(f)
	}
}
