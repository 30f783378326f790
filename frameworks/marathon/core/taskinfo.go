package core

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/frameworks/marathon/app"
	"github.com/agoraproject/agora/frameworks/marathon/placement"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

func appTaskID(appID, uuid string) string { return app.TaskID(appID, uuid) }

// taskInfo builds the TaskInfo of one instance from its app and placement.
func taskInfo(a *app.App, t *task, l placement.Launch) *mesos.TaskInfo {
	ti := &mesos.TaskInfo{
		Name:      proto.String(taskName(a.ID)),
		TaskId:    &mesos.TaskID{Value: proto.String(t.ID)},
		AgentId:   &mesos.AgentID{Value: proto.String(l.AgentID)},
		Resources: l.Resources,
		Command:   command(a, t),
		Container: container(a, l.HostPorts),
	}
	if len(a.Labels) > 0 {
		ti.Labels = &mesos.Labels{}
		for _, k := range slices.Sorted(maps.Keys(a.Labels)) {
			ti.Labels.Labels = append(ti.Labels.Labels, &mesos.Label{Key: proto.String(k), Value: proto.String(a.Labels[k])})
		}
	}
	if a.TaskKillGracePeriodSeconds != nil {
		ns := int64(*a.TaskKillGracePeriodSeconds * float64(time.Second))
		ti.KillPolicy = &mesos.KillPolicy{GracePeriod: &mesos.DurationInfo{Nanoseconds: proto.Int64(ns)}}
	}
	if len(a.HealthChecks) > 0 {
		ti.HealthCheck = healthCheck(a, a.HealthChecks[0], l.HostPorts)
	}
	return ti
}

// taskName is the last segment of the app ID, as Marathon names tasks.
func taskName(id string) string {
	return id[strings.LastIndexByte(id, '/')+1:]
}

// command is the task's command: cmd through the shell, or args as argv.
func command(a *app.App, t *task) *mesos.CommandInfo {
	ci := &mesos.CommandInfo{Environment: environment(a, t)}
	docker := a.Container != nil && a.Container.Type == "DOCKER"
	switch {
	case a.Cmd != nil && *a.Cmd != "":
		ci.Shell, ci.Value = proto.Bool(true), proto.String(*a.Cmd)
	case len(a.Args) > 0:
		ci.Shell = proto.Bool(false)
		ci.Arguments = append([]string{}, a.Args...)
		if !docker {
			ci.Value = proto.String(a.Args[0])
		}
	default:
		ci.Shell = proto.Bool(false) // the image's own entrypoint
	}
	if a.User != "" {
		ci.User = proto.String(a.User)
	}
	for _, f := range a.Fetch {
		u := &mesos.CommandInfo_URI{
			Value: proto.String(f.URI), Executable: proto.Bool(f.Executable),
			Extract: proto.Bool(f.Extract), Cache: proto.Bool(f.Cache),
		}
		if f.DestPath != "" {
			u.OutputFile = proto.String(f.DestPath)
		}
		ci.Uris = append(ci.Uris, u)
	}
	if len(a.Fetch) == 0 {
		for _, uri := range a.URIs {
			ci.Uris = append(ci.Uris, &mesos.CommandInfo_URI{Value: proto.String(uri)})
		}
	}
	return ci
}

// environment is Marathon's task environment; the app's own env wins.
func environment(a *app.App, t *task) *mesos.Environment {
	env := map[string]string{
		"HOST":                       t.Host,
		"MARATHON_APP_ID":            a.ID,
		"MARATHON_APP_VERSION":       a.Version,
		"MESOS_TASK_ID":              t.ID,
		"MARATHON_APP_RESOURCE_CPUS": strconv.FormatFloat(a.CPUs, 'f', -1, 64),
		"MARATHON_APP_RESOURCE_MEM":  strconv.FormatFloat(a.Mem, 'f', -1, 64),
		"MARATHON_APP_RESOURCE_DISK": strconv.FormatFloat(a.Disk, 'f', -1, 64),
		"MARATHON_APP_RESOURCE_GPUS": strconv.Itoa(a.GPUs),
		"MARATHON_APP_DOCKER_IMAGE":  "",
	}
	if a.Container != nil && a.Container.Docker != nil {
		env["MARATHON_APP_DOCKER_IMAGE"] = a.Container.Docker.Image
	}
	if env["MARATHON_APP_DOCKER_IMAGE"] == "" {
		delete(env, "MARATHON_APP_DOCKER_IMAGE")
	}
	var labels []string
	for _, k := range slices.Sorted(maps.Keys(a.Labels)) {
		name := envName(k)
		labels = append(labels, name)
		env["MARATHON_APP_LABEL_"+name] = a.Labels[k]
	}
	if len(labels) > 0 {
		env["MARATHON_APP_LABELS"] = strings.Join(labels, " ")
	}
	ports := make([]string, len(t.Ports))
	for i, p := range t.Ports {
		ports[i] = strconv.Itoa(p)
		env[fmt.Sprintf("PORT%d", i)] = ports[i]
		if name := portName(a, i); name != "" {
			env["PORT_"+envName(name)] = ports[i]
		}
	}
	if len(ports) > 0 {
		env["PORT"] = ports[0]
		env["PORTS"] = strings.Join(ports, ",")
	}
	for k, v := range a.Env {
		env[k] = v
	}
	out := &mesos.Environment{}
	for _, k := range slices.Sorted(maps.Keys(env)) {
		out.Variables = append(out.Variables, &mesos.Environment_Variable{Name: proto.String(k), Value: proto.String(env[k])})
	}
	return out
}

func portName(a *app.App, i int) string {
	if a.Container != nil && len(a.Container.PortMappings) > 0 {
		n := 0
		for _, pm := range a.Container.PortMappings {
			if pm.HostPort == nil {
				continue
			}
			if n == i {
				return pm.Name
			}
			n++
		}
		return ""
	}
	if i < len(a.PortDefinitions) {
		return a.PortDefinitions[i].Name
	}
	return ""
}

// envName makes a label or port name an environment variable name.
func envName(s string) string {
	b := []byte(strings.ToUpper(s))
	for i, c := range b {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			b[i] = '_'
		}
	}
	return string(b)
}

// container is the task's ContainerInfo: DOCKER for the Docker
// containerizer, MESOS (optionally with a Docker image) for the native one.
func container(a *app.App, hostPorts []int) *mesos.ContainerInfo {
	ct := a.Container
	if ct == nil {
		return nil
	}
	var vols []*mesos.Volume
	for _, v := range ct.Volumes {
		mode := mesos.Volume_RW
		if strings.EqualFold(v.Mode, "RO") {
			mode = mesos.Volume_RO
		}
		mv := &mesos.Volume{ContainerPath: proto.String(v.ContainerPath), Mode: mode.Enum()}
		if v.HostPath != "" {
			mv.HostPath = proto.String(v.HostPath)
		}
		vols = append(vols, mv)
	}
	if ct.Type == "DOCKER" && ct.Docker != nil {
		d := &mesos.ContainerInfo_DockerInfo{
			Image:          proto.String(ct.Docker.Image),
			Network:        dockerNetwork(a).Enum(),
			Privileged:     proto.Bool(ct.Docker.Privileged),
			ForcePullImage: proto.Bool(ct.Docker.ForcePullImage),
		}
		for _, p := range ct.Docker.Parameters {
			d.Parameters = append(d.Parameters, &mesos.Parameter{Key: proto.String(p.Key), Value: proto.String(p.Value)})
		}
		i := 0
		for _, pm := range ct.PortMappings {
			if pm.HostPort == nil || i >= len(hostPorts) {
				continue
			}
			proto_ := strings.ToLower(pm.Protocol)
			if proto_ == "" {
				proto_ = "tcp"
			}
			for _, p := range strings.Split(proto_, ",") {
				d.PortMappings = append(d.PortMappings, &mesos.ContainerInfo_DockerInfo_PortMapping{
					HostPort: proto.Uint32(uint32(hostPorts[i])), ContainerPort: proto.Uint32(uint32(pm.ContainerPort)),
					Protocol: proto.String(p),
				})
			}
			i++
		}
		return &mesos.ContainerInfo{Type: mesos.ContainerInfo_DOCKER.Enum(), Docker: d, Volumes: vols}
	}
	ci := &mesos.ContainerInfo{Type: mesos.ContainerInfo_MESOS.Enum(), Volumes: vols}
	if ct.Docker != nil && ct.Docker.Image != "" {
		ci.Mesos = &mesos.ContainerInfo_MesosInfo{Image: &mesos.Image{
			Type:   mesos.Image_DOCKER.Enum(),
			Docker: &mesos.Image_Docker{Name: proto.String(ct.Docker.Image)},
			Cached: proto.Bool(!ct.Docker.ForcePullImage),
		}}
	}
	if ci.Mesos == nil && len(vols) == 0 {
		return nil
	}
	return ci
}

// dockerNetwork maps the app's networks to Docker's network mode.
func dockerNetwork(a *app.App) mesos.ContainerInfo_DockerInfo_Network {
	if len(a.Networks) == 0 {
		return mesos.ContainerInfo_DockerInfo_HOST
	}
	switch a.Networks[0].Mode {
	case "container/bridge":
		return mesos.ContainerInfo_DockerInfo_BRIDGE
	case "container":
		return mesos.ContainerInfo_DockerInfo_USER
	}
	return mesos.ContainerInfo_DockerInfo_HOST
}

// healthCheck translates a Marathon health check for the agent to run:
// (MESOS_)HTTP(S) → HTTP, (MESOS_)TCP → TCP, COMMAND → COMMAND.
func healthCheck(a *app.App, hc app.HealthCheck, hostPorts []int) *mesos.HealthCheck {
	out := &mesos.HealthCheck{
		DelaySeconds:        proto.Float64(float64(hc.DelaySeconds)),
		IntervalSeconds:     proto.Float64(float64(hc.IntervalSeconds)),
		TimeoutSeconds:      proto.Float64(float64(hc.TimeoutSeconds)),
		ConsecutiveFailures: proto.Uint32(uint32(max(hc.MaxConsecutiveFailures, 0))),
		GracePeriodSeconds:  proto.Float64(float64(hc.GracePeriodSeconds)),
	}
	port := checkPort(a, hc, hostPorts)
	switch strings.ToUpper(hc.Protocol) {
	case "HTTP", "HTTPS", "MESOS_HTTP", "MESOS_HTTPS":
		http := &mesos.HealthCheck_HTTPCheckInfo{Port: proto.Uint32(uint32(port))}
		if hc.Path != "" {
			http.Path = proto.String(hc.Path)
		}
		if strings.HasSuffix(strings.ToUpper(hc.Protocol), "HTTPS") {
			http.Scheme = proto.String("https")
		}
		out.Type, out.Http = mesos.HealthCheck_HTTP.Enum(), http
	case "TCP", "MESOS_TCP":
		out.Type, out.Tcp = mesos.HealthCheck_TCP.Enum(), &mesos.HealthCheck_TCPCheckInfo{Port: proto.Uint32(uint32(port))}
	default: // COMMAND
		cmd := ""
		if hc.Command != nil {
			cmd = hc.Command.Value
		}
		out.Type = mesos.HealthCheck_COMMAND.Enum()
		out.Command = &mesos.CommandInfo{Shell: proto.Bool(true), Value: proto.String(cmd)}
	}
	return out
}

// checkPort is the port a check probes: the explicit port, or the one at
// portIndex — the container port under bridge networking (the check runs
// in the container's network), else the host port.
func checkPort(a *app.App, hc app.HealthCheck, hostPorts []int) int {
	if hc.Port != nil {
		return *hc.Port
	}
	i := 0
	if hc.PortIndex != nil {
		i = *hc.PortIndex
	}
	if dockerNetwork(a) != mesos.ContainerInfo_DockerInfo_HOST && a.Container != nil && i < len(a.Container.PortMappings) {
		return a.Container.PortMappings[i].ContainerPort
	}
	if i < len(hostPorts) {
		return hostPorts[i]
	}
	return 0
}
