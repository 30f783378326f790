package docker

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/agent/containerizer"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

func TestParameters(t *testing.T) {
	param := func(kv ...string) []*mesos.Parameter {
		var ps []*mesos.Parameter
		for i := 0; i < len(kv); i += 2 {
			ps = append(ps, &mesos.Parameter{Key: proto.String(kv[i]), Value: proto.String(kv[i+1])})
		}
		return ps
	}
	spec := baseSpec()
	spec.Container.Docker.Parameters = param("env", "X=1", "label", "team=ads", "workdir", "/app", "ulimit", "nofile=1024:2048",
		"shm-size", "64m", "read-only", "true", "init", "false", "stop-signal", "SIGINT", "cap-drop", "NET_RAW",
		"security-opt", "no-new-privileges", "--dns", "10.0.0.2")
	cs, err := translate(spec, testCfg)
	if err != nil {
		t.Fatal(err)
	}
	c, h := cs.config, cs.host
	if !slices.Contains(c.Env, "X=1") || c.Labels["team"] != "ads" || c.WorkingDir != "/app" || c.StopSignal != "SIGINT" ||
		h.ShmSize != 64<<20 || !h.ReadonlyRootfs || *h.Init || len(h.Ulimits) != 1 || h.Ulimits[0].Hard != 2048 ||
		!slices.Equal(h.CapDrop, []string{"NET_RAW"}) || !slices.Equal(h.DNS, []string{"10.0.0.2"}) {
		t.Errorf("config %+v host %+v", c, h)
	}
	for _, c := range []struct {
		kv         []string
		privileged bool
		err        string
	}{
		{[]string{"volume", "/:/host"}, true, "not allowed"},
		{[]string{"net", "host"}, false, "not allowed"},
		{[]string{"cap-add", "SYS_ADMIN"}, false, "--docker_allow_privileged"},
		{[]string{"pid", "host"}, false, "--docker_allow_privileged"},
		{[]string{"security-opt", "seccomp=unconfined"}, false, "only no-new-privileges"},
		{[]string{"label", "agora.task_id=x"}, false, "agent's"},
		{[]string{"shm-size", "lots"}, false, "shm-size"},
	} {
		spec := baseSpec()
		spec.Container.Docker.Parameters = param(c.kv...)
		cfg := testCfg
		cfg.AllowPrivileged = c.privileged
		if _, err := translate(spec, cfg); err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%v: %v, want %q", c.kv, err, c.err)
		}
	}
	spec = baseSpec()
	spec.Container.Docker.Parameters = param("cap-add", "NET_ADMIN", "device", "/dev/fuse")
	cfg := testCfg
	cfg.AllowPrivileged = true
	if cs, err := translate(spec, cfg); err != nil || !slices.Equal(cs.host.CapAdd, []string{"NET_ADMIN"}) || len(cs.host.Devices) != 1 {
		t.Errorf("privileged parameters where allowed: %v", err)
	}
}

func TestExitStatus(t *testing.T) {
	for _, c := range []struct {
		code int
		oom  bool
		mem  int64
		want containerizer.ExitStatus
	}{
		{0, false, 0, containerizer.ExitStatus{}},
		{3, false, 0, containerizer.ExitStatus{Code: 3}},
		{143, false, 0, containerizer.ExitStatus{Code: -1, Signal: syscall.SIGTERM}},
		{137, true, 32 << 20, containerizer.ExitStatus{Code: -1, Signal: syscall.SIGKILL,
			Message: "Memory limit exceeded: Requested: 32MB", Reason: mesos.TaskStatus_REASON_CONTAINER_LIMITATION_MEMORY}},
		{0, true, 0, containerizer.ExitStatus{}}, // no limit of ours: not our limitation
		{255, false, 0, containerizer.ExitStatus{Code: 255}},
	} {
		if got := exitStatus(c.code, c.oom, c.mem); got != c.want {
			t.Errorf("exitStatus(%d, %v) = %+v, want %+v", c.code, c.oom, got, c.want)
		}
	}
	if got := containerizer.FormatBytes(1536 << 10); got != "1536KB" {
		t.Errorf("FormatBytes = %q", got)
	}
}

func TestProgram(t *testing.T) {
	img := image.InspectResponse{Config: &dockerspec.DockerOCIImageConfig{ImageConfig: ocispec.ImageConfig{
		Entrypoint: []string{"/docker-entrypoint.sh"}, Cmd: []string{"nginx"}, Env: []string{"PATH=/opt/bin"},
	}}}
	for _, c := range []struct {
		entry, cmd []string
		prog, path string
	}{
		{nil, nil, "/docker-entrypoint.sh", "/opt/bin"},
		{nil, []string{"x"}, "/docker-entrypoint.sh", "/opt/bin"},
		{[]string{"/bin/sh"}, []string{"-c", "x"}, "/bin/sh", "/opt/bin"},
	} {
		cs := &createSpec{config: &container.Config{Entrypoint: c.entry, Cmd: c.cmd}}
		if prog, path := program(cs, img); prog != c.prog || path != c.path {
			t.Errorf("%q %q: %q %q", c.entry, c.cmd, prog, path)
		}
	}
	bare := image.InspectResponse{Config: &dockerspec.DockerOCIImageConfig{}}
	cs := &createSpec{config: &container.Config{Cmd: []string{"sh"}, Env: []string{"PATH=/bin"}}}
	if prog, path := program(cs, bare); prog != "sh" || path != "/bin" {
		t.Errorf("%q %q", prog, path)
	}
	if prog, _ := program(&createSpec{config: &container.Config{}}, bare); prog != "" {
		t.Errorf("nothing to run: %q", prog)
	}
}

func TestResume(t *testing.T) {
	dir := t.TempDir()
	if r := resumeFrom(dir); r != nil {
		t.Errorf("without files: %+v", r)
	}
	old := time.Unix(1700000000, 5)
	for _, name := range []string{"stdout", "stderr"} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chtimes(filepath.Join(dir, "stderr"), old, old); err != nil {
		t.Fatal(err)
	}
	r := resumeFrom(dir)
	if got := r.since(); got != "1700000000.000000005" || !r.stderr.Equal(old) {
		t.Errorf("since %q, want the older file's time", got)
	}

	f, err := os.OpenFile(filepath.Join(dir, "stdout"), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := &stamped{f: f, cutoff: old}
	for _, msg := range []string{
		"no timestamp\n",
		"2023-11-14T22:13:20.000000005Z already copied\n",
		"2023-11-14T22:13:20.000000007Z new\n",
	} {
		if n, err := w.Write([]byte(msg)); err != nil || n != len(msg) {
			t.Fatalf("Write: %d %v", n, err)
		}
	}
	if fi, _ := os.Stat(f.Name()); !fi.ModTime().Equal(time.Unix(1700000000, 7)) {
		t.Errorf("mtime %v, want the last message's stamp", fi.ModTime())
	}
	if b, _ := os.ReadFile(f.Name()); string(b) != "no timestamp\nnew\n" {
		t.Errorf("copied %q", b)
	}
}
