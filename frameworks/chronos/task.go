package chronos

import (
	"fmt"
	"regexp"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/frameworks/chronos/job"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	"github.com/agoraproject/agora/sdk/offers"
)

// resourcesOf is what a run of j asks for: its own cpus/mem/disk, the
// server's defaults where it says 0.
func (f *Framework) resourcesOf(j *job.Job) []*mesos.Resource {
	pick := func(v, d float64) float64 {
		if v > 0 {
			return v
		}
		return d
	}
	return offers.Scalars(pick(j.Cpus, f.cfg.DefaultCpus), pick(j.Mem, f.cfg.DefaultMem), pick(j.Disk, *f.cfg.DefaultDisk))
}

// taskInfo builds the Mesos task of one run of j.
func (f *Framework) taskInfo(j *job.Job, taskID string, args []string, o *mesos.Offer, rs []*mesos.Resource) *mesos.TaskInfo {
	cmd := &mesos.CommandInfo{Shell: proto.Bool(j.Shell)}
	if j.Shell {
		cmd.Value = proto.String(strings.TrimSpace(j.Command + " " + strings.Join(args, " ")))
	} else {
		cmd.Value = proto.String(j.Command)
		cmd.Arguments = append([]string{j.Command}, args...)
	}
	user := j.RunAsUser
	if user == "" {
		user = f.cfg.User
	}
	cmd.User = proto.String(user)
	env := []*mesos.Environment_Variable{
		envVar("CHRONOS_JOB_NAME", j.Name),
		envVar("CHRONOS_JOB_OWNER", j.Owner),
		envVar("CHRONOS_RESOURCE_CPU", fmt.Sprint(resourceValue(rs, "cpus"))),
		envVar("CHRONOS_RESOURCE_MEM", fmt.Sprint(resourceValue(rs, "mem"))),
		envVar("CHRONOS_RESOURCE_DISK", fmt.Sprint(resourceValue(rs, "disk"))),
	}
	for _, e := range j.EnvironmentVariables {
		env = append(env, envVar(e.Name, e.Value))
	}
	cmd.Environment = &mesos.Environment{Variables: env}
	for _, u := range j.Fetch {
		cmd.Uris = append(cmd.Uris, &mesos.CommandInfo_URI{
			Value: proto.String(u.URI), Executable: proto.Bool(u.Executable),
			Extract: proto.Bool(u.Extract), Cache: proto.Bool(u.Cache),
		})
	}
	for _, u := range j.URIs {
		cmd.Uris = append(cmd.Uris, &mesos.CommandInfo_URI{Value: proto.String(u), Extract: proto.Bool(true)})
	}
	return &mesos.TaskInfo{
		Name:      proto.String("ChronosTask:" + j.Name),
		TaskId:    &mesos.TaskID{Value: proto.String(taskID)},
		AgentId:   o.GetAgentId(),
		Resources: rs,
		Command:   cmd,
		Container: containerInfo(j.Container),
	}
}

func envVar(name, value string) *mesos.Environment_Variable {
	return &mesos.Environment_Variable{Name: proto.String(name), Value: proto.String(value)}
}

func resourceValue(rs []*mesos.Resource, name string) float64 {
	var v float64
	for _, r := range rs {
		if r.GetName() == name {
			v += r.GetScalar().GetValue()
		}
	}
	return v
}

func containerInfo(c *job.Container) *mesos.ContainerInfo {
	if c == nil {
		return nil
	}
	var vols []*mesos.Volume
	for _, v := range c.Volumes {
		mode := mesos.Volume_RW
		if strings.EqualFold(v.Mode, "RO") {
			mode = mesos.Volume_RO
		}
		vol := &mesos.Volume{ContainerPath: proto.String(v.ContainerPath), Mode: mode.Enum()}
		if v.HostPath != "" {
			vol.HostPath = proto.String(v.HostPath)
		}
		vols = append(vols, vol)
	}
	if strings.EqualFold(c.Type, "MESOS") {
		return &mesos.ContainerInfo{
			Type:    mesos.ContainerInfo_MESOS.Enum(),
			Volumes: vols,
			Mesos: &mesos.ContainerInfo_MesosInfo{Image: &mesos.Image{
				Type:   mesos.Image_DOCKER.Enum(),
				Docker: &mesos.Image_Docker{Name: proto.String(c.Image)},
				Cached: proto.Bool(!c.ForcePullImage),
			}},
		}
	}
	network := mesos.ContainerInfo_DockerInfo_HOST
	if n, ok := mesos.ContainerInfo_DockerInfo_Network_value[strings.ToUpper(c.Network)]; ok {
		network = mesos.ContainerInfo_DockerInfo_Network(n)
	}
	return &mesos.ContainerInfo{
		Type:    mesos.ContainerInfo_DOCKER.Enum(),
		Volumes: vols,
		Docker: &mesos.ContainerInfo_DockerInfo{
			Image: proto.String(c.Image), Network: network.Enum(), ForcePullImage: proto.Bool(c.ForcePullImage),
		},
	}
}

// matches reports whether offer o satisfies every constraint of j, and if
// not, which one fails (for the log). "hostname" is the agent's hostname;
// other attributes are the agent's text or scalar attributes. An agent
// without the attribute fails EQUALS and LIKE and passes UNLIKE.
func matches(j *job.Job, o *mesos.Offer) (bool, string) {
	for _, c := range j.Constraints {
		v, ok := attribute(o, c.Attribute)
		var pass bool
		switch c.Operator {
		case job.OpEquals:
			pass = ok && v == c.Value
		case job.OpLike:
			pass = ok && fullMatch(c.Value, v)
		case job.OpUnlike:
			pass = !ok || !fullMatch(c.Value, v)
		}
		if !pass {
			return false, c.String()
		}
	}
	return true, ""
}

func attribute(o *mesos.Offer, name string) (string, bool) {
	if name == "hostname" {
		return o.GetHostname(), true
	}
	for _, a := range o.GetAttributes() {
		if a.GetName() != name {
			continue
		}
		switch a.GetType() {
		case mesos.Value_TEXT:
			return a.GetText().GetValue(), true
		case mesos.Value_SCALAR:
			return fmt.Sprint(a.GetScalar().GetValue()), true
		}
	}
	return "", false
}

// fullMatch is Chronos's LIKE: the whole value matches the expression.
// Validated jobs carry only expressions that compile.
func fullMatch(expr, v string) bool {
	re, err := regexp.Compile("^(?:" + expr + ")$")
	return err == nil && re.MatchString(v)
}
