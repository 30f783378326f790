package api

import (
	"bytes"
	"encoding/json"
	"sort"
	"strings"

	"github.com/agoraproject/agora/frameworks/marathon/app"
	"github.com/agoraproject/agora/frameworks/marathon/state"
)

// groupNode is one group of the tree GET /v2/groups serves: the explicit
// groups the backend keeps plus the implicit ones every app's path implies.
type groupNode struct {
	id       string
	explicit bool
	deps     []string
	version  string
	apps     []*state.AppStatus
	children map[string]*groupNode
}

func (n *groupNode) sortedChildren() []*groupNode {
	out := make([]*groupNode, 0, len(n.children))
	for _, c := range n.children {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

// buildTree places apps and explicit groups under the root "/".
func buildTree(apps []state.AppStatus, groups []state.Group) *groupNode {
	root := &groupNode{id: "/", children: map[string]*groupNode{}}
	var ensure func(id string) *groupNode
	ensure = func(id string) *groupNode {
		if id == "/" || id == "" {
			return root
		}
		parent := ensure(app.Parent(id))
		n := parent.children[id]
		if n == nil {
			n = &groupNode{id: id, children: map[string]*groupNode{}}
			parent.children[id] = n
		}
		return n
	}
	for _, g := range groups {
		n := ensure(pathID(g.ID))
		n.explicit = true
		n.deps = g.Dependencies
		n.version = g.Version
	}
	for i := range apps {
		if apps[i].App == nil {
			continue
		}
		n := ensure(app.Parent(apps[i].App.ID))
		n.apps = append(n.apps, &apps[i])
	}
	root.fillVersions()
	return root
}

// fillVersions gives groups without a stored version the newest version of
// anything inside them (versions are ISO 8601 timestamps, which sort as
// strings).
func (n *groupNode) fillVersions() string {
	v := n.version
	for _, a := range n.apps {
		if a.App.Version > v {
			v = a.App.Version
		}
	}
	for _, c := range n.children {
		if cv := c.fillVersions(); cv > v {
			v = cv
		}
	}
	if n.version == "" {
		n.version = v
	}
	return v
}

// find returns the group with the given ID, or nil.
func (n *groupNode) find(id string) *groupNode {
	if id == n.id {
		return n
	}
	for _, c := range n.children {
		if id == c.id || strings.HasPrefix(id, c.id+"/") {
			return c.find(id)
		}
	}
	return nil
}

// walkApps calls f for every app in the group and its subgroups.
func (n *groupNode) walkApps(f func(*state.AppStatus)) {
	for _, a := range n.apps {
		f(a)
	}
	for _, c := range n.children {
		c.walkApps(f)
	}
}

// groupEmbed says what a group's JSON carries: its apps (with appEmbed), its
// subgroups, its pods.
type groupEmbed struct {
	apps, groups, pods bool
	app                appEmbed
}

// parseGroupEmbed reads ?embed= for /v2/groups. Without any, Marathon embeds
// apps, subgroups and pods.
func parseGroupEmbed(values []string) groupEmbed {
	vals := splitEmbed(values)
	if len(vals) == 0 {
		return groupEmbed{apps: true, groups: true, pods: true}
	}
	var e groupEmbed
	for _, v := range vals {
		switch {
		case v == "group.apps":
			e.apps = true
		case v == "group.groups":
			e.groups = true
		case v == "group.pods":
			e.pods = true
		case strings.HasPrefix(v, "group.apps."):
			e.apps = true
		}
	}
	e.app = parseAppEmbed(vals, "group.apps.")
	return e
}

func (s *Server) appendGroup(buf *bytes.Buffer, n *groupNode, e groupEmbed) error {
	buf.WriteString(`{"id":`)
	writeString(buf, n.id)
	if e.apps {
		buf.WriteString(`,"apps":[`)
		sort.Slice(n.apps, func(i, j int) bool { return n.apps[i].App.ID < n.apps[j].App.ID })
		for i, a := range n.apps {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := s.appendApp(buf, a, e.app); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	}
	if e.groups {
		buf.WriteString(`,"groups":[`)
		for i, c := range n.sortedChildren() {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := s.appendGroup(buf, c, e); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	}
	if e.pods {
		buf.WriteString(`,"pods":[]`)
	}
	deps := n.deps
	if deps == nil {
		deps = []string{}
	}
	b, err := json.Marshal(deps)
	if err != nil {
		return err
	}
	buf.WriteString(`,"dependencies":`)
	buf.Write(b)
	buf.WriteString(`,"version":`)
	writeString(buf, n.version)
	buf.WriteByte('}')
	return nil
}
