package app

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
)

// UnmarshalJSON accepts only string values: Marathon's {"secret": "name"}
// references need a secret store Agora does not have, so they are refused
// naming the variable rather than silently dropped.
func (e *Env) UnmarshalJSON(data []byte) error {
	if bytes.Equal(bytes.TrimSpace(data), []byte("null")) {
		return nil
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return &DecodeError{Path: "/env", Msg: "error.expected.jsobject"}
	}
	out := make(Env, len(raw))
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys) // the first bad key reported is deterministic
	for _, k := range keys {
		var s string
		if err := json.Unmarshal(raw[k], &s); err != nil {
			msg := "environment variable values must be strings"
			if bytes.HasPrefix(bytes.TrimSpace(raw[k]), []byte("{")) {
				msg = "secret references are not supported: environment variable values must be strings"
			}
			return &DecodeError{Path: "/env/" + k, Msg: msg}
		}
		out[k] = s
	}
	*e = out
	return nil
}

// Marathon 1.x defaults of an unreachable strategy (apps without persistent
// volumes).
const (
	DefaultInactiveAfterSeconds = 300
	DefaultExpungeAfterSeconds  = 600
)

type unreachableJSON struct {
	InactiveAfterSeconds *int `json:"inactiveAfterSeconds"`
	ExpungeAfterSeconds  *int `json:"expungeAfterSeconds"`
}

// UnmarshalJSON accepts the string "disabled" or an object whose missing
// fields take Marathon's defaults.
func (u *UnreachableStrategy) UnmarshalJSON(data []byte) error {
	var s string
	if json.Unmarshal(data, &s) == nil {
		if s != "disabled" {
			return &DecodeError{Path: "/unreachableStrategy", Msg: fmt.Sprintf("unknown unreachable strategy %q: expected \"disabled\" or an object", s)}
		}
		*u = UnreachableStrategy{Disabled: true}
		return nil
	}
	var o unreachableJSON
	if err := json.Unmarshal(data, &o); err != nil {
		return &DecodeError{Path: "/unreachableStrategy", Msg: "expected \"disabled\" or an object with inactiveAfterSeconds and expungeAfterSeconds"}
	}
	*u = UnreachableStrategy{InactiveAfterSeconds: DefaultInactiveAfterSeconds, ExpungeAfterSeconds: DefaultExpungeAfterSeconds}
	if o.InactiveAfterSeconds != nil {
		u.InactiveAfterSeconds = *o.InactiveAfterSeconds
	}
	if o.ExpungeAfterSeconds != nil {
		u.ExpungeAfterSeconds = *o.ExpungeAfterSeconds
	}
	return nil
}

// MarshalJSON renders "disabled" or the object form, as Marathon does.
func (u UnreachableStrategy) MarshalJSON() ([]byte, error) {
	if u.Disabled {
		return []byte(`"disabled"`), nil
	}
	return json.Marshal(struct {
		InactiveAfterSeconds int `json:"inactiveAfterSeconds"`
		ExpungeAfterSeconds  int `json:"expungeAfterSeconds"`
	}{u.InactiveAfterSeconds, u.ExpungeAfterSeconds})
}

// UnmarshalJSON fills fields the client left out with Marathon's defaults,
// so that an explicit 0 (a valid grace period, for instance) survives.
func (h *HealthCheck) UnmarshalJSON(data []byte) error {
	type plain HealthCheck
	p := plain(DefaultHealthCheck())
	if err := json.Unmarshal(data, &p); err != nil {
		return err
	}
	*h = HealthCheck(p)
	return nil
}

// UnmarshalJSON fills a missing bound with its default.
func (s *UpgradeStrategy) UnmarshalJSON(data []byte) error {
	type plain UpgradeStrategy
	p := plain(DefaultUpgradeStrategy())
	if err := json.Unmarshal(data, &p); err != nil {
		return err
	}
	*s = UpgradeStrategy(p)
	return nil
}

// UnmarshalJSON defaults the protocol to tcp.
func (d *PortDefinition) UnmarshalJSON(data []byte) error {
	type plain PortDefinition
	p := plain{Protocol: "tcp"}
	if err := json.Unmarshal(data, &p); err != nil {
		return err
	}
	*d = PortDefinition(p)
	return nil
}

// UnmarshalJSON defaults the protocol to tcp.
func (m *PortMapping) UnmarshalJSON(data []byte) error {
	type plain PortMapping
	p := plain{Protocol: "tcp"}
	if err := json.Unmarshal(data, &p); err != nil {
		return err
	}
	*m = PortMapping(p)
	return nil
}

// UnmarshalJSON defaults the readiness check the way Marathon does.
func (r *ReadinessCheck) UnmarshalJSON(data []byte) error {
	type plain ReadinessCheck
	p := plain{Name: "readinessCheck", Protocol: "HTTP", Path: "/", PortName: "http-api", IntervalSeconds: 30, TimeoutSeconds: 10, HTTPStatusCodesForReady: []int{200}}
	if err := json.Unmarshal(data, &p); err != nil {
		return err
	}
	*r = ReadinessCheck(p)
	return nil
}
