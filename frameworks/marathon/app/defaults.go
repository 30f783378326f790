package app

import (
	"path"
	"strings"
)

// Marathon 1.x defaults of an app definition.
const (
	DefaultInstances             = 1
	DefaultCPUs                  = 1.0
	DefaultMem                   = 128.0
	DefaultBackoffSeconds        = 1.0
	DefaultBackoffFactor         = 1.15
	DefaultMaxLaunchDelaySeconds = 300.0
)

// DefaultUpgradeStrategy keeps every instance up and allows doubling during
// a restart, as Marathon does.
func DefaultUpgradeStrategy() UpgradeStrategy {
	return UpgradeStrategy{MinimumHealthCapacity: 1, MaximumOverCapacity: 1}
}

// DefaultUnreachableStrategy is Marathon's default for apps without
// persistent volumes.
func DefaultUnreachableStrategy() UnreachableStrategy {
	return UnreachableStrategy{InactiveAfterSeconds: DefaultInactiveAfterSeconds, ExpungeAfterSeconds: DefaultExpungeAfterSeconds}
}

// DefaultHealthCheck is a health check with every field a client may leave
// out set to Marathon's default.
func DefaultHealthCheck() HealthCheck {
	return HealthCheck{
		Protocol:               "HTTP",
		GracePeriodSeconds:     300,
		IntervalSeconds:        60,
		TimeoutSeconds:         20,
		MaxConsecutiveFailures: 3,
		DelaySeconds:           15,
	}
}

// New returns an app with Marathon's defaults and the given ID, normalized.
// Code that builds apps in Go (rather than decoding JSON) starts here, so
// that an explicit zero (instances 0) stays distinguishable from "not set".
func New(id string) *App {
	a := defaults()
	a.ID = id
	a.PortDefinitions = []PortDefinition{{Port: 0, Protocol: "tcp"}}
	a.Normalize()
	return a
}

func defaults() *App {
	return &App{
		Instances:             DefaultInstances,
		CPUs:                  DefaultCPUs,
		Mem:                   DefaultMem,
		BackoffSeconds:        DefaultBackoffSeconds,
		BackoffFactor:         DefaultBackoffFactor,
		MaxLaunchDelaySeconds: DefaultMaxLaunchDelaySeconds,
	}
}

// CanonicalID makes an app or group ID absolute ("prod/web" → "/prod/web")
// and drops a trailing slash. It does not validate.
func CanonicalID(id string) string {
	id = strings.TrimSpace(id)
	if !strings.HasPrefix(id, "/") {
		id = "/" + id
	}
	for len(id) > 1 && strings.HasSuffix(id, "/") {
		id = id[:len(id)-1]
	}
	return id
}

// ResolveID resolves a possibly relative ID ("db", "../db") against a base
// group ("/prod"); absolute IDs are only canonicalized.
func ResolveID(base, id string) string {
	id = strings.TrimSpace(id)
	if strings.HasPrefix(id, "/") || id == "" {
		return CanonicalID(id)
	}
	return CanonicalID(path.Join(CanonicalID(base), id))
}

// Normalize puts the app into the canonical form the core stores and the API
// renders: an absolute ID, deprecated fields moved to their current forms,
// unset strategies and enums defaulted, and lists and maps non-nil so they
// render as [] and {} rather than null. Numeric fields whose zero is a valid
// setting (instances, cpus, mem) are left alone: Decode and New default them.
// Normalize is idempotent.
func (a *App) Normalize() {
	a.ID = CanonicalID(a.ID)
	if a.BackoffFactor == 0 {
		a.BackoffFactor = DefaultBackoffFactor
	}
	if a.KillSelection == "" {
		a.KillSelection = YoungestFirst
	}
	if a.UpgradeStrategy == nil {
		s := DefaultUpgradeStrategy()
		a.UpgradeStrategy = &s
	}
	if a.UnreachableStrategy == nil {
		s := DefaultUnreachableStrategy()
		a.UnreachableStrategy = &s
	}
	a.normalizePorts()
	a.normalizeContainer()
	a.normalizeFetch()
	a.normalizeHealthChecks()
	parent := Parent(a.ID)
	deps := make([]string, 0, len(a.Dependencies))
	for _, d := range a.Dependencies {
		deps = append(deps, ResolveID(parent, d))
	}
	a.Dependencies = deps
	if a.Env == nil {
		a.Env = Env{}
	}
	if a.Labels == nil {
		a.Labels = map[string]string{}
	}
	if a.Constraints == nil {
		a.Constraints = [][]string{}
	}
	if a.StoreURLs == nil {
		a.StoreURLs = []string{}
	}
	if a.ReadinessChecks == nil {
		a.ReadinessChecks = []ReadinessCheck{}
	}
}

// normalizePorts moves the deprecated "ports" list to port definitions.
func (a *App) normalizePorts() {
	if a.Ports != nil && len(a.PortDefinitions) == 0 {
		a.PortDefinitions = make([]PortDefinition, 0, len(a.Ports))
		for _, p := range a.Ports {
			a.PortDefinitions = append(a.PortDefinitions, PortDefinition{Port: p, Protocol: "tcp"})
		}
	}
	a.Ports = nil
	if a.PortDefinitions == nil {
		a.PortDefinitions = []PortDefinition{}
	}
	for i := range a.PortDefinitions {
		if a.PortDefinitions[i].Protocol == "" {
			a.PortDefinitions[i].Protocol = "tcp"
		}
	}
}

// normalizeContainer moves the pre-1.5 docker.network and
// docker.portMappings to the app's networks and the container's mappings.
func (a *App) normalizeContainer() {
	c := a.Container
	if c != nil {
		if c.Type == "" {
			c.Type = "DOCKER"
		}
		if c.Volumes == nil {
			c.Volumes = []Volume{}
		}
		if d := c.Docker; d != nil {
			if len(d.PortMappings) > 0 && len(c.PortMappings) == 0 {
				c.PortMappings = d.PortMappings
			}
			d.PortMappings = nil
			if d.Network != "" && len(a.Networks) == 0 {
				switch strings.ToUpper(d.Network) {
				case "BRIDGE":
					a.Networks = []Network{{Mode: "container/bridge"}}
				case "USER":
					a.Networks = []Network{{Mode: "container"}}
				case "HOST":
					a.Networks = []Network{{Mode: "host"}}
				}
			}
			d.Network = ""
			if d.Parameters == nil {
				d.Parameters = []DockerParam{}
			}
		}
		for i := range c.PortMappings {
			if c.PortMappings[i].Protocol == "" {
				c.PortMappings[i].Protocol = "tcp"
			}
		}
	}
	if len(a.Networks) == 0 {
		a.Networks = []Network{{Mode: "host"}}
	}
	// Port definitions are host-network ports; with container networking
	// the ports are the container's port mappings instead.
	if !a.HostNetworking() {
		a.PortDefinitions = []PortDefinition{}
	}
}

// HostNetworking says whether the app uses the agent's network namespace,
// where its ports are port definitions rather than container port mappings.
func (a *App) HostNetworking() bool {
	for _, n := range a.Networks {
		if n.Mode != "host" {
			return false
		}
	}
	return true
}

// normalizeFetch turns deprecated uris into fetch entries; archives are
// extracted, as Marathon does for them.
func (a *App) normalizeFetch() {
	if len(a.URIs) > 0 && len(a.Fetch) == 0 {
		for _, u := range a.URIs {
			a.Fetch = append(a.Fetch, Fetch{URI: u, Extract: isArchive(u)})
		}
	}
	a.URIs = nil
	if a.Fetch == nil {
		a.Fetch = []Fetch{}
	}
}

func isArchive(uri string) bool {
	for _, ext := range []string{".tgz", ".tar.gz", ".tbz2", ".tar.bz2", ".txz", ".tar.xz", ".zip"} {
		if strings.HasSuffix(uri, ext) {
			return true
		}
	}
	return false
}

func (a *App) normalizeHealthChecks() {
	if a.HealthChecks == nil {
		a.HealthChecks = []HealthCheck{}
	}
	for i := range a.HealthChecks {
		h := &a.HealthChecks[i]
		def := DefaultHealthCheck()
		if h.Protocol == "" {
			h.Protocol = def.Protocol
		}
		if h.IntervalSeconds == 0 {
			h.IntervalSeconds = def.IntervalSeconds
		}
		if h.TimeoutSeconds == 0 {
			h.TimeoutSeconds = def.TimeoutSeconds
		}
		if usesPort(h.Protocol) && h.Port == nil && h.PortIndex == nil {
			zero := 0
			h.PortIndex = &zero
		}
		if isHTTP(h.Protocol) && h.Path == "" {
			h.Path = "/"
		}
	}
}

func usesPort(protocol string) bool {
	switch protocol {
	case "HTTP", "HTTPS", "TCP", "MESOS_HTTP", "MESOS_HTTPS", "MESOS_TCP":
		return true
	}
	return false
}

func isHTTP(protocol string) bool {
	switch protocol {
	case "HTTP", "HTTPS", "MESOS_HTTP", "MESOS_HTTPS":
		return true
	}
	return false
}
