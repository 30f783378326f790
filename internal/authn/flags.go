package authn

import (
	"fmt"
	"strings"
)

// Class is a kind of endpoint, as Mesos's authentication flags see them.
type Class int

// The endpoint classes.
const (
	// Public endpoints never require authentication (/health, /version,
	// the join endpoint, which checks its own token).
	Public Class = iota
	// ReadOnly endpoints show state (/master/state, /metrics/snapshot,
	// GET /files/*, the web UI's reads).
	ReadOnly
	// ReadWrite endpoints change it (/api/v1 operator calls,
	// /master/teardown, /logging/toggle, weights, maintenance).
	ReadWrite
	// Framework is the scheduler API (/api/v1/scheduler).
	Framework
	// Agent is the agent protocol (/agora/v1/agent).
	Agent
)

// Flags are Mesos's --authenticate_* flags. All default to false, as in
// Mesos; Agora's commands choose their own defaults.
type Flags struct {
	Frameworks    bool // --authenticate_frameworks
	Agents        bool // --authenticate_agents
	HTTPReadOnly  bool // --authenticate_http_readonly
	HTTPReadWrite bool // --authenticate_http_readwrite
}

// Required reports whether requests of class c must authenticate.
func (f Flags) Required(c Class) bool {
	switch c {
	case ReadOnly:
		return f.HTTPReadOnly
	case ReadWrite:
		return f.HTTPReadWrite
	case Framework:
		return f.Frameworks
	case Agent:
		return f.Agents
	}
	return false
}

// Any reports whether some class must authenticate.
func (f Flags) Any() bool { return f.Frameworks || f.Agents || f.HTTPReadOnly || f.HTTPReadWrite }

// Validate checks that credentials exist when a flag needs them, naming
// the flags that do.
func (f Flags) Validate(haveCredentials bool) error {
	if haveCredentials || !f.Any() {
		return nil
	}
	var set []string
	for _, s := range []struct {
		on   bool
		name string
	}{
		{f.Frameworks, "--authenticate_frameworks"},
		{f.Agents, "--authenticate_agents"},
		{f.HTTPReadOnly, "--authenticate_http_readonly"},
		{f.HTTPReadWrite, "--authenticate_http_readwrite"},
	} {
		if s.on {
			set = append(set, s.name)
		}
	}
	return fmt.Errorf("--credentials is required with %s", strings.Join(set, ", "))
}
