package acl

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
)

// Action is an ACL list of Mesos's acls.proto, named by its JSON key.
type Action string

// The actions Agora enforces. Each names the object its rules list.
const (
	RegisterFrameworks Action = "register_frameworks" // roles a framework principal may register in
	RunTasks           Action = "run_tasks"           // users a framework principal may run tasks as
	TeardownFrameworks Action = "teardown_frameworks" // principals whose frameworks one may tear down
	ViewFrameworks     Action = "view_frameworks"     // users whose frameworks one may see
	ViewTasks          Action = "view_tasks"          // users whose tasks one may see
	ViewExecutors      Action = "view_executors"      // users whose executors one may see
	AccessSandboxes    Action = "access_sandboxes"    // users whose sandboxes one may read
	UpdateWeights      Action = "update_weights"      // roles whose weight one may change
	MarkAgentsGone     Action = "mark_agents_gone"    // agents one may mark gone (Mesos passes none: use ANY)
)

// objectKeys maps each action to the JSON key of its objects, as in
// acls.proto.
var objectKeys = map[Action]string{
	RegisterFrameworks: "roles",
	RunTasks:           "users",
	TeardownFrameworks: "framework_principals",
	ViewFrameworks:     "users",
	ViewTasks:          "users",
	ViewExecutors:      "users",
	AccessSandboxes:    "users",
	UpdateWeights:      "roles",
	MarkAgentsGone:     "agents",
}

// Actions lists the supported actions in a stable order.
func Actions() []Action {
	out := make([]Action, 0, len(objectKeys))
	for a := range objectKeys {
		out = append(out, a)
	}
	slices.Sort(out)
	return out
}

// ObjectKey is the JSON key of an action's objects ("roles", "users", ...).
func (a Action) ObjectKey() string { return objectKeys[a] }

// Rule is one ACL: who (Principals) may act on what (Objects).
type Rule struct {
	Principals Entity
	Objects    Entity
}

// ACLs is a parsed ACL file. The zero value is permissive with no rules,
// which allows everything, as Mesos does without --acls.
type ACLs struct {
	// Permissive decides requests no rule matches. Mesos's default is true.
	Permissive bool
	Rules      map[Action][]Rule
}

// Load reads an ACL file. Like Mesos's --acls, value may be the JSON
// itself, a path, or a file:// URL.
func Load(value string) (*ACLs, error) {
	if strings.HasPrefix(strings.TrimSpace(value), "{") {
		return Parse([]byte(value))
	}
	path := strings.TrimPrefix(value, "file://")
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("acls: %w", err)
	}
	a, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return a, nil
}

// Parse decodes and validates Mesos ACL JSON. Unknown keys are errors:
// an ACL for an action Agora does not enforce must not look enforced.
func Parse(data []byte) (*ACLs, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, fmt.Errorf("acls: invalid JSON: %w", err)
	}
	if top == nil {
		return nil, fmt.Errorf("acls: want a JSON object")
	}
	a := &ACLs{Permissive: true, Rules: map[Action][]Rule{}}
	keys := make([]string, 0, len(top))
	for k := range top {
		keys = append(keys, k)
	}
	slices.Sort(keys) // report the same error for the same file every time
	for _, k := range keys {
		raw := top[k]
		if k == "permissive" {
			if err := json.Unmarshal(raw, &a.Permissive); err != nil {
				return nil, fmt.Errorf("acls: permissive: want true or false")
			}
			continue
		}
		action := Action(k)
		if _, ok := objectKeys[action]; !ok {
			return nil, fmt.Errorf("acls: %q is not an action Agora enforces (supported: permissive, %s)", k, joinActions())
		}
		rules, err := parseRules(action, raw)
		if err != nil {
			return nil, err
		}
		a.Rules[action] = rules
	}
	return a, nil
}

func joinActions() string {
	var b strings.Builder
	for i, a := range Actions() {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(string(a))
	}
	return b.String()
}

func parseRules(action Action, raw json.RawMessage) ([]Rule, error) {
	var items []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, fmt.Errorf("acls: %s: want a list of rules: %w", action, err)
	}
	objKey := action.ObjectKey()
	rules := make([]Rule, 0, len(items))
	for i, item := range items {
		field := func(key string) string { return fmt.Sprintf("acls: %s[%d].%s", action, i, key) }
		for k := range item {
			if k != "principals" && k != objKey {
				return nil, fmt.Errorf("acls: %s[%d]: unknown key %q (want \"principals\" and %q)", action, i, k, objKey)
			}
		}
		var r Rule
		for _, side := range []struct {
			key string
			dst *Entity
		}{{"principals", &r.Principals}, {objKey, &r.Objects}} {
			v, ok := item[side.key]
			if !ok || bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
				return nil, fmt.Errorf("%s is required", field(side.key))
			}
			if err := json.Unmarshal(v, side.dst); err != nil {
				return nil, fmt.Errorf("%s: %w", field(side.key), err)
			}
			if err := side.dst.validate(); err != nil {
				return nil, fmt.Errorf("%s: %w", field(side.key), err)
			}
		}
		rules = append(rules, r)
	}
	return rules, nil
}
