package docker

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"
	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/agent/containerizer"
	"github.com/agoraproject/agora/agent/containerizer/conformance"
	"github.com/agoraproject/agora/agent/containerizer/docker/dockertest"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

func testLogger() *zap.Logger {
	if os.Getenv("AGORA_TEST_LOG") != "" {
		l, _ := zap.NewDevelopment()
		return l
	}
	return zap.NewNop()
}

// env is a containerizer on the real engine, with the test image.
type env struct {
	d     *Containerizer
	cli   *client.Client
	image string
	cfg   Config
}

// containers numbers the test containers of this process.
var containers atomic.Int32

func newEnv(t *testing.T, mod func(*Config)) *env {
	t.Helper()
	cli := dockertest.Client(t)
	e := &env{cli: cli, image: dockertest.Busybox(t, cli)}
	e.cfg = Config{Logger: testLogger(), WorkDir: t.TempDir()}
	if mod != nil {
		mod(&e.cfg)
	}
	e.d = e.newContainerizer(t)
	t.Cleanup(func() { removeAll(cli, e.cfg.WorkDir) })
	return e
}

func (e *env) newContainerizer(t *testing.T) *Containerizer {
	d, err := New(e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// removeAll removes every container a test's agent left behind.
func removeAll(cli *client.Client, workDir string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	list, _ := cli.ContainerList(ctx, container.ListOptions{All: true, Filters: filters.NewArgs(filters.Arg("label", LabelWorkDir+"="+workDir))})
	for _, c := range list {
		_ = cli.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true})
	}
}

func (e *env) info() *mesos.ContainerInfo {
	return &mesos.ContainerInfo{Type: mesos.ContainerInfo_DOCKER.Enum(), Docker: &mesos.ContainerInfo_DockerInfo{Image: proto.String(e.image)}}
}

// spec is a shell task in the test image with a fresh sandbox.
func (e *env) spec(t *testing.T, script string) containerizer.LaunchSpec {
	return containerizer.LaunchSpec{
		ContainerID: fmt.Sprintf("t%d-%d", os.Getpid(), containers.Add(1)),
		Sandbox:     t.TempDir(),
		Command:     &mesos.CommandInfo{Value: proto.String(script)},
		Container:   e.info(),
		Env:         []string{"GREETING=hi"},
	}
}

func (e *env) launch(t *testing.T, spec containerizer.LaunchSpec) containerizer.Container {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := e.d.Launch(ctx, spec)
	if err != nil {
		t.Fatalf("Launch: %v", err)
	}
	t.Cleanup(func() {
		_ = c.Kill()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, _ = c.Wait(ctx) // fails once the containerizer is closed
	})
	return c
}

func wait(t *testing.T, c containerizer.Container) containerizer.ExitStatus {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := c.Wait(ctx)
	if err != nil {
		t.Fatalf("Wait: %v", err)
	}
	return st
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestConformance(t *testing.T) {
	e := newEnv(t, nil)
	conformance.RunWith(t, e.d, conformance.Options{
		Container: e.info(), Timeout: 30 * time.Second, Limits: true, AppendArguments: true,
	})
}

// TestContainerSetup: name, labels, environment and working directory as
// Mesos sets them up.
func TestContainerSetup(t *testing.T) {
	e := newEnv(t, nil)
	spec := e.spec(t, `echo "$MESOS_SANDBOX $MESOS_CONTAINER_NAME $GREETING"; pwd; echo "$PATH"`)
	spec.Owner = containerizer.Owner{AgentID: "S1", FrameworkID: "fw", ExecutorID: "ex", TaskID: "task"}
	spec.Env = append(spec.Env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
	c := e.launch(t, spec)
	info, err := e.cli.ContainerInspect(t.Context(), NamePrefix+spec.ContainerID)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{LabelWorkDir: e.cfg.WorkDir, LabelContainerID: spec.ContainerID, LabelAgentID: "S1",
		LabelFrameworkID: "fw", LabelExecutorID: "ex", LabelTaskID: "task"} {
		if info.Config.Labels[k] != v {
			t.Errorf("label %s = %q, want %q", k, info.Config.Labels[k], v)
		}
	}
	if st := wait(t, c); !st.Success() {
		t.Fatalf("exit %+v", st)
	}
	want := "/mnt/mesos/sandbox mesos-" + spec.ContainerID + " hi\n/mnt/mesos/sandbox\n"
	if out := readFile(t, filepath.Join(spec.Sandbox, "stdout")); !strings.HasPrefix(out, want) {
		t.Errorf("stdout %q, want it to start %q", out, want)
	}

	// The image's working directory wins over the sandbox; so does one
	// from the parameters.
	spec = e.spec(t, "pwd")
	spec.Container.Docker.Parameters = []*mesos.Parameter{{Key: proto.String("workdir"), Value: proto.String("/tmp")}}
	if st := wait(t, e.launch(t, spec)); !st.Success() {
		t.Fatalf("exit %+v", st)
	}
	if out := readFile(t, filepath.Join(spec.Sandbox, "stdout")); out != "/tmp\n" {
		t.Errorf("pwd %q", out)
	}
}

// TestBridgePortMapping: a BRIDGE task's mapped host port answers HTTP, and
// the container's own loopback is reachable through DialContext and Exec.
func TestBridgePortMapping(t *testing.T) {
	e := newEnv(t, nil)
	hostPort := freePort(t)
	spec := e.spec(t, `echo hello from the container > index.html; exec httpd -f -p 8080 -h /mnt/mesos/sandbox`)
	spec.Container.Docker.Network = mesos.ContainerInfo_DockerInfo_BRIDGE.Enum()
	spec.Container.Docker.PortMappings = []*mesos.ContainerInfo_DockerInfo_PortMapping{
		{HostPort: proto.Uint32(uint32(hostPort)), ContainerPort: proto.Uint32(8080)},
	}
	spec.Resources = []*mesos.Resource{scalar("cpus", 0.1), scalar("mem", 32), ports(uint64(hostPort), uint64(hostPort))}
	c := e.launch(t, spec)
	url := fmt.Sprintf("http://127.0.0.1:%d/index.html", hostPort)
	var body string
	waitFor(t, url, func() bool {
		resp, err := http.Get(url)
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		body = string(b)
		return resp.StatusCode == http.StatusOK
	})
	if body != "hello from the container\n" {
		t.Errorf("body %q", body)
	}

	dialer := c.(interface {
		DialContext(ctx context.Context, network, addr string) (net.Conn, error)
	})
	conn, err := dialer.DialContext(t.Context(), "tcp", "127.0.0.1:8080")
	if err != nil {
		t.Fatalf("dialing the container's loopback: %v", err)
	}
	conn.Close()
	if _, err := dialer.DialContext(t.Context(), "tcp", fmt.Sprintf("127.0.0.1:%d", freePort(t))); err == nil {
		t.Error("a port closed in the container answered: the dial did not happen in its namespace")
	}
	out, code, err := c.(interface {
		Exec(ctx context.Context, argv, env []string) ([]byte, int, error)
	}).Exec(t.Context(), []string{"sh", "-c", "cat index.html; echo $X; exit 4"}, []string{"X=y"})
	if err != nil || code != 4 || string(out) != "hello from the container\ny\n" {
		t.Errorf("Exec: %q %d %v", out, code, err)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestVolumes: a read-only host directory, a read-write one relative to
// the sandbox, and a container path relative to the sandbox.
func TestVolumes(t *testing.T) {
	// Host paths outside the sandbox need privileged containers.
	e := newEnv(t, func(c *Config) { c.AllowPrivileged = true })
	host := t.TempDir()
	if err := os.WriteFile(filepath.Join(host, "config"), []byte("from the host\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	spec := e.spec(t, `cat /data/config; touch /data/x 2>/dev/null && echo writable; echo cached > /cache/file; echo rel > inner/file`)
	spec.Container.Volumes = []*mesos.Volume{
		{HostPath: proto.String(host), ContainerPath: proto.String("/data"), Mode: mesos.Volume_RO.Enum()},
		{HostPath: proto.String("cache"), ContainerPath: proto.String("/cache"), Mode: mesos.Volume_RW.Enum()},
		{HostPath: proto.String(host), ContainerPath: proto.String("inner"), Mode: mesos.Volume_RW.Enum()},
	}
	if st := wait(t, e.launch(t, spec)); !st.Success() {
		t.Fatalf("exit %+v; stderr %q", st, readFile(t, filepath.Join(spec.Sandbox, "stderr")))
	}
	if out := readFile(t, filepath.Join(spec.Sandbox, "stdout")); out != "from the host\n" {
		t.Errorf("stdout %q: want the file, and the RO volume not writable", out)
	}
	if got := readFile(t, filepath.Join(spec.Sandbox, "cache", "file")); got != "cached\n" {
		t.Errorf("sandbox volume: %q", got)
	}
	if got := readFile(t, filepath.Join(host, "file")); got != "rel\n" {
		t.Errorf("volume at a relative container path: %q", got)
	}
}

// TestRunsAsTaskUser: a task with a user runs as that user's uid on the
// host, not as the image's user (root in the test image).
func TestRunsAsTaskUser(t *testing.T) {
	u, err := user.Lookup("nobody")
	if err != nil {
		t.Skip("no user nobody")
	}
	e := newEnv(t, nil)
	spec := e.spec(t, `id -u`)
	spec.User = "nobody"
	if st := wait(t, e.launch(t, spec)); !st.Success() {
		t.Fatalf("exit %+v; stderr %q", st, readFile(t, filepath.Join(spec.Sandbox, "stderr")))
	}
	if out := readFile(t, filepath.Join(spec.Sandbox, "stdout")); out != u.Uid+"\n" {
		t.Errorf("id -u printed %q, want nobody's uid %s", out, u.Uid)
	}
}

// TestOOMDestroysContainer: an OOM kill of a process other than the main
// one destroys the container at once, with the memory limitation.
func TestOOMDestroysContainer(t *testing.T) {
	e := newEnv(t, nil)
	spec := e.spec(t, `head -c 200m /dev/zero | tail; sleep 1000`)
	spec.Resources = []*mesos.Resource{scalar("cpus", 0.5), scalar("mem", 32)}
	start := time.Now()
	st := wait(t, e.launch(t, spec))
	if st.Reason != mesos.TaskStatus_REASON_CONTAINER_LIMITATION_MEMORY || st.Message != "Memory limit exceeded: Requested: 32MB" {
		t.Fatalf("exit %+v, want the memory limitation", st)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("took %v: the container outlived its OOM", d)
	}
}

// TestTerminateGrace: SIGTERM reaches a task that handles it, which ends
// on its own terms.
func TestTerminateGrace(t *testing.T) {
	e := newEnv(t, nil)
	spec := e.spec(t, `trap 'echo got TERM; exit 0' TERM; touch ready; while :; do sleep 0.05; done`)
	c := e.launch(t, spec)
	waitFor(t, "ready", func() bool { _, err := os.Stat(filepath.Join(spec.Sandbox, "ready")); return err == nil })
	if err := c.Terminate(); err != nil {
		t.Fatal(err)
	}
	if st := wait(t, c); !st.Success() {
		t.Fatalf("exit %+v", st)
	}
	if out := readFile(t, filepath.Join(spec.Sandbox, "stdout")); out != "got TERM\n" {
		t.Errorf("stdout %q", out)
	}
}

// TestLaunchErrors: what a human sees when the image, the engine or the
// settings are wrong.
func TestLaunchErrors(t *testing.T) {
	e := newEnv(t, nil)
	launchErr := func(d *Containerizer, spec containerizer.LaunchSpec) error {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		c, err := d.Launch(ctx, spec)
		if err == nil {
			_ = c.Kill()
			t.Fatalf("Launch of %v succeeded", spec.Container)
		}
		return err
	}
	spec := e.spec(t, "true")
	spec.Container.Docker.Image = proto.String("agora-test/no-such-image:latest")
	if err := launchErr(e.d, spec); !strings.Contains(err.Error(), `image "agora-test/no-such-image:latest" is not on this agent and pulling it failed`) {
		t.Errorf("missing image: %v", err)
	}
	spec = e.spec(t, "true")
	spec.Container.Docker.ForcePullImage = proto.Bool(true)
	if err := launchErr(e.d, spec); !strings.Contains(err.Error(), "force_pull_image") {
		t.Errorf("force pull without a registry: %v", err)
	}
	spec = e.spec(t, "true")
	spec.Container.Docker.Parameters = []*mesos.Parameter{{Key: proto.String("volume"), Value: proto.String("/:/host")}}
	if err := launchErr(e.d, spec); !strings.Contains(err.Error(), `"volume" is not allowed`) {
		t.Errorf("unsafe parameter: %v", err)
	}

	down, err := New(Config{WorkDir: e.cfg.WorkDir, Host: "/nonexistent/docker.sock"})
	if err != nil {
		t.Fatal(err)
	}
	defer down.Close()
	if err := launchErr(down, e.spec(t, "true")); !strings.Contains(err.Error(), "Cannot connect to the Docker daemon at unix:///nonexistent/docker.sock") {
		t.Errorf("engine down: %v", err)
	}
	if err := down.Ping(t.Context()); err == nil {
		t.Error("Ping of a missing engine succeeded")
	}
	// Nothing was left behind by the failures.
	list, _ := e.cli.ContainerList(t.Context(), container.ListOptions{All: true, Filters: filters.NewArgs(filters.Arg("label", LabelWorkDir+"="+e.cfg.WorkDir))})
	if len(list) != 0 {
		t.Errorf("%d containers left after failed launches", len(list))
	}
}

// TestPrivileged: a privileged container runs only where the agent allows
// it. (Some hosts, containers themselves, refuse the capabilities; there
// the engine's refusal shows the setting went through.)
func TestPrivileged(t *testing.T) {
	e := newEnv(t, nil)
	spec := e.spec(t, `mount -t tmpfs none /mnt && echo mounted`)
	spec.Container.Docker.Privileged = proto.Bool(true)
	if _, err := e.d.Launch(t.Context(), spec); err == nil || !strings.Contains(err.Error(), "--docker_allow_privileged") {
		t.Fatalf("privileged launch without permission: %v", err)
	}
	e = newEnv(t, func(c *Config) { c.AllowPrivileged = true })
	spec.ContainerID += "-allowed"
	c, err := e.d.Launch(t.Context(), spec)
	if err != nil {
		if strings.Contains(err.Error(), "unable to apply caps") {
			t.Logf("this host refuses privileged containers: %v", err)
			return
		}
		t.Fatal(err)
	}
	if st := wait(t, c); !st.Success() {
		t.Fatalf("exit %+v; stderr %q", st, readFile(t, filepath.Join(spec.Sandbox, "stderr")))
	}
	if out := readFile(t, filepath.Join(spec.Sandbox, "stdout")); out != "mounted\n" {
		t.Errorf("stdout %q", out)
	}
}

// TestStats: a running container's accounting with its limits.
func TestStats(t *testing.T) {
	e := newEnv(t, nil)
	spec := e.spec(t, "sleep 1000")
	spec.Resources = []*mesos.Resource{scalar("cpus", 0.5), scalar("mem", 64)}
	c := e.launch(t, spec)
	s, err := c.(containerizer.StatsReporter).Stats(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if s.GetCpusLimit() != 0.5 || s.GetMemLimitBytes() != 64<<20 || s.GetMemTotalBytes() == 0 || s.GetProcesses() < 1 || s.GetTimestamp() == 0 {
		t.Errorf("statistics %v", s)
	}
	_ = c.Kill()
	wait(t, c)
	if _, err := c.(containerizer.StatsReporter).Stats(t.Context()); err == nil {
		t.Error("Stats of an exited container succeeded")
	}
}

// TestUpdate: Update raises a running container's memory limit and CPU
// shares in the engine.
func TestUpdate(t *testing.T) {
	e := newEnv(t, nil)
	spec := e.spec(t, `sleep 1000`)
	spec.Resources = []*mesos.Resource{scalar("cpus", 0.25), scalar("mem", 32)}
	c := e.launch(t, spec)
	u, ok := c.(containerizer.Updater)
	if !ok {
		t.Fatal("the container is no Updater")
	}
	if err := u.Update(t.Context(), []*mesos.Resource{scalar("cpus", 1), scalar("mem", 64)}); err != nil {
		t.Fatal(err)
	}
	dc := c.(*dockerContainer)
	var hc *container.HostConfig
	waitFor(t, "the new limits", func() bool {
		info, err := e.cli.ContainerInspect(t.Context(), dc.dockerID)
		if err != nil {
			t.Fatal(err)
		}
		hc = info.HostConfig
		_, mem := dc.limits() // set once the engine call returns
		return hc.Memory == 64<<20 && mem == 64<<20
	})
	if hc.MemorySwap != 64<<20 || hc.CPUShares != 1024 {
		t.Errorf("memory swap %d, CPU shares %d; want %d and 1024", hc.MemorySwap, hc.CPUShares, 64<<20)
	}
	if cpus, mem := dc.limits(); cpus != 1 || mem != 64<<20 {
		t.Errorf("limits %v cpus %d bytes, want the new ones", cpus, mem)
	}
}
