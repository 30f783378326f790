package docker

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/go-units"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// Mesos passes DockerInfo.parameters to `docker run` as --key=value
// unchecked, which lets any framework mount the host's root or join its
// PID namespace. Agora talks to the engine's API, so each parameter is
// translated here, and only these are: the safe ones always, the ones that
// widen what a container may do only where the agent allows privileged
// containers.
var (
	safeParams = map[string]func(*createSpec, string) error{
		"env":               func(c *createSpec, v string) error { c.config.Env = append(c.config.Env, v); return nil },
		"label":             setLabel,
		"hostname":          setHostname,
		"workdir":           func(c *createSpec, v string) error { c.config.WorkingDir = v; return nil },
		"entrypoint":        func(c *createSpec, v string) error { c.config.Entrypoint = []string{v}; return nil },
		"stop-signal":       func(c *createSpec, v string) error { c.config.StopSignal = v; return nil },
		"add-host":          func(c *createSpec, v string) error { c.host.ExtraHosts = append(c.host.ExtraHosts, v); return nil },
		"dns":               func(c *createSpec, v string) error { c.host.DNS = append(c.host.DNS, v); return nil },
		"dns-search":        func(c *createSpec, v string) error { c.host.DNSSearch = append(c.host.DNSSearch, v); return nil },
		"dns-opt":           func(c *createSpec, v string) error { c.host.DNSOptions = append(c.host.DNSOptions, v); return nil },
		"dns-option":        func(c *createSpec, v string) error { c.host.DNSOptions = append(c.host.DNSOptions, v); return nil },
		"cap-drop":          func(c *createSpec, v string) error { c.host.CapDrop = append(c.host.CapDrop, v); return nil },
		"shm-size":          setShmSize,
		"ulimit":            setUlimit,
		"tmpfs":             setTmpfs,
		"read-only":         func(c *createSpec, v string) error { return setBool(&c.host.ReadonlyRootfs, v) },
		"init":              setInit,
		"sysctl":            setSysctl,
		"pids-limit":        setPidsLimit,
		"memory-swappiness": setSwappiness,
		"network-alias":     setAlias,
		"security-opt":      setNoNewPrivileges,
	}
	privilegedParams = map[string]func(*createSpec, string) error{
		"cap-add":      func(c *createSpec, v string) error { c.host.CapAdd = append(c.host.CapAdd, v); return nil },
		"security-opt": func(c *createSpec, v string) error { c.host.SecurityOpt = append(c.host.SecurityOpt, v); return nil },
		"device":       setDevice,
		"pid":          func(c *createSpec, v string) error { c.host.PidMode = container.PidMode(v); return nil },
		"ipc":          func(c *createSpec, v string) error { c.host.IpcMode = container.IpcMode(v); return nil },
		// The task runs as its user (LaunchSpec.User); another user or
		// more groups could reach what that user may not.
		"user":      func(c *createSpec, v string) error { c.config.User = v; return nil },
		"group-add": func(c *createSpec, v string) error { c.host.GroupAdd = append(c.host.GroupAdd, v); return nil },
	}
)

// AllowedParameters lists the parameter keys a container may use, with
// or without privileges allowed, for documentation and error messages.
func AllowedParameters(privileged bool) []string {
	var keys []string
	for k := range safeParams {
		keys = append(keys, k)
	}
	if privileged {
		for k := range privilegedParams {
			if !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
	}
	slices.Sort(keys)
	return keys
}

// parameters applies DockerInfo.parameters (keys without their leading
// dashes, as Mesos takes them).
func parameters(cs *createSpec, params []*mesos.Parameter, privileged bool) error {
	for _, p := range params {
		key := strings.TrimLeft(p.GetKey(), "-")
		set, ok := safeParams[key]
		if privileged {
			if f, ok2 := privilegedParams[key]; ok2 {
				set, ok = f, true
			}
		}
		if !ok {
			if _, priv := privilegedParams[key]; priv {
				return fmt.Errorf("Docker parameter %q needs privileged containers, which this agent does not allow (--docker_allow_privileged)", key)
			}
			return fmt.Errorf("Docker parameter %q is not allowed; allowed: %s", key, strings.Join(AllowedParameters(privileged), ", "))
		}
		if err := set(cs, p.GetValue()); err != nil {
			return fmt.Errorf("Docker parameter %s=%q: %w", key, p.GetValue(), err)
		}
	}
	return nil
}

func setLabel(c *createSpec, v string) error {
	k, val, _ := strings.Cut(v, "=")
	if k == "" {
		return fmt.Errorf("want key=value")
	}
	if strings.HasPrefix(k, "agora.") {
		return fmt.Errorf("the agora.* labels are the agent's")
	}
	c.config.Labels[k] = val
	return nil
}

func setHostname(c *createSpec, v string) error {
	if c.network == "host" {
		return fmt.Errorf("a hostname cannot be set with the HOST network")
	}
	c.config.Hostname = v
	return nil
}

func setBool(b *bool, v string) error {
	if v == "" {
		*b = true
		return nil
	}
	x, err := strconv.ParseBool(v)
	*b = x
	return err
}

func setInit(c *createSpec, v string) error {
	var b bool
	if err := setBool(&b, v); err != nil {
		return err
	}
	c.host.Init = &b
	return nil
}

func setShmSize(c *createSpec, v string) error {
	n, err := units.RAMInBytes(v)
	if err != nil {
		return err
	}
	c.host.ShmSize = n
	return nil
}

func setUlimit(c *createSpec, v string) error {
	u, err := units.ParseUlimit(v)
	if err != nil {
		return err
	}
	c.host.Ulimits = append(c.host.Ulimits, &container.Ulimit{Name: u.Name, Soft: u.Soft, Hard: u.Hard})
	return nil
}

func setTmpfs(c *createSpec, v string) error {
	dst, opts, _ := strings.Cut(v, ":")
	if !strings.HasPrefix(dst, "/") {
		return fmt.Errorf("want an absolute path[:options]")
	}
	if c.host.Tmpfs == nil {
		c.host.Tmpfs = map[string]string{}
	}
	c.host.Tmpfs[dst] = opts
	return nil
}

func setSysctl(c *createSpec, v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || k == "" {
		return fmt.Errorf("want name=value")
	}
	if c.host.Sysctls == nil {
		c.host.Sysctls = map[string]string{}
	}
	// The engine refuses sysctls that are not namespaced to the container.
	c.host.Sysctls[k] = val
	return nil
}

func setPidsLimit(c *createSpec, v string) error {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return fmt.Errorf("want a positive number")
	}
	c.host.PidsLimit = &n
	return nil
}

func setSwappiness(c *createSpec, v string) error {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 || n > 100 {
		return fmt.Errorf("want 0 to 100")
	}
	c.host.MemorySwappiness = &n
	return nil
}

func setAlias(c *createSpec, v string) error {
	if !c.user {
		return fmt.Errorf("network aliases need a USER network")
	}
	if c.net == nil {
		c.net = &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{}}
	}
	ep := c.net.EndpointsConfig[c.network]
	if ep == nil {
		ep = &network.EndpointSettings{}
		c.net.EndpointsConfig[c.network] = ep
	}
	ep.Aliases = append(ep.Aliases, v)
	return nil
}

// setNoNewPrivileges is the one security option that only takes away.
func setNoNewPrivileges(c *createSpec, v string) error {
	if v != "no-new-privileges" && v != "no-new-privileges:true" && v != "no-new-privileges=true" {
		return fmt.Errorf("only no-new-privileges is allowed without privileged containers (--docker_allow_privileged)")
	}
	c.host.SecurityOpt = append(c.host.SecurityOpt, v)
	return nil
}

// setDevice parses host[:container[:permissions]] as `docker run --device`.
func setDevice(c *createSpec, v string) error {
	parts := strings.Split(v, ":")
	d := container.DeviceMapping{PathOnHost: parts[0], PathInContainer: parts[0], CgroupPermissions: "rwm"}
	switch len(parts) {
	case 1:
	case 2:
		d.PathInContainer = parts[1]
	case 3:
		d.PathInContainer, d.CgroupPermissions = parts[1], parts[2]
	default:
		return fmt.Errorf("want host[:container[:permissions]]")
	}
	if !strings.HasPrefix(d.PathOnHost, "/") || !strings.HasPrefix(d.PathInContainer, "/") {
		return fmt.Errorf("device paths must be absolute")
	}
	c.host.Devices = append(c.host.Devices, d)
	return nil
}
