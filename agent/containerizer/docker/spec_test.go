package docker

import (
	"os/user"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/mount"
	"github.com/docker/go-connections/nat"
	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/agent/containerizer"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

func scalar(name string, v float64) *mesos.Resource {
	return &mesos.Resource{Name: proto.String(name), Type: mesos.Value_SCALAR.Enum(), Scalar: &mesos.Value_Scalar{Value: proto.Float64(v)}}
}

func ports(begin, end uint64) *mesos.Resource {
	return &mesos.Resource{Name: proto.String("ports"), Type: mesos.Value_RANGES.Enum(), Ranges: &mesos.Value_Ranges{
		Range: []*mesos.Value_Range{{Begin: proto.Uint64(begin), End: proto.Uint64(end)}},
	}}
}

// baseSpec is a shell task in a DOCKER container on the HOST network.
func baseSpec() containerizer.LaunchSpec {
	return containerizer.LaunchSpec{
		ContainerID: "c1",
		Sandbox:     "/work/sandbox",
		Command:     &mesos.CommandInfo{Value: proto.String("echo hi")},
		Container: &mesos.ContainerInfo{Type: mesos.ContainerInfo_DOCKER.Enum(),
			Docker: &mesos.ContainerInfo_DockerInfo{Image: proto.String("img:1")}},
		Env:   []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "MESOS_SANDBOX=/work/sandbox", "A=b"},
		Owner: containerizer.Owner{AgentID: "S1", FrameworkID: "fw", ExecutorID: "e", TaskID: "t"},
	}
}

var testCfg = Config{WorkDir: "/var/lib/agora"}

func TestTranslateBasics(t *testing.T) {
	cs, err := translate(baseSpec(), testCfg)
	if err != nil {
		t.Fatal(err)
	}
	if cs.name != "mesos-c1" || cs.image != "img:1" || cs.network != "host" || cs.host.NetworkMode != "host" {
		t.Errorf("name %q image %q network %q", cs.name, cs.image, cs.network)
	}
	if !reflect.DeepEqual([]string(cs.config.Entrypoint), []string{"/bin/sh"}) || !reflect.DeepEqual([]string(cs.config.Cmd), []string{"-c", "echo hi"}) {
		t.Errorf("entrypoint %q cmd %q", cs.config.Entrypoint, cs.config.Cmd)
	}
	wantEnv := []string{"A=b", "MESOS_SANDBOX=/mnt/mesos/sandbox", "MESOS_CONTAINER_NAME=mesos-c1"}
	if !reflect.DeepEqual(cs.config.Env, wantEnv) {
		t.Errorf("env %q, want %q (the agent's default PATH left to the image)", cs.config.Env, wantEnv)
	}
	wantLabels := map[string]string{LabelWorkDir: "/var/lib/agora", LabelContainerID: "c1", LabelAgentID: "S1",
		LabelFrameworkID: "fw", LabelExecutorID: "e", LabelTaskID: "t"}
	if !reflect.DeepEqual(cs.config.Labels, wantLabels) {
		t.Errorf("labels %v", cs.config.Labels)
	}
	wantMounts := []mount.Mount{{Type: mount.TypeBind, Source: "/work/sandbox", Target: SandboxPath}}
	if !reflect.DeepEqual(cs.host.Mounts, wantMounts) || cs.host.Init == nil || !*cs.host.Init || cs.host.Privileged {
		t.Errorf("host config %+v", cs.host)
	}
	if cs.config.WorkingDir != "" {
		t.Errorf("working dir %q decided before the image is known", cs.config.WorkingDir)
	}
}

func TestTranslateCommand(t *testing.T) {
	for _, c := range []struct {
		name       string
		cmd        *mesos.CommandInfo
		entry, arg []string
		err        string
	}{
		{"shell", &mesos.CommandInfo{Value: proto.String("ls /")}, []string{"/bin/sh"}, []string{"-c", "ls /"}, ""},
		{"no shell: value then arguments", &mesos.CommandInfo{Shell: proto.Bool(false), Value: proto.String("run"), Arguments: []string{"a", "b c"}},
			nil, []string{"run", "a", "b c"}, ""},
		{"no shell: arguments only", &mesos.CommandInfo{Shell: proto.Bool(false), Arguments: []string{"--port", "80"}}, nil, []string{"--port", "80"}, ""},
		{"no shell, nothing: the image's default", &mesos.CommandInfo{Shell: proto.Bool(false)}, nil, nil, ""},
		{"shell without value", &mesos.CommandInfo{}, nil, nil, "shell command needs a value"},
		{"no command", nil, nil, nil, "no command"},
	} {
		t.Run(c.name, func(t *testing.T) {
			spec := baseSpec()
			spec.Command = c.cmd
			cs, err := translate(spec, testCfg)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(cs.config.Entrypoint, c.entry) || !slices.Equal(cs.config.Cmd, c.arg) {
				t.Errorf("entrypoint %q cmd %q, want %q %q", cs.config.Entrypoint, cs.config.Cmd, c.entry, c.arg)
			}
		})
	}
}

func TestTranslateLimits(t *testing.T) {
	for _, c := range []struct {
		cpus, mem            float64
		cfs                  bool
		shares, quota, bytes int64
	}{
		{0.5, 64, false, 512, 0, 64 << 20},
		{0.5, 64, true, 512, 50_000, 64 << 20},
		{0.001, 8, true, 2, 1_000, 32 << 20}, // Mesos's minimums
		{2, 0, false, 2048, 0, 0},
	} {
		spec := baseSpec()
		spec.Resources = []*mesos.Resource{scalar("cpus", c.cpus)}
		if c.mem > 0 {
			spec.Resources = append(spec.Resources, scalar("mem", c.mem))
		}
		cfg := testCfg
		cfg.CFS = c.cfs
		cs, err := translate(spec, cfg)
		if err != nil {
			t.Fatal(err)
		}
		h := cs.host
		if h.CPUShares != c.shares || h.CPUQuota != c.quota || h.Memory != c.bytes || h.MemorySwap != c.bytes || cs.memBytes != c.bytes {
			t.Errorf("%+v: shares %d quota %d (period %d) memory %d swap %d", c, h.CPUShares, h.CPUQuota, h.CPUPeriod, h.Memory, h.MemorySwap)
		}
		if c.cfs && h.CPUPeriod != 100_000 {
			t.Errorf("period %d", h.CPUPeriod)
		}
	}
}

func TestTranslateVolumes(t *testing.T) {
	vol := func(host, ctr string, mode mesos.Volume_Mode) *mesos.Volume {
		v := &mesos.Volume{ContainerPath: proto.String(ctr), Mode: mode.Enum()}
		if host != "" {
			v.HostPath = proto.String(host)
		}
		return v
	}
	spec := baseSpec()
	spec.Container.Volumes = []*mesos.Volume{
		vol("/srv/data", "/data", mesos.Volume_RO),
		vol("cache", "/cache", mesos.Volume_RW),
		vol("/srv/logs", "logs", mesos.Volume_RW),
		{ContainerPath: proto.String("/named"), Mode: mesos.Volume_RW.Enum(), Source: &mesos.Volume_Source{
			Type:         mesos.Volume_Source_DOCKER_VOLUME.Enum(),
			DockerVolume: &mesos.Volume_Source_DockerVolume{Name: proto.String("vol1"), Driver: proto.String("local")},
		}},
		{ContainerPath: proto.String("/shared"), Mode: mesos.Volume_RO.Enum(), Source: &mesos.Volume_Source{
			Type:        mesos.Volume_Source_SANDBOX_PATH.Enum(),
			SandboxPath: &mesos.Volume_Source_SandboxPath{Type: mesos.Volume_Source_SandboxPath_SELF.Enum(), Path: proto.String("shared")},
		}},
	}
	privCfg := testCfg
	privCfg.AllowPrivileged = true
	cs, err := translate(spec, privCfg)
	if err != nil {
		t.Fatal(err)
	}
	want := []mount.Mount{
		{Type: mount.TypeBind, Source: "/work/sandbox", Target: SandboxPath},
		{Type: mount.TypeBind, Source: "/srv/data", Target: "/data", ReadOnly: true},
		{Type: mount.TypeBind, Source: "/work/sandbox/cache", Target: "/cache"},
		{Type: mount.TypeBind, Source: "/srv/logs", Target: "/mnt/mesos/sandbox/logs"},
		{Type: mount.TypeVolume, Source: "vol1", Target: "/named", VolumeOptions: &mount.VolumeOptions{
			DriverConfig: &mount.Driver{Name: "local", Options: map[string]string{}}}},
		{Type: mount.TypeBind, Source: "/work/sandbox/shared", Target: "/shared", ReadOnly: true},
	}
	if !reflect.DeepEqual(cs.host.Mounts, want) {
		t.Errorf("mounts\n got %+v\nwant %+v", cs.host.Mounts, want)
	}
	if want := []string{"/srv/data", "/work/sandbox/cache", "/srv/logs", "/work/sandbox/shared"}; !slices.Equal(cs.binds, want) {
		t.Errorf("binds %q, want %q", cs.binds, want)
	}
	for name, v := range map[string]*mesos.Volume{
		"both relative":     vol("a", "b", mesos.Volume_RW),
		"leaves sandbox":    vol("../../etc", "/etc2", mesos.Volume_RW),
		"no source":         {ContainerPath: proto.String("/x"), Mode: mesos.Volume_RW.Enum()},
		"image volume":      {ContainerPath: proto.String("/x"), Mode: mesos.Volume_RW.Enum(), Image: &mesos.Image{}},
		"no container path": vol("/a", "", mesos.Volume_RW),
	} {
		spec := baseSpec()
		spec.Container.Volumes = []*mesos.Volume{v}
		if _, err := translate(spec, testCfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestTranslateHostPathVolumes: without privileged containers, a host path
// must be in the sandbox; named volumes and sandbox paths stay allowed.
func TestTranslateHostPathVolumes(t *testing.T) {
	hostPath := func(p string) *mesos.Volume {
		return &mesos.Volume{ContainerPath: proto.String("/x"), Mode: mesos.Volume_RW.Enum(), Source: &mesos.Volume_Source{
			Type: mesos.Volume_Source_HOST_PATH.Enum(), HostPath: &mesos.Volume_Source_HostPath{Path: proto.String(p)}}}
	}
	for _, v := range []*mesos.Volume{
		{HostPath: proto.String("/etc"), ContainerPath: proto.String("/etc2"), Mode: mesos.Volume_RO.Enum()},
		{HostPath: proto.String("/work/sandbox/../other"), ContainerPath: proto.String("/o"), Mode: mesos.Volume_RO.Enum()},
		{HostPath: proto.String("/work/sandboxes"), ContainerPath: proto.String("/o"), Mode: mesos.Volume_RO.Enum()},
		hostPath("/var/run/docker.sock"),
	} {
		spec := baseSpec()
		spec.Container.Volumes = []*mesos.Volume{v}
		_, err := translate(spec, testCfg)
		if err == nil || !strings.Contains(err.Error(), "volume "+v.GetContainerPath()+": host_path") ||
			!strings.Contains(err.Error(), "--docker_allow_privileged") {
			t.Errorf("%v: %v, want a refusal naming the volume", v, err)
		}
	}
	spec := baseSpec()
	spec.Container.Volumes = []*mesos.Volume{
		{HostPath: proto.String("/work/sandbox/data"), ContainerPath: proto.String("/data"), Mode: mesos.Volume_RW.Enum()},
		{HostPath: proto.String("cache"), ContainerPath: proto.String("/cache"), Mode: mesos.Volume_RW.Enum()},
		{ContainerPath: proto.String("/named"), Mode: mesos.Volume_RW.Enum(), Source: &mesos.Volume_Source{
			Type: mesos.Volume_Source_DOCKER_VOLUME.Enum(), DockerVolume: &mesos.Volume_Source_DockerVolume{Name: proto.String("vol1")}}},
	}
	cs, err := translate(spec, testCfg)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"/work/sandbox/data", "/work/sandbox/cache"}; !slices.Equal(cs.binds, want) {
		t.Errorf("binds %q, want %q", cs.binds, want)
	}
}

func TestTranslateNetworks(t *testing.T) {
	bridge := func(pms ...*mesos.ContainerInfo_DockerInfo_PortMapping) containerizer.LaunchSpec {
		spec := baseSpec()
		spec.Container.Docker.Network = mesos.ContainerInfo_DockerInfo_BRIDGE.Enum()
		spec.Container.Docker.PortMappings = pms
		spec.Resources = []*mesos.Resource{scalar("cpus", 1), ports(31000, 31009)}
		return spec
	}
	pm := func(host, ctr uint32, proto_ string) *mesos.ContainerInfo_DockerInfo_PortMapping {
		m := &mesos.ContainerInfo_DockerInfo_PortMapping{HostPort: proto.Uint32(host), ContainerPort: proto.Uint32(ctr)}
		if proto_ != "" {
			m.Protocol = proto.String(proto_)
		}
		return m
	}
	spec := bridge(pm(31000, 80, ""), pm(31005, 53, "tcp,udp"))
	spec.Container.Hostname = proto.String("web")
	cs, err := translate(spec, testCfg)
	if err != nil {
		t.Fatal(err)
	}
	wantBindings := nat.PortMap{
		"80/tcp": {{HostPort: "31000"}}, "53/tcp": {{HostPort: "31005"}}, "53/udp": {{HostPort: "31005"}},
	}
	if cs.network != "bridge" || cs.config.Hostname != "web" || !reflect.DeepEqual(cs.host.PortBindings, wantBindings) || len(cs.config.ExposedPorts) != 3 {
		t.Errorf("network %q hostname %q bindings %v exposed %v", cs.network, cs.config.Hostname, cs.host.PortBindings, cs.config.ExposedPorts)
	}

	user := baseSpec()
	user.Container.Docker.Network = mesos.ContainerInfo_DockerInfo_USER.Enum()
	user.Container.NetworkInfos = []*mesos.NetworkInfo{{Name: proto.String("overlay1")}}
	user.Container.Docker.Parameters = []*mesos.Parameter{{Key: proto.String("network-alias"), Value: proto.String("db")}}
	cs, err = translate(user, testCfg)
	if err != nil {
		t.Fatal(err)
	}
	if cs.network != "overlay1" || !cs.user || !slices.Equal(cs.net.EndpointsConfig["overlay1"].Aliases, []string{"db"}) {
		t.Errorf("USER network %q %+v", cs.network, cs.net)
	}

	none := baseSpec()
	none.Container.Docker.Network = mesos.ContainerInfo_DockerInfo_NONE.Enum()
	if cs, err := translate(none, testCfg); err != nil || cs.network != "none" {
		t.Errorf("NONE: %q %v", cs.network, err)
	}

	bad := map[string]containerizer.LaunchSpec{
		"host port outside the resources": bridge(pm(32000, 80, "")),
		"bad protocol":                    bridge(pm(31000, 80, "icmp")),
		"container port 0":                bridge(pm(31000, 0, "")),
	}
	hostPM := baseSpec()
	hostPM.Container.Docker.PortMappings = []*mesos.ContainerInfo_DockerInfo_PortMapping{pm(31000, 80, "")}
	hostPM.Resources = []*mesos.Resource{ports(31000, 31000)}
	bad["port mappings on HOST"] = hostPM
	hostName := baseSpec()
	hostName.Container.Hostname = proto.String("x")
	bad["hostname on HOST"] = hostName
	userless := baseSpec()
	userless.Container.Docker.Network = mesos.ContainerInfo_DockerInfo_USER.Enum()
	bad["USER without network_infos"] = userless
	for name, spec := range bad {
		if _, err := translate(spec, testCfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestTranslateRefusals(t *testing.T) {
	priv := baseSpec()
	priv.Container.Docker.Privileged = proto.Bool(true)
	if _, err := translate(priv, testCfg); err == nil || !strings.Contains(err.Error(), "--docker_allow_privileged") {
		t.Errorf("privileged: %v", err)
	}
	allowed := testCfg
	allowed.AllowPrivileged = true
	if cs, err := translate(priv, allowed); err != nil || !cs.host.Privileged {
		t.Errorf("privileged where allowed: %v", err)
	}
	for name, spec := range map[string]func(*containerizer.LaunchSpec){
		"not docker": func(s *containerizer.LaunchSpec) { s.Container.Type = mesos.ContainerInfo_MESOS.Enum() },
		"no image":   func(s *containerizer.LaunchSpec) { s.Container.Docker.Image = proto.String("") },
		"bad id":     func(s *containerizer.LaunchSpec) { s.ContainerID = "a/b" },
	} {
		s := baseSpec()
		spec(&s)
		if _, err := translate(s, testCfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestTranslateUser: the task's user, resolved on the host, is the
// container's; the user and group-add parameters need privileges.
func TestTranslateUser(t *testing.T) {
	u, err := user.Lookup("nobody")
	if err != nil {
		t.Skip("no user nobody")
	}
	spec := baseSpec()
	spec.User = "nobody"
	cs, err := translate(spec, testCfg)
	if err != nil {
		t.Fatal(err)
	}
	if want := u.Uid + ":" + u.Gid; cs.config.User != want {
		t.Errorf("user %q, want %q", cs.config.User, want)
	}
	spec.User = "no-such-user-agora"
	if _, err := translate(spec, testCfg); err == nil || !strings.Contains(err.Error(), `user "no-such-user-agora"`) {
		t.Errorf("unknown user: %v", err)
	}
	for _, key := range []string{"user", "group-add"} {
		spec := baseSpec()
		spec.Container.Docker.Parameters = []*mesos.Parameter{{Key: proto.String(key), Value: proto.String("0")}}
		if _, err := translate(spec, testCfg); err == nil || !strings.Contains(err.Error(), "--docker_allow_privileged") {
			t.Errorf("%s without privileges: %v", key, err)
		}
		cfg := testCfg
		cfg.AllowPrivileged = true
		if _, err := translate(spec, cfg); err != nil {
			t.Errorf("%s with privileges: %v", key, err)
		}
	}
}
