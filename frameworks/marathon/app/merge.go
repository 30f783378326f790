package app

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
)

// Merge applies a partial update (PUT without ?partialUpdate=false, PATCH):
// each top-level field present in patch replaces base's, null resets it to
// its default, and absent fields keep base's values. The ID stays base's.
// The result is normalized but not validated; its Version and VersionInfo
// are empty for the caller to stamp.
func Merge(base *App, patch []byte) (*App, error) {
	var p map[string]json.RawMessage
	if err := decodeInto(patch, &p); err != nil {
		return nil, err
	}
	if p == nil {
		return nil, &DecodeError{Msg: "error.expected.jsobject"}
	}
	b := base.Clone()
	b.Version, b.VersionInfo = "", nil
	raw, err := json.Marshal(b)
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	// A field sent in its deprecated or current form replaces both forms.
	replaces := map[string][]string{
		"ports":           {"portDefinitions"},
		"portDefinitions": {"ports"},
		"uris":            {"fetch"},
		"fetch":           {"uris"},
	}
	if c, ok := p["container"]; ok && !isNull(c) && containerNamesNetwork(c) {
		replaces["container"] = []string{"networks"}
	}
	for k, v := range p {
		switch k {
		case "id", "version", "versionInfo":
			continue
		}
		for _, other := range replaces[k] {
			if _, sent := p[other]; !sent {
				delete(m, other)
			}
		}
		if isNull(v) {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	merged, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	out, err := Decode(merged)
	if err != nil {
		return nil, err
	}
	out.ID = base.ID
	out.Normalize()
	return out, nil
}

// containerNamesNetwork says whether a container object uses the deprecated
// docker.network, which then replaces the app's networks.
func containerNamesNetwork(raw json.RawMessage) bool {
	var c struct {
		Docker *struct {
			Network string `json:"network"`
		} `json:"docker"`
	}
	return json.Unmarshal(raw, &c) == nil && c.Docker != nil && c.Docker.Network != ""
}

// Clone returns a deep copy: nothing in it shares memory with a.
func (a *App) Clone() *App {
	if a == nil {
		return nil
	}
	c := *a
	if a.Cmd != nil {
		s := *a.Cmd
		c.Cmd = &s
	}
	c.Args = slices.Clone(a.Args)
	c.Env = maps.Clone(a.Env)
	c.Constraints = cloneConstraints(a.Constraints)
	c.URIs = slices.Clone(a.URIs)
	c.Fetch = slices.Clone(a.Fetch)
	c.StoreURLs = slices.Clone(a.StoreURLs)
	c.Container = a.Container.clone()
	if a.HealthChecks != nil {
		c.HealthChecks = make([]HealthCheck, len(a.HealthChecks))
		for i, h := range a.HealthChecks {
			c.HealthChecks[i] = h
			c.HealthChecks[i].PortIndex = cloneInt(h.PortIndex)
			c.HealthChecks[i].Port = cloneInt(h.Port)
			if h.Command != nil {
				cmd := *h.Command
				c.HealthChecks[i].Command = &cmd
			}
		}
	}
	if a.ReadinessChecks != nil {
		c.ReadinessChecks = make([]ReadinessCheck, len(a.ReadinessChecks))
		for i, r := range a.ReadinessChecks {
			c.ReadinessChecks[i] = r
			c.ReadinessChecks[i].HTTPStatusCodesForReady = slices.Clone(r.HTTPStatusCodesForReady)
		}
	}
	c.Dependencies = slices.Clone(a.Dependencies)
	if a.UpgradeStrategy != nil {
		s := *a.UpgradeStrategy
		c.UpgradeStrategy = &s
	}
	c.Labels = maps.Clone(a.Labels)
	c.AcceptedResourceRoles = slices.Clone(a.AcceptedResourceRoles)
	if a.PortDefinitions != nil {
		c.PortDefinitions = make([]PortDefinition, len(a.PortDefinitions))
		for i, p := range a.PortDefinitions {
			c.PortDefinitions[i] = p
			c.PortDefinitions[i].Labels = maps.Clone(p.Labels)
		}
	}
	c.Ports = slices.Clone(a.Ports)
	c.Networks = slices.Clone(a.Networks)
	if a.TaskKillGracePeriodSeconds != nil {
		g := *a.TaskKillGracePeriodSeconds
		c.TaskKillGracePeriodSeconds = &g
	}
	if a.UnreachableStrategy != nil {
		u := *a.UnreachableStrategy
		c.UnreachableStrategy = &u
	}
	if a.VersionInfo != nil {
		v := *a.VersionInfo
		c.VersionInfo = &v
	}
	return &c
}

func (c *Container) clone() *Container {
	if c == nil {
		return nil
	}
	out := *c
	if c.Docker != nil {
		d := *c.Docker
		d.PortMappings = clonePortMappings(d.PortMappings)
		d.Parameters = slices.Clone(d.Parameters)
		out.Docker = &d
	}
	out.Volumes = slices.Clone(c.Volumes)
	out.PortMappings = clonePortMappings(c.PortMappings)
	return &out
}

func clonePortMappings(ms []PortMapping) []PortMapping {
	if ms == nil {
		return nil
	}
	out := make([]PortMapping, len(ms))
	for i, m := range ms {
		out[i] = m
		out[i].HostPort = cloneInt(m.HostPort)
		out[i].Labels = maps.Clone(m.Labels)
	}
	return out
}

func cloneConstraints(cs [][]string) [][]string {
	if cs == nil {
		return nil
	}
	out := make([][]string, len(cs))
	for i, c := range cs {
		out[i] = slices.Clone(c)
	}
	return out
}

func cloneInt(p *int) *int {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// ConfigEqual says whether two apps have the same configuration apart from
// their instance count and version stamps: when it holds, moving from a to b
// is a scale; otherwise the instances must be restarted.
func ConfigEqual(a, b *App) bool {
	if a == nil || b == nil {
		return a == b
	}
	x, y := a.Clone(), b.Clone()
	x.Normalize()
	y.Normalize()
	for _, c := range []*App{x, y} {
		c.Instances = 0
		c.Version = ""
		c.VersionInfo = nil
	}
	// Compare the JSON forms: that is what is stored and served, and it
	// does not tell an omitted empty map from a nil one.
	jx, errx := json.Marshal(x)
	jy, erry := json.Marshal(y)
	return errx == nil && erry == nil && bytes.Equal(jx, jy)
}
