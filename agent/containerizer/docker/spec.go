package docker

import (
	"errors"
	"fmt"
	"math"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/go-connections/nat"

	"github.com/agoraproject/agora/agent/containerizer"
	"github.com/agoraproject/agora/agent/internal/hostcmd"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	protores "github.com/agoraproject/agora/proto/resources"
)

// SandboxPath is where a container sees its sandbox, as in Mesos; its
// MESOS_SANDBOX says so.
const SandboxPath = "/mnt/mesos/sandbox"

// NamePrefix starts the name of every container, as Mesos names its
// Docker containers mesos-<container ID>.
const NamePrefix = "mesos-"

// Labels on every container. LabelWorkDir tells which agent owns it (its
// work_dir survives restarts and differs between agents on one host);
// LabelContainerID is the agent's container ID; the others say whose task
// it runs, for operators.
const (
	LabelWorkDir     = "agora.work_dir"
	LabelContainerID = "agora.container_id"
	LabelAgentID     = "agora.agent_id"
	LabelFrameworkID = "agora.framework_id"
	LabelExecutorID  = "agora.executor_id"
	LabelTaskID      = "agora.task_id"
)

// Bounds Mesos's Docker containerizer applies to resources, so that tasks
// sized for Mesos get the same limits here.
const (
	cpuSharesPerCPU = 1024
	minCPUShares    = 2
	cfsPeriodUS     = 100_000
	minCFSQuotaUS   = 1_000
	minMemoryBytes  = 32 << 20
)

// createSpec is everything needed to create one container, worked out from
// a LaunchSpec without talking to the engine.
type createSpec struct {
	name     string
	image    string
	force    bool // force_pull_image
	config   *container.Config
	host     *container.HostConfig
	net      *network.NetworkingConfig
	network  string // the NetworkMode, or the USER network's name
	user     bool   // network is a user-defined one
	cpus     float64
	memBytes int64
	// binds are host directories of volumes, created when missing as
	// `docker run -v` would.
	binds []string
}

// validName is what the engine accepts as a container name.
var validName = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)

// translate turns spec into a createSpec the way Mesos's Docker
// containerizer builds its `docker run`. Errors describe the fault for a
// TASK_FAILED message.
func translate(spec containerizer.LaunchSpec, cfg Config) (*createSpec, error) {
	ci := spec.Container
	if ci == nil || ci.GetType() != mesos.ContainerInfo_DOCKER {
		return nil, errors.New("the docker containerizer only runs containers of type DOCKER")
	}
	di := ci.GetDocker()
	if di.GetImage() == "" {
		return nil, errors.New("the DOCKER container has no image")
	}
	if !validName.MatchString(spec.ContainerID) {
		return nil, fmt.Errorf("invalid container ID %q", spec.ContainerID)
	}
	cs := &createSpec{
		name:  NamePrefix + spec.ContainerID,
		image: di.GetImage(),
		force: di.GetForcePullImage(),
		config: &container.Config{
			Image:  di.GetImage(),
			Labels: labels(spec, cfg),
		},
		host: &container.HostConfig{
			// An init as PID 1 passes SIGTERM on to the task: the kernel
			// ignores it for a PID 1 without a handler, which most shells
			// and servers are not written to be.
			Init:   boolPtr(true),
			Mounts: []mount.Mount{{Type: mount.TypeBind, Source: spec.Sandbox, Target: SandboxPath}},
		},
	}
	if err := command(cs.config, spec.Command); err != nil {
		return nil, err
	}
	cs.config.Env = environment(spec, cs.name)
	if di.GetPrivileged() {
		if !cfg.AllowPrivileged {
			return nil, errors.New("privileged Docker containers are not allowed on this agent (--docker_allow_privileged)")
		}
		cs.host.Privileged = true
	}
	if err := runAs(cs, spec.User); err != nil {
		return nil, err
	}
	cs.cpus, cs.memBytes = limits(cs.host, spec.Resources, cfg.CFS)
	if err := volumes(cs, ci.GetVolumes(), spec.Sandbox, di.GetVolumeDriver(), cfg.AllowPrivileged); err != nil {
		return nil, err
	}
	if err := networking(cs, ci, spec.Resources); err != nil {
		return nil, err
	}
	if err := parameters(cs, di.GetParameters(), cfg.AllowPrivileged); err != nil {
		return nil, err
	}
	return cs, nil
}

func boolPtr(b bool) *bool { return &b }

// runAs makes the container run as the task's user, resolved on the host
// as uid:gid with the user's supplementary groups, rather than as the
// image's user: the sandbox is that user's, and a framework must not gain
// another user (often root) by choosing an image. Without a user the
// image's applies, as in Mesos.
func runAs(cs *createSpec, name string) error {
	if name == "" {
		return nil
	}
	cred, err := hostcmd.Lookup(name)
	if err != nil {
		return err
	}
	cs.config.User = fmt.Sprintf("%d:%d", cred.Uid, cred.Gid)
	for _, g := range cred.Groups {
		if g != cred.Gid {
			cs.host.GroupAdd = append(cs.host.GroupAdd, strconv.FormatUint(uint64(g), 10))
		}
	}
	return nil
}

func labels(spec containerizer.LaunchSpec, cfg Config) map[string]string {
	l := map[string]string{LabelWorkDir: cfg.WorkDir, LabelContainerID: spec.ContainerID}
	for k, v := range map[string]string{
		LabelAgentID: spec.Owner.AgentID, LabelFrameworkID: spec.Owner.FrameworkID,
		LabelExecutorID: spec.Owner.ExecutorID, LabelTaskID: spec.Owner.TaskID,
	} {
		if v != "" {
			l[k] = v
		}
	}
	return l
}

// command sets the entrypoint and command as Mesos does: a shell command
// overrides the image's entrypoint with /bin/sh and runs `-c value`;
// otherwise value (if any) and the arguments follow the image's own
// entrypoint, and with neither the image's default command runs.
func command(c *container.Config, cmd *mesos.CommandInfo) error {
	if cmd == nil {
		return containerizer.ErrNoCommand
	}
	if cmd.GetShell() {
		if cmd.GetValue() == "" {
			return errors.New("a shell command needs a value (set shell=false to run the image's default command)")
		}
		c.Entrypoint = []string{"/bin/sh"}
		c.Cmd = []string{"-c", cmd.GetValue()}
		return nil
	}
	var argv []string
	if cmd.GetValue() != "" {
		argv = append(argv, cmd.GetValue())
	}
	argv = append(argv, cmd.GetArguments()...)
	if len(argv) > 0 {
		c.Cmd = argv
	}
	return nil
}

// environment is the agent's environment for the task, with the sandbox
// where the container sees it and the container's name, as Mesos sets
// them. A PATH equal to the agent's default is left out: it was not the
// task's choice, and the image knows where its programs are.
func environment(spec containerizer.LaunchSpec, name string) []string {
	env := make([]string, 0, len(spec.Env)+3)
	for _, kv := range spec.Env {
		k, v, _ := strings.Cut(kv, "=")
		switch {
		case k == "MESOS_SANDBOX" || k == "MESOS_CONTAINER_NAME":
			continue
		case k == "PATH" && v == hostcmd.DefaultPath:
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "MESOS_SANDBOX="+SandboxPath, "MESOS_CONTAINER_NAME="+name)
	if len(spec.Resources) > 0 {
		if role := spec.Resources[0].GetAllocationInfo().GetRole(); role != "" {
			env = append(env, "MESOS_ALLOCATION_ROLE="+role)
		}
	}
	return env
}

// limits sets CPU shares (and a CFS quota) and the memory limit from the
// resources, as Mesos does, and returns the cpus and memory bytes. Swap is
// limited with the memory, so that mem is all the container may use.
func limits(h *container.HostConfig, rs []*mesos.Resource, cfs bool) (cpus float64, mem int64) {
	if cpus = protores.Scalar(rs, "cpus"); cpus > 0 {
		h.CPUShares = max(int64(cpus*cpuSharesPerCPU), minCPUShares)
		if cfs {
			h.CPUPeriod = cfsPeriodUS
			h.CPUQuota = max(int64(math.Round(cpus*cfsPeriodUS)), minCFSQuotaUS)
		}
	}
	if mb := protores.Scalar(rs, "mem"); mb > 0 {
		mem = max(int64(mb)<<20, minMemoryBytes)
		h.Memory, h.MemorySwap = mem, mem
	}
	return cpus, mem
}

// volumes mounts ContainerInfo.volumes as Mesos does: a relative
// container path is inside the sandbox, a relative host path is a
// directory of the sandbox, and named Docker volumes come with their
// driver. An absolute host path outside the sandbox exposes the agent's
// host to the task (and the agent, root, creates it when missing): it is
// refused unless the agent allows privileged containers.
func volumes(cs *createSpec, vols []*mesos.Volume, sandbox, legacyDriver string, privileged bool) error {
	for _, v := range vols {
		target := v.GetContainerPath()
		if target == "" {
			return errors.New("a volume has no container_path")
		}
		if !path.IsAbs(target) {
			target = path.Join(SandboxPath, target)
		}
		ro := v.GetMode() == mesos.Volume_RO
		src := v.GetSource()
		switch {
		case v.GetImage() != nil:
			return fmt.Errorf("volume %s: image volumes are not supported by the docker containerizer", target)
		case v.HostPath != nil || src.GetType() == mesos.Volume_Source_HOST_PATH:
			host := v.GetHostPath()
			if v.HostPath == nil {
				host = src.GetHostPath().GetPath()
			}
			if !filepath.IsAbs(host) && !path.IsAbs(v.GetContainerPath()) {
				return fmt.Errorf("volume %s: host_path %q and container_path %q are both relative", target, host, v.GetContainerPath())
			}
			if !filepath.IsAbs(host) {
				var err error
				if host, err = inSandbox(sandbox, host); err != nil {
					return fmt.Errorf("volume %s: %w", target, err)
				}
			} else if host = filepath.Clean(host); !privileged && !within(sandbox, host) {
				return fmt.Errorf("volume %s: host_path %q is outside the sandbox; host paths need privileged containers, which this agent does not allow (--docker_allow_privileged)", target, host)
			}
			cs.binds = append(cs.binds, host)
			cs.host.Mounts = append(cs.host.Mounts, mount.Mount{Type: mount.TypeBind, Source: host, Target: target, ReadOnly: ro})
		case src.GetType() == mesos.Volume_Source_SANDBOX_PATH:
			sp := src.GetSandboxPath()
			if sp.GetType() == mesos.Volume_Source_SandboxPath_PARENT {
				return fmt.Errorf("volume %s: PARENT sandbox paths need a task group, which Docker containers are not", target)
			}
			host, err := inSandbox(sandbox, sp.GetPath())
			if err != nil {
				return fmt.Errorf("volume %s: %w", target, err)
			}
			cs.binds = append(cs.binds, host)
			cs.host.Mounts = append(cs.host.Mounts, mount.Mount{Type: mount.TypeBind, Source: host, Target: target, ReadOnly: ro})
		case src.GetType() == mesos.Volume_Source_DOCKER_VOLUME:
			dv := src.GetDockerVolume()
			if dv.GetName() == "" {
				return fmt.Errorf("volume %s: a Docker volume needs a name", target)
			}
			m := mount.Mount{Type: mount.TypeVolume, Source: dv.GetName(), Target: target, ReadOnly: ro}
			if driver := dv.GetDriver(); driver != "" || legacyDriver != "" {
				if driver == "" {
					driver = legacyDriver
				}
				opts := map[string]string{}
				for _, p := range dv.GetDriverOptions().GetParameter() {
					opts[p.GetKey()] = p.GetValue()
				}
				m.VolumeOptions = &mount.VolumeOptions{DriverConfig: &mount.Driver{Name: driver, Options: opts}}
			}
			cs.host.Mounts = append(cs.host.Mounts, m)
		default:
			return fmt.Errorf("volume %s: needs a host_path or a HOST_PATH, SANDBOX_PATH or DOCKER_VOLUME source (got %v)", target, src.GetType())
		}
	}
	return nil
}

// inSandbox resolves a relative path inside the sandbox, refusing one
// that leaves it.
func inSandbox(sandbox, rel string) (string, error) {
	if rel == "" || filepath.IsAbs(rel) {
		return "", fmt.Errorf("sandbox path %q must be relative", rel)
	}
	p := filepath.Join(sandbox, rel)
	if !within(sandbox, p) {
		return "", fmt.Errorf("sandbox path %q leaves the sandbox", rel)
	}
	return p, nil
}

// within tells whether the clean path p is dir or inside it.
func within(dir, p string) bool {
	dir = filepath.Clean(dir)
	return p == dir || strings.HasPrefix(p, dir+string(filepath.Separator)) || dir == "/"
}

// networking sets the network mode (HOST by default, as in Mesos), the
// hostname and the port mappings, whose host ports must be among the
// task's ports resources.
func networking(cs *createSpec, ci *mesos.ContainerInfo, rs []*mesos.Resource) error {
	di := ci.GetDocker()
	switch di.GetNetwork() {
	case mesos.ContainerInfo_DockerInfo_HOST:
		cs.network = "host"
	case mesos.ContainerInfo_DockerInfo_BRIDGE:
		cs.network = "bridge"
	case mesos.ContainerInfo_DockerInfo_NONE:
		cs.network = "none"
	case mesos.ContainerInfo_DockerInfo_USER:
		nis := ci.GetNetworkInfos()
		switch {
		case len(nis) == 0:
			return errors.New("a USER network needs a network_infos entry naming it")
		case len(nis) > 1:
			return errors.New("a Docker container joins a single USER network")
		case nis[0].GetName() == "":
			return errors.New("the USER network has no name")
		}
		cs.network, cs.user = nis[0].GetName(), true
		cs.net = &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{cs.network: {}}}
	default:
		return fmt.Errorf("unsupported Docker network %v", di.GetNetwork())
	}
	cs.host.NetworkMode = container.NetworkMode(cs.network)
	if h := ci.GetHostname(); h != "" {
		if cs.network == "host" {
			return errors.New("a hostname cannot be set with the HOST network")
		}
		cs.config.Hostname = h
	}
	pms := di.GetPortMappings()
	if len(pms) == 0 {
		return nil
	}
	if cs.network == "host" || cs.network == "none" {
		return errors.New("port mappings need the BRIDGE network or a USER network")
	}
	ranges := protores.Ranges(rs, "ports")
	cs.config.ExposedPorts = nat.PortSet{}
	cs.host.PortBindings = nat.PortMap{}
	for _, pm := range pms {
		if !inRanges(ranges, uint64(pm.GetHostPort())) {
			return fmt.Errorf("host port %d of a port mapping is not among the task's ports resources", pm.GetHostPort())
		}
		if pm.GetContainerPort() == 0 || pm.GetContainerPort() > 65535 {
			return fmt.Errorf("invalid container port %d", pm.GetContainerPort())
		}
		protos := strings.Split(strings.ToLower(pm.GetProtocol()), ",")
		if pm.GetProtocol() == "" {
			protos = []string{"tcp"}
		}
		for _, proto := range protos {
			if proto != "tcp" && proto != "udp" && proto != "sctp" {
				return fmt.Errorf("port mapping protocol %q is not tcp, udp or sctp", pm.GetProtocol())
			}
			p := nat.Port(strconv.Itoa(int(pm.GetContainerPort())) + "/" + proto)
			cs.config.ExposedPorts[p] = struct{}{}
			cs.host.PortBindings[p] = append(cs.host.PortBindings[p], nat.PortBinding{HostPort: strconv.Itoa(int(pm.GetHostPort()))})
		}
	}
	return nil
}

func inRanges(ranges [][2]uint64, p uint64) bool {
	for _, r := range ranges {
		if p >= r[0] && p <= r[1] {
			return true
		}
	}
	return false
}
