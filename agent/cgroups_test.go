package agent

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/agent/containerizer/cgroups"
	"github.com/agoraproject/agora/proto/codec"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	agentapi "github.com/agoraproject/agora/proto/mesos/v1/agent"
)

// cgroupsAgent starts an agent with the cgroups containerizer (all
// isolators, CFS as asked) against a fake master and subscribes it. Not
// being root fails the test under CI=true and skips it otherwise.
func cgroupsAgent(t *testing.T, cfs bool) (*runningAgent, *fakeMaster, *fakeStream, Config) {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("the cgroups containerizer needs root (CI=true)")
		}
		t.Skip("the cgroups containerizer needs root")
	}
	c, err := cgroups.New(cgroups.Config{Logger: testLogger(), CPU: true, CFS: cfs, Memory: true, Pids: true})
	if err != nil {
		t.Fatal(err)
	}
	m := newFakeMaster(t)
	cfg := testConfig(t, m)
	cfg.Containerizer = c
	// Tasks may run as nobody, who must reach the sandboxes.
	for _, dir := range []string{cfg.WorkDir, filepath.Dir(cfg.WorkDir)} {
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	a := startAgent(t, cfg)
	return a, m, m.subscribe("M-S0", 30), cfg
}

func cgResources(cpus, mem float64) []*mesos.Resource {
	scalar := func(name string, v float64) *mesos.Resource {
		return &mesos.Resource{Name: proto.String(name), Type: mesos.Value_SCALAR.Enum(), Scalar: &mesos.Value_Scalar{Value: proto.Float64(v)}}
	}
	return []*mesos.Resource{scalar("cpus", cpus), scalar("mem", mem)}
}

// TestOOMFailsTaskWithMemoryReason: a 32 MB task that allocates 200 MB is
// OOM-killed and fails with the memory limitation, from the agent.
func TestOOMFailsTaskWithMemoryReason(t *testing.T) {
	_, m, s, _ := cgroupsAgent(t, false)
	fw := frameworkInfo("fw")
	ti := shellTask("hog", `head -c 200m /dev/zero | tail; sleep 30`)
	ti.Resources = cgResources(0.5, 32)
	s.events <- runTask(fw, ti)
	seen := map[string]bool{}
	m.expectUpdate(s, "fw", "hog", mesos.TaskState_TASK_STARTING, seen)
	m.expectUpdate(s, "fw", "hog", mesos.TaskState_TASK_RUNNING, seen)
	st := m.expectUpdate(s, "fw", "hog", mesos.TaskState_TASK_FAILED, seen)
	if st.GetReason() != mesos.TaskStatus_REASON_CONTAINER_LIMITATION_MEMORY || st.GetSource() != mesos.TaskStatus_SOURCE_AGENT {
		t.Errorf("FAILED with reason %v source %v, want the memory limitation from the agent", st.GetReason(), st.GetSource())
	}
	if !strings.HasPrefix(st.GetMessage(), "Memory limit exceeded: Requested: 32MB Maximum Used: ") {
		t.Errorf("message %q", st.GetMessage())
	}
}

// TestKillTaskLeavesNoProcess: KILL_TASK of a task whose tree includes a
// process that left the task's process group leaves nothing behind.
func TestKillTaskLeavesNoProcess(t *testing.T) {
	_, m, s, cfg := cgroupsAgent(t, false)
	fw := frameworkInfo("fw")
	s.events <- runTask(fw, shellTask("tree", `sh -c 'sleep 1000 & sleep 1000 & wait' & setsid sleep 1000 & echo $! > escapee; wait`))
	seen := map[string]bool{}
	m.expectUpdate(s, "fw", "tree", mesos.TaskState_TASK_STARTING, seen)
	m.expectUpdate(s, "fw", "tree", mesos.TaskState_TASK_RUNNING, seen)
	file := filepath.Join(cfg.WorkDir, "slaves", "M-S0", "frameworks", "fw", "executors", "tree", "runs", "latest", "escapee")
	var pid int
	waitFor(t, "the escapee's pid", func() bool {
		b, _ := os.ReadFile(file)
		pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		return pid > 0
	})
	s.events <- killTask("fw", "tree", 0)
	m.expectUpdate(s, "fw", "tree", mesos.TaskState_TASK_KILLED, seen)
	if b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); err == nil && !bytes.Contains(b, []byte(") Z")) {
		t.Errorf("process %d outlived its task: %s", pid, b)
	}
}

// TestTaskRunsAsFrameworkUser: the framework's user runs the task.
func TestTaskRunsAsFrameworkUser(t *testing.T) {
	_, m, s, cfg := cgroupsAgent(t, false)
	fw := frameworkInfo("fw")
	fw.User = proto.String("nobody")
	s.events <- runTask(fw, shellTask("who", `id -un; touch mine`))
	seen := map[string]bool{}
	m.expectUpdate(s, "fw", "who", mesos.TaskState_TASK_STARTING, seen)
	m.expectUpdate(s, "fw", "who", mesos.TaskState_TASK_RUNNING, seen)
	st := m.expectUpdate(s, "fw", "who", mesos.TaskState_TASK_FINISHED, seen)
	sandbox := filepath.Join(cfg.WorkDir, "slaves", "M-S0", "frameworks", "fw", "executors", "who", "runs", "latest")
	if b, _ := os.ReadFile(filepath.Join(sandbox, "stdout")); string(b) != "nobody\n" {
		t.Errorf("stdout %q (%s), want nobody", b, st.GetMessage())
	}

	// An unknown user fails the launch.
	fw2 := frameworkInfo("fw2")
	fw2.User = proto.String("agora-no-such-user")
	s.events <- runTask(fw2, shellTask("ghost", "true"))
	st = m.expectUpdate(s, "fw2", "ghost", mesos.TaskState_TASK_FAILED, seen)
	if st.GetReason() != mesos.TaskStatus_REASON_CONTAINER_LAUNCH_FAILED || !strings.Contains(st.GetMessage(), "agora-no-such-user") {
		t.Errorf("unknown user: %v %q", st.GetReason(), st.GetMessage())
	}
}

// TestStatisticsShowThrottling: a busy task under a 0.1 cpu CFS quota
// shows throttling in /monitor/statistics and in GET_CONTAINERS.
func TestStatisticsShowThrottling(t *testing.T) {
	a, m, s, _ := cgroupsAgent(t, true)
	fw := frameworkInfo("fw")
	ti := shellTask("busy", `while :; do :; done`)
	ti.Resources = cgResources(0.1, 64)
	s.events <- runTask(fw, ti)
	seen := map[string]bool{}
	m.expectUpdate(s, "fw", "busy", mesos.TaskState_TASK_STARTING, seen)
	m.expectUpdate(s, "fw", "busy", mesos.TaskState_TASK_RUNNING, seen)
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()

	var entries []map[string]any
	waitFor(t, "throttling in /monitor/statistics", func() bool {
		resp, err := http.Get(srv.URL + "/monitor/statistics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		entries = nil
		if err := json.NewDecoder(resp.Body).Decode(&entries); err != nil {
			t.Fatal(err)
		}
		if len(entries) != 1 {
			return false
		}
		n, _ := entries[0]["statistics"].(map[string]any)["cpus_nr_throttled"].(float64)
		return n > 0
	}, func() string { return "entries: " + jsonString(entries) })
	e := entries[0]
	st := e["statistics"].(map[string]any)
	if e["executor_id"] != "busy" || e["framework_id"] != "fw" || e["source"] != "busy" || e["executor_name"] != "Command Executor (Task: busy)" ||
		st["cpus_limit"] != 0.1 || st["mem_limit_bytes"] != float64(64<<20) || st["processes"] != float64(1) || st["timestamp"] == nil ||
		st["cpus_throttled_time_secs"] == nil || st["mem_total_bytes"] == nil {
		t.Errorf("entry %s", jsonString(e))
	}

	// The operator API, in protobuf.
	body, _ := proto.Marshal(&agentapi.Call{Type: agentapi.Call_GET_CONTAINERS.Enum()})
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v1", bytes.NewReader(body))
	req.Header.Set("Content-Type", codec.MediaTypeProtobuf)
	req.Header.Set("Accept", codec.MediaTypeProtobuf)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	out := &agentapi.Response{}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != codec.MediaTypeProtobuf || proto.Unmarshal(b, out) != nil {
		t.Fatalf("GET_CONTAINERS: %d %s %q", resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	cs := out.GetGetContainers().GetContainers()
	if out.GetType() != agentapi.Response_GET_CONTAINERS || len(cs) != 1 {
		t.Fatalf("GET_CONTAINERS: %v", out)
	}
	c := cs[0]
	if c.GetFrameworkId().GetValue() != "fw" || c.GetExecutorId().GetValue() != "busy" || c.GetContainerId().GetValue() == "" ||
		c.GetContainerStatus().GetExecutorPid() == 0 || c.GetResourceStatistics().GetCpusNrThrottled() == 0 {
		t.Errorf("container %v", c)
	}
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestExecutorContainerFollowsTasks: a task joining a running custom
// executor raises its container's memory limit to the executor's plus its
// live tasks' resources, and a task ending lowers it again.
func TestExecutorContainerFollowsTasks(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("the cgroups containerizer needs root (CI=true)")
		}
		t.Skip("the cgroups containerizer needs root")
	}
	c, err := cgroups.New(cgroups.Config{Logger: testLogger(), CPU: true, Memory: true, Pids: true})
	if err != nil {
		t.Fatal(err)
	}
	m := newFakeMaster(t)
	servedAgent(t, m, func(cfg *Config) { cfg.Containerizer = c })
	s := m.subscribe("M-S0", 30)
	fw := frameworkInfo("fw")
	ex := testExecutorInfo(t, "exec1", "run")
	ex.Resources = cgResources(0.1, 64)
	seen := map[string]bool{}

	t1 := executorTask("t1", "", ex)
	t1.Resources = cgResources(0.1, 32)
	s.events <- runTask(fw, t1)
	st := m.expectUpdate(s, "fw", "t1", mesos.TaskState_TASK_RUNNING, seen)
	id := st.GetContainerStatus().GetContainerId().GetValue()
	memFile := filepath.Join("/sys/fs/cgroup/memory/agora", id, "memory.limit_in_bytes")
	if c.Version() == 2 {
		memFile = filepath.Join("/sys/fs/cgroup/agora", id, "memory.max")
	}
	limit := func() int64 {
		b, err := os.ReadFile(memFile)
		if err != nil {
			t.Fatal(err)
		}
		n, _ := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		return n
	}
	if got := limit(); got != 96<<20 {
		t.Fatalf("memory limit at launch %d, want %d", got, 96<<20)
	}

	t2 := executorTask("t2", "", ex)
	t2.Resources = cgResources(0.1, 128)
	s.events <- runTask(fw, t2)
	m.expectUpdate(s, "fw", "t2", mesos.TaskState_TASK_RUNNING, seen)
	waitFor(t, "the raised memory limit", func() bool { return limit() == 224<<20 })

	// t2 ends: the limit goes back down (the executor uses far less).
	s.events <- killTask("fw", "t2", -1)
	m.expectUpdate(s, "fw", "t2", mesos.TaskState_TASK_KILLED, seen)
	waitFor(t, "the lowered memory limit", func() bool { return limit() == 96<<20 })
}
