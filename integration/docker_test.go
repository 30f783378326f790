package integration

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/agoraproject/agora/agent/containerizer/docker/dockertest"
)

// TestDockerTasks runs an agent with --containerizers=docker,mesos and a
// framework speaking plain JSON: a BRIDGE task serves HTTP on a host port
// taken from its offer and logs to its sandbox; a task whose image does
// not exist fails with a message saying so.
func TestDockerTasks(t *testing.T) {
	img := dockertest.Busybox(t, dockertest.Client(t))
	m := startMaster(t)
	a := startAgent(t, m, "agent-docker", "--containerizers=docker,mesos", "--docker_remove_delay=0secs")
	s := subscribe(t, m, map[string]any{"user": "root", "name": "docker"})

	o := s.awaitOffer(a.id)
	const hostPort = 31042 // within agentResources
	s.launchDocker(o, "web", map[string]any{
		"type": "DOCKER",
		"docker": map[string]any{
			"image": img, "network": "BRIDGE",
			"port_mappings": []any{map[string]any{"host_port": hostPort, "container_port": 8080, "protocol": "tcp"}},
		},
	}, "echo serving; echo docker integration > index.html; exec httpd -f -v -p 8080 -h /mnt/mesos/sandbox",
		portRange(t, o, hostPort))
	s.awaitStatus("web", "TASK_RUNNING")
	var body string
	eventually(t, 10*time.Second, "HTTP through the mapped host port", func() error {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/index.html", hostPort))
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		body = string(b)
		return nil
	})
	if body != "docker integration\n" {
		t.Errorf("body %q", body)
	}
	stdout := filepath.Join(a.workDir, "slaves", a.id, "frameworks", s.frameworkID, "executors", "web", "runs", "latest", "stdout")
	if b, _ := os.ReadFile(stdout); !strings.HasPrefix(string(b), "serving\n") {
		t.Errorf("sandbox stdout %q", b)
	}
	s.kill("web", a.id)
	s.awaitStatus("web", "TASK_KILLED")

	s.launchDocker(s.awaitOffer(a.id), "ghost", map[string]any{
		"type": "DOCKER", "docker": map[string]any{"image": "agora-test/no-such-image:latest"},
	}, "true")
	var failed taskStatus
	s.await(15*time.Second, "ghost TASK_FAILED", func(e event) bool {
		if e.Type == "UPDATE" && e.Update.Status.TaskID.Value == "ghost" {
			failed = e.Update.Status
			s.acknowledge(failed)
		}
		return failed.State == "TASK_FAILED"
	})
	if failed.Reason != "REASON_CONTAINER_LAUNCH_FAILED" || !strings.Contains(failed.Message, `image "agora-test/no-such-image:latest" is not on this agent`) {
		t.Errorf("bad image: %s %q", failed.Reason, failed.Message)
	}
}

// launchDocker accepts o with one shell task in container, using 0.1 cpus,
// 32 MB and the given extra resources.
func (s *scheduler) launchDocker(o offer, taskID string, container map[string]any, command string, extra ...map[string]any) {
	s.t.Helper()
	res := []any{takeScalar(s.t, o, "cpus", 0.1), takeScalar(s.t, o, "mem", 32)}
	for _, r := range extra {
		res = append(res, r)
	}
	task := map[string]any{
		"name": taskID, "task_id": id{taskID}, "agent_id": o.AgentID, "resources": res,
		"command": map[string]any{"shell": true, "value": command}, "container": container,
	}
	s.call(map[string]any{"type": "ACCEPT", "accept": map[string]any{
		"offer_ids":  []id{o.ID},
		"operations": []any{map[string]any{"type": "LAUNCH", "launch": map[string]any{"task_infos": []any{task}}}},
	}})
}

// portRange copies the offer's ports resource narrowed to port.
func portRange(t *testing.T, o offer, port int) map[string]any {
	t.Helper()
	for _, r := range o.Resources {
		if r["name"] == "ports" {
			c := map[string]any{}
			for k, x := range r {
				c[k] = x
			}
			c["ranges"] = map[string]any{"range": []any{map[string]any{"begin": port, "end": port}}}
			return c
		}
	}
	t.Fatalf("offer %s has no ports", o.ID.Value)
	return nil
}
