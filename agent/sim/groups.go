package sim

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	"github.com/agoraproject/agora/proto/resources"
)

// DefaultResources are what a simulated agent offers unless its group says
// otherwise: a mid-sized host.
const DefaultResources = "cpus:8;mem:16384;disk:100000;ports:[31000-32000]"

// Group is a set of identical simulated agents.
type Group struct {
	// Name appears in the agents' hostnames ("<name>-<n>").
	Name  string
	Count int
	// Resources and Attributes are reported in each agent's AgentInfo.
	Resources  []*mesos.Resource
	Attributes []*mesos.Attribute
}

// ParseGroups reads the --groups flag: groups separated by '|', each a
// list of key=value fields separated by spaces:
//
//	name=rack1 count=4000 resources=cpus:8;mem:16384;ports:[31000-32000] attributes=rack:r1;zone:a | count=100
//
// count is required; name defaults to "g<i>" (i counting from 1),
// resources to DefaultResources, attributes to none. resources and
// attributes use the syntax of the agent's --resources and --attributes
// flags. Errors name the group and the field.
func ParseGroups(spec string) ([]Group, error) {
	var out []Group
	names := map[string]bool{}
	for i, part := range strings.Split(spec, "|") {
		if strings.TrimSpace(part) == "" {
			return nil, fmt.Errorf("groups: group %d is empty", i+1)
		}
		g, err := parseGroup(part, i+1)
		if err != nil {
			return nil, fmt.Errorf("groups: group %d: %w", i+1, err)
		}
		if names[g.Name] {
			return nil, fmt.Errorf("groups: group %d: name %q is used twice", i+1, g.Name)
		}
		names[g.Name] = true
		out = append(out, g)
	}
	return out, nil
}

func parseGroup(s string, index int) (Group, error) {
	g := Group{Name: "g" + strconv.Itoa(index)}
	seen := map[string]bool{}
	res := DefaultResources
	for _, field := range strings.Fields(s) {
		key, value, ok := strings.Cut(field, "=")
		if !ok {
			return g, fmt.Errorf("%q is not key=value", field)
		}
		if seen[key] {
			return g, fmt.Errorf("%s is given twice", key)
		}
		seen[key] = true
		switch key {
		case "name":
			if err := checkName(value); err != nil {
				return g, fmt.Errorf("name: %w", err)
			}
			g.Name = value
		case "count":
			n, err := strconv.Atoi(value)
			if err != nil || n < 1 {
				return g, fmt.Errorf("count: %q is not a positive integer", value)
			}
			g.Count = n
		case "resources":
			res = value
		case "attributes":
			attrs, err := resources.ParseAttributes(value)
			if err != nil {
				return g, err
			}
			g.Attributes = attrs
		default:
			return g, fmt.Errorf("unknown field %q (want name, count, resources or attributes)", key)
		}
	}
	if g.Count == 0 {
		return g, errors.New("count is required")
	}
	rs, err := resources.Parse(res)
	if err != nil {
		return g, fmt.Errorf("resources: %w", err)
	}
	if err := resources.Validate(rs); err != nil {
		return g, fmt.Errorf("resources: %w", err)
	}
	if len(rs) == 0 {
		return g, errors.New("resources: an agent with no resources gets no tasks")
	}
	g.Resources = rs
	return g, nil
}

// checkName allows what reads well in a hostname.
func checkName(s string) error {
	if s == "" {
		return errors.New("must not be empty")
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return fmt.Errorf("%q may only hold letters, digits, '-', '_' and '.'", s)
		}
	}
	return nil
}

// UniformGroups is n agents with DefaultResources, named "sim".
func UniformGroups(n int) []Group {
	rs, err := resources.Parse(DefaultResources)
	if err != nil {
		panic(err) // a constant
	}
	return []Group{{Name: "sim", Count: n, Resources: rs}}
}

// CountAgents sums the groups' counts.
func CountAgents(gs []Group) int {
	n := 0
	for _, g := range gs {
		n += g.Count
	}
	return n
}
