package agent

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/agent/containerizer/compose"
	"github.com/agoraproject/agora/agent/containerizer/docker"
	"github.com/agoraproject/agora/agent/containerizer/docker/dockertest"
	"github.com/agoraproject/agora/agent/containerizer/posix"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// These tests run Docker tasks through the agent on the real engine, with
// the Docker containerizer composed with posix as --containerizers=docker,mesos
// does; no engine skips them, or fails them under CI=true.

// dockerAgent starts an agent whose containerizer runs DOCKER containers,
// serving its endpoints on all addresses (so that BRIDGE executors reach
// it through the gateway), and subscribes it.
func dockerAgent(t *testing.T) (*fakeMaster, *fakeStream, Config, string) {
	t.Helper()
	cli := dockertest.Client(t)
	img := dockertest.Busybox(t, cli)
	m := newFakeMaster(t)
	ln, err := net.Listen("tcp", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t, m)
	cfg.Port = ln.Addr().(*net.TCPAddr).Port
	d, err := docker.New(docker.Config{Logger: testLogger(), WorkDir: cfg.WorkDir})
	if err != nil {
		t.Fatal(err)
	}
	native, err := posix.New(posix.Config{Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Containerizer, err = compose.New(compose.Docker(d), compose.Mesos(native)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		d.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		list, _ := cli.ContainerList(ctx, container.ListOptions{All: true, Filters: filters.NewArgs(filters.Arg("label", docker.LabelWorkDir+"="+cfg.WorkDir))})
		for _, c := range list {
			_ = cli.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true})
		}
	})
	a := startAgent(t, cfg)
	srv := &http.Server{Handler: a.Handler()}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return m, m.subscribe("M-S0", 30), cfg, img
}

func dockerTask(id, image, script string) *mesos.TaskInfo {
	ti := shellTask(id, script)
	ti.Container = &mesos.ContainerInfo{Type: mesos.ContainerInfo_DOCKER.Enum(), Docker: &mesos.ContainerInfo_DockerInfo{Image: proto.String(image)}}
	return ti
}

func sandboxOf(cfg Config, executor string) string {
	return filepath.Join(cfg.WorkDir, "slaves", "M-S0", "frameworks", "fw", "executors", executor, "runs", "latest")
}

// TestDockerTaskRuns: a task in a container finishes with its output in
// the sandbox; another fails with its exit code; a plain command task
// still runs natively beside them; a missing image fails the launch with a
// message saying so, never leaving the task in STAGING.
func TestDockerTaskRuns(t *testing.T) {
	m, s, cfg, img := dockerAgent(t)
	fw := frameworkInfo("fw")
	seen := map[string]bool{}

	s.events <- runTask(fw, dockerTask("ok", img, `echo "hello $MESOS_TASK_ID from $MESOS_SANDBOX"; echo oops >&2`))
	m.expectUpdate(s, "fw", "ok", mesos.TaskState_TASK_STARTING, seen)
	m.expectUpdate(s, "fw", "ok", mesos.TaskState_TASK_RUNNING, seen)
	m.expectUpdate(s, "fw", "ok", mesos.TaskState_TASK_FINISHED, seen)
	for file, want := range map[string]string{"stdout": "hello ok from /mnt/mesos/sandbox\n", "stderr": "oops\n"} {
		if b, _ := os.ReadFile(filepath.Join(sandboxOf(cfg, "ok"), file)); string(b) != want {
			t.Errorf("%s %q, want %q", file, b, want)
		}
	}

	s.events <- runTask(fw, dockerTask("three", img, "exit 3"))
	m.expectUpdate(s, "fw", "three", mesos.TaskState_TASK_STARTING, seen)
	m.expectUpdate(s, "fw", "three", mesos.TaskState_TASK_RUNNING, seen)
	st := m.expectUpdate(s, "fw", "three", mesos.TaskState_TASK_FAILED, seen)
	if st.GetMessage() != "Command exited with status 3" || st.GetReason() != mesos.TaskStatus_REASON_COMMAND_EXECUTOR_FAILED {
		t.Errorf("FAILED %q %v", st.GetMessage(), st.GetReason())
	}

	s.events <- runTask(fw, shellTask("native", "echo on the host"))
	m.expectUpdate(s, "fw", "native", mesos.TaskState_TASK_STARTING, seen)
	m.expectUpdate(s, "fw", "native", mesos.TaskState_TASK_RUNNING, seen)
	m.expectUpdate(s, "fw", "native", mesos.TaskState_TASK_FINISHED, seen)

	s.events <- runTask(fw, dockerTask("bad", "agora-test/no-such-image:latest", "true"))
	st = m.expectUpdate(s, "fw", "bad", mesos.TaskState_TASK_FAILED, seen)
	want := `Failed to launch container: image "agora-test/no-such-image:latest" is not on this agent and pulling it failed: `
	if !strings.HasPrefix(st.GetMessage(), want) || st.GetReason() != mesos.TaskStatus_REASON_CONTAINER_LAUNCH_FAILED {
		t.Errorf("bad image: %q %v, want %q...", st.GetMessage(), st.GetReason(), want)
	}
}

// TestDockerBridgeTask: a BRIDGE task's mapped host port answers HTTP, its
// HTTP health check reaches the container's own port from inside its
// network namespace, and a kill with a grace period lets it handle
// SIGTERM.
func TestDockerBridgeTask(t *testing.T) {
	m, s, cfg, img := dockerAgent(t)
	fw := frameworkInfo("fw", mesos.FrameworkInfo_Capability_TASK_KILLING_STATE)
	seen := map[string]bool{}
	hostPort := freeHostPort(t)
	ti := dockerTask("web", img, `trap 'echo got TERM; kill $pid; exit 0' TERM
echo served > index.html; httpd -f -p 8080 -h /mnt/mesos/sandbox & pid=$!; wait`)
	ti.Container.Docker.Network = mesos.ContainerInfo_DockerInfo_BRIDGE.Enum()
	ti.Container.Docker.PortMappings = []*mesos.ContainerInfo_DockerInfo_PortMapping{
		{HostPort: proto.Uint32(uint32(hostPort)), ContainerPort: proto.Uint32(8080)},
	}
	ti.Resources = append(cgResources(0.2, 64), &mesos.Resource{Name: proto.String("ports"), Type: mesos.Value_RANGES.Enum(),
		Ranges: &mesos.Value_Ranges{Range: []*mesos.Value_Range{{Begin: proto.Uint64(uint64(hostPort)), End: proto.Uint64(uint64(hostPort))}}}})
	ti.HealthCheck = quickCheck(&mesos.HealthCheck{Type: mesos.HealthCheck_HTTP.Enum(),
		Http: &mesos.HealthCheck_HTTPCheckInfo{Port: proto.Uint32(8080), Path: proto.String("/index.html")}}, 10, 3)
	s.events <- runTask(fw, ti)
	m.expectUpdate(s, "fw", "web", mesos.TaskState_TASK_STARTING, seen)
	if st := m.expectUpdate(s, "fw", "web", mesos.TaskState_TASK_RUNNING, seen); st.GetContainerStatus().GetExecutorPid() == 0 {
		t.Errorf("RUNNING without the container's pid: %v", st)
	}
	expectHealth(t, m, s, "web", true, seen)

	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/index.html", hostPort))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "served\n" {
		t.Errorf("GET through the mapped port: %q", body)
	}

	s.events <- killTask("fw", "web", 10*time.Second)
	m.expectUpdate(s, "fw", "web", mesos.TaskState_TASK_KILLING, seen)
	st := m.expectUpdate(s, "fw", "web", mesos.TaskState_TASK_KILLED, seen)
	if b, _ := os.ReadFile(filepath.Join(sandboxOf(cfg, "web"), "stdout")); string(b) != "got TERM\n" {
		t.Errorf("stdout %q (%s): the task did not see SIGTERM first", b, st.GetMessage())
	}
}

func freeHostPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestDockerOOM: a container over its memory fails with the limitation.
func TestDockerOOM(t *testing.T) {
	m, s, _, img := dockerAgent(t)
	fw := frameworkInfo("fw")
	ti := dockerTask("hog", img, `head -c 200m /dev/zero | tail; sleep 30`)
	ti.Resources = cgResources(0.5, 32)
	s.events <- runTask(fw, ti)
	seen := map[string]bool{}
	m.expectUpdate(s, "fw", "hog", mesos.TaskState_TASK_STARTING, seen)
	m.expectUpdate(s, "fw", "hog", mesos.TaskState_TASK_RUNNING, seen)
	st := m.expectUpdate(s, "fw", "hog", mesos.TaskState_TASK_FAILED, seen)
	if st.GetReason() != mesos.TaskStatus_REASON_CONTAINER_LIMITATION_MEMORY || st.GetMessage() != "Memory limit exceeded: Requested: 32MB" {
		t.Errorf("FAILED %v %q, want the memory limitation", st.GetReason(), st.GetMessage())
	}
}

// TestDockerExecutor: a custom executor (examples/echo, built static) runs
// in a BRIDGE container and reaches the agent's executor API through the
// gateway; its task runs in the container too.
func TestDockerExecutor(t *testing.T) {
	m, s, cfg, img := dockerAgent(t)
	bin := t.TempDir()
	build := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", filepath.Join(bin, "executor"), "../examples/echo/executor")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the echo executor: %v\n%s", err, out)
	}
	ex := &mesos.ExecutorInfo{
		Type:       mesos.ExecutorInfo_CUSTOM.Enum(),
		ExecutorId: &mesos.ExecutorID{Value: proto.String("echo")},
		// Fetched into the sandbox, as operators ship executors: host paths
		// outside the sandbox need a privileged agent.
		Command: &mesos.CommandInfo{
			Shell: proto.Bool(false), Value: proto.String("/mnt/mesos/sandbox/executor"),
			Uris: []*mesos.CommandInfo_URI{{Value: proto.String(filepath.Join(bin, "executor")), Executable: proto.Bool(true)}},
		},
		Container: &mesos.ContainerInfo{
			Type:   mesos.ContainerInfo_DOCKER.Enum(),
			Docker: &mesos.ContainerInfo_DockerInfo{Image: proto.String(img), Network: mesos.ContainerInfo_DockerInfo_BRIDGE.Enum()},
		},
	}
	s.events <- runTask(frameworkInfo("fw"), executorTask("job", `echo "in $(hostname) via $MESOS_AGENT_ENDPOINT" > proof`, ex))
	seen := map[string]bool{}
	m.expectUpdate(s, "fw", "job", mesos.TaskState_TASK_RUNNING, seen)
	m.expectUpdate(s, "fw", "job", mesos.TaskState_TASK_FINISHED, seen)
	b, err := os.ReadFile(filepath.Join(sandboxOf(cfg, "echo"), "proof"))
	if err != nil {
		t.Fatal(err)
	}
	if proof := string(b); strings.Contains(proof, "127.0.0.1") || !strings.HasSuffix(proof, fmt.Sprintf(":%d\n", cfg.Port)) {
		t.Errorf("proof %q: want the agent's port through the bridge's gateway", proof)
	}
}
