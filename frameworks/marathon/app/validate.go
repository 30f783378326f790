package app

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// idSegmentPattern is Marathon's rule for one path segment of an app or
// group ID: lowercase letters, digits, '-' and '.', not starting or ending
// with '-'.
const idSegmentPattern = `^(([a-z0-9]|[a-z0-9][a-z0-9\-]*[a-z0-9])\.)*([a-z0-9]|[a-z0-9][a-z0-9\-]*[a-z0-9])|(\.|\.\.)$`

// idSegment matches a whole segment: Marathon's pattern is applied as a full
// match, which its top-level alternation does not express by itself.
var idSegment = regexp.MustCompile(`^(?:` + idSegmentPattern + `)$`)

// Constraint operators Marathon knows.
const (
	OpUnique          = "UNIQUE"
	OpCluster         = "CLUSTER"
	OpGroupBy         = "GROUP_BY"
	OpLike            = "LIKE"
	OpUnlike          = "UNLIKE"
	OpMaxPer          = "MAX_PER"
	OpIs              = "IS"
	constraintOpsList = "UNIQUE, CLUSTER, GROUP_BY, LIKE, UNLIKE, MAX_PER, IS"
)

const (
	msgNonNegative = "must be greater than or equal to 0"
	msgNoCommand   = "AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'."
	msgCmdAndArgs  = "AppDefinition must either contain a 'cmd' or a 'args', but not both."
	msgEmpty       = "must not be empty"
	msgPortIndex   = "Health check port indices must address an element of the ports array or container port mappings."
	msgUniquePorts = "Ports must be unique."
	msgUniqueNames = "Port names must be unique."
)

// ValidID checks an absolute app or group ID: every segment must match
// Marathon's pattern. It returns "" when valid, else the message.
func ValidID(id string) string {
	if id == "" || id == "/" {
		return "path must not be empty or root"
	}
	for _, seg := range strings.Split(strings.TrimPrefix(CanonicalID(id), "/"), "/") {
		if !idSegment.MatchString(seg) || seg == "." || seg == ".." {
			return fmt.Sprintf("must match %q", idSegmentPattern)
		}
	}
	return ""
}

// violations collects failures in the order they are found, one entry per
// path.
type violations []Violation

func (vs *violations) add(path, msg string) {
	for i := range *vs {
		if (*vs)[i].Path == path {
			(*vs)[i].Errors = append((*vs)[i].Errors, msg)
			return
		}
	}
	*vs = append(*vs, Violation{Path: path, Errors: []string{msg}})
}

func (vs *violations) nonNegative(path string, v float64) {
	if v < 0 {
		vs.add(path, msgNonNegative)
	}
}

// Validate checks a normalized app against Marathon's rules and returns the
// failures with their JSON paths, or nil when the app is valid.
func (a *App) Validate() []Violation {
	var vs violations
	if a.ID == "" {
		vs.add("/id", "is required")
	} else if msg := ValidID(a.ID); msg != "" {
		vs.add("/id", msg)
	}
	hasCmd := a.Cmd != nil && strings.TrimSpace(*a.Cmd) != ""
	hasImage := a.Container != nil && a.Container.Docker != nil && a.Container.Docker.Image != ""
	switch {
	case hasCmd && len(a.Args) > 0:
		vs.add("/", msgCmdAndArgs)
	case !hasCmd && len(a.Args) == 0 && !hasImage:
		vs.add("/", msgNoCommand)
	}
	vs.nonNegative("/instances", float64(a.Instances))
	vs.nonNegative("/cpus", a.CPUs)
	vs.nonNegative("/mem", a.Mem)
	vs.nonNegative("/disk", a.Disk)
	vs.nonNegative("/gpus", float64(a.GPUs))
	vs.nonNegative("/backoffSeconds", a.BackoffSeconds)
	if a.BackoffFactor < 1 {
		vs.add("/backoffFactor", "must be greater than or equal to 1.0")
	}
	vs.nonNegative("/maxLaunchDelaySeconds", a.MaxLaunchDelaySeconds)
	if a.TaskKillGracePeriodSeconds != nil && *a.TaskKillGracePeriodSeconds <= 0 {
		vs.add("/taskKillGracePeriodSeconds", "must be greater than 0")
	}
	if a.KillSelection != "" && a.KillSelection != YoungestFirst && a.KillSelection != OldestFirst {
		vs.add("/killSelection", "must be one of YOUNGEST_FIRST, OLDEST_FIRST")
	}
	for i, c := range a.Constraints {
		if msg := CheckConstraint(c); msg != "" {
			vs.add(fmt.Sprintf("/constraints(%d)", i), msg)
		}
	}
	for i, d := range a.Dependencies {
		if msg := ValidID(d); msg != "" {
			vs.add(fmt.Sprintf("/dependencies(%d)", i), msg)
		}
	}
	for i, f := range a.Fetch {
		if strings.TrimSpace(f.URI) == "" {
			vs.add(fmt.Sprintf("/fetch(%d)/uri", i), msgEmpty)
		}
	}
	a.validatePorts(&vs)
	a.validateContainer(&vs)
	a.validateHealthChecks(&vs)
	a.validateStrategies(&vs)
	if len(vs) == 0 {
		return nil
	}
	return vs
}

// CheckConstraint checks one constraint's grammar: [field, OP] or
// [field, OP, value]. It returns "" when valid, else the message.
func CheckConstraint(c []string) string {
	if len(c) < 2 || len(c) > 3 {
		return "Each constraint must have either 2 or 3 fields"
	}
	if c[0] == "" {
		return "Missing field for constraint"
	}
	value, hasValue := "", len(c) == 3
	if hasValue {
		value = c[2]
	}
	switch c[1] {
	case OpUnique:
		if hasValue {
			return "Value was specified but is not used by UNIQUE"
		}
	case OpCluster, OpIs:
		if c[1] == OpIs && (!hasValue || value == "") {
			return "IS requires a value"
		}
	case OpGroupBy:
		if hasValue && value != "" {
			if _, err := strconv.Atoi(value); err != nil {
				return "Value was not an integer"
			}
		}
	case OpMaxPer:
		if !hasValue {
			return "MAX_PER requires a value"
		}
		if n, err := strconv.Atoi(value); err != nil || n < 0 {
			return "Value was not an integer"
		}
	case OpLike, OpUnlike:
		if !hasValue {
			return c[1] + " requires a value"
		}
		if _, err := regexp.Compile("^(" + value + ")$"); err != nil {
			return fmt.Sprintf("'%s' is not a valid regular expression", value)
		}
	default:
		return "Constraint operator must be one of the following: " + constraintOpsList
	}
	return ""
}

func (a *App) validatePorts(vs *violations) {
	seen := map[int]bool{}
	names := map[string]bool{}
	for i, p := range a.PortDefinitions {
		if p.Port < 0 || p.Port > 65535 {
			vs.add(fmt.Sprintf("/portDefinitions(%d)/port", i), "must be between 0 and 65535")
		}
		if p.Protocol != "tcp" && p.Protocol != "udp" && p.Protocol != "udp,tcp" && p.Protocol != "tcp,udp" {
			vs.add(fmt.Sprintf("/portDefinitions(%d)/protocol", i), "must be one of tcp, udp, udp,tcp")
		}
		if p.Port != 0 && seen[p.Port] {
			vs.add("/portDefinitions", msgUniquePorts)
		}
		seen[p.Port] = true
		if p.Name != "" && names[p.Name] {
			vs.add("/portDefinitions", msgUniqueNames)
		}
		names[p.Name] = true
	}
	for i, n := range a.Networks {
		switch n.Mode {
		case "host", "container/bridge", "container":
		default:
			vs.add(fmt.Sprintf("/networks(%d)/mode", i), "must be one of host, container/bridge, container")
		}
	}
}

func (a *App) validateContainer(vs *violations) {
	c := a.Container
	if c == nil {
		return
	}
	switch c.Type {
	case "DOCKER":
		if c.Docker == nil || strings.TrimSpace(c.Docker.Image) == "" {
			vs.add("/container/docker/image", msgEmpty)
		}
	case "MESOS":
	default:
		vs.add("/container/type", "must be one of DOCKER, MESOS")
	}
	for i, v := range c.Volumes {
		if v.ContainerPath == "" {
			vs.add(fmt.Sprintf("/container/volumes(%d)/containerPath", i), msgEmpty)
		}
		if v.Mode != "RO" && v.Mode != "RW" {
			vs.add(fmt.Sprintf("/container/volumes(%d)/mode", i), "must be one of RO, RW")
		}
	}
	hostPorts := map[int]bool{}
	for i, m := range c.PortMappings {
		if m.ContainerPort < 0 || m.ContainerPort > 65535 {
			vs.add(fmt.Sprintf("/container/portMappings(%d)/containerPort", i), "must be between 0 and 65535")
		}
		if m.HostPort != nil {
			if *m.HostPort < 0 || *m.HostPort > 65535 {
				vs.add(fmt.Sprintf("/container/portMappings(%d)/hostPort", i), "must be between 0 and 65535")
			}
			if *m.HostPort != 0 && hostPorts[*m.HostPort] {
				vs.add("/container/portMappings", msgUniquePorts)
			}
			hostPorts[*m.HostPort] = true
		}
	}
}

func (a *App) validateHealthChecks(vs *violations) {
	ports := len(a.PortDefinitions)
	if a.Container != nil && len(a.Container.PortMappings) > ports {
		ports = len(a.Container.PortMappings)
	}
	for i, h := range a.HealthChecks {
		p := fmt.Sprintf("/healthChecks(%d)", i)
		switch h.Protocol {
		case "HTTP", "HTTPS", "TCP", "MESOS_HTTP", "MESOS_HTTPS", "MESOS_TCP":
			if h.PortIndex != nil && (*h.PortIndex < 0 || *h.PortIndex >= ports) && h.Port == nil {
				vs.add(p, msgPortIndex)
			}
			if h.Port != nil && (*h.Port < 0 || *h.Port > 65535) {
				vs.add(p+"/port", "must be between 0 and 65535")
			}
		case "COMMAND":
			if h.Command == nil || strings.TrimSpace(h.Command.Value) == "" {
				vs.add(p+"/command", "COMMAND health checks require a command")
			}
		default:
			vs.add(p+"/protocol", "must be one of HTTP, HTTPS, TCP, COMMAND, MESOS_HTTP, MESOS_HTTPS, MESOS_TCP")
		}
		vs.nonNegative(p+"/gracePeriodSeconds", float64(h.GracePeriodSeconds))
		if h.IntervalSeconds < 1 {
			vs.add(p+"/intervalSeconds", "must be greater than or equal to 1")
		}
		if h.TimeoutSeconds < 1 {
			vs.add(p+"/timeoutSeconds", "must be greater than or equal to 1")
		}
		vs.nonNegative(p+"/maxConsecutiveFailures", float64(h.MaxConsecutiveFailures))
		vs.nonNegative(p+"/delaySeconds", float64(h.DelaySeconds))
	}
	for i, r := range a.ReadinessChecks {
		p := fmt.Sprintf("/readinessChecks(%d)", i)
		if r.Protocol != "HTTP" && r.Protocol != "HTTPS" {
			vs.add(p+"/protocol", "must be one of HTTP, HTTPS")
		}
		if r.IntervalSeconds < 1 {
			vs.add(p+"/intervalSeconds", "must be greater than or equal to 1")
		}
		if r.TimeoutSeconds < 1 {
			vs.add(p+"/timeoutSeconds", "must be greater than or equal to 1")
		}
	}
}

func (a *App) validateStrategies(vs *violations) {
	if s := a.UpgradeStrategy; s != nil {
		if s.MinimumHealthCapacity < 0 || s.MinimumHealthCapacity > 1 {
			vs.add("/upgradeStrategy/minimumHealthCapacity", "must be between 0.0 and 1.0")
		}
		if s.MaximumOverCapacity < 0 || s.MaximumOverCapacity > 1 {
			vs.add("/upgradeStrategy/maximumOverCapacity", "must be between 0.0 and 1.0")
		}
	}
	if u := a.UnreachableStrategy; u != nil && !u.Disabled {
		vs.nonNegative("/unreachableStrategy/inactiveAfterSeconds", float64(u.InactiveAfterSeconds))
		if u.ExpungeAfterSeconds < u.InactiveAfterSeconds {
			vs.add("/unreachableStrategy/expungeAfterSeconds", "must be greater than or equal to inactiveAfterSeconds")
		}
	}
}
