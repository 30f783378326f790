package integration

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/agoraproject/agora/agent/containerizer/docker/dockertest"
)

// TestAgentRecovery kills an agent with SIGKILL under a checkpointing
// framework's native task and restarts it with the same flags: it
// reregisters under its ID, the master still lists the task RUNNING, the
// task's process is the same one, and the restarted agent can kill it.
func TestAgentRecovery(t *testing.T) {
	testAgentRecovery(t, false)
}

// TestAgentRecoveryDocker does the same with a Docker task beside the
// native one (the agent finds the container again by its labels).
func TestAgentRecoveryDocker(t *testing.T) {
	testAgentRecovery(t, true)
}

func testAgentRecovery(t *testing.T, withDocker bool) {
	var img string
	var extra []string
	if withDocker {
		img = dockertest.Busybox(t, dockertest.Client(t))
		extra = []string{"--containerizers=docker,mesos", "--docker_remove_delay=0secs"}
	}
	m := startMaster(t)
	a := startAgent(t, m, "agent-phoenix", extra...)
	// PARTITION_AWARE: should the restart take longer than the master's
	// ping timeouts, the tasks come back from unreachable instead of
	// being killed as lost.
	s := subscribe(t, m, map[string]any{"user": "root", "name": "recoverable", "checkpoint": true,
		"capabilities": []any{map[string]any{"type": "PARTITION_AWARE"}}})
	fid := s.frameworkID

	markers := map[string]string{}
	cmd, marker := longSleep(t)
	markers["native"] = marker
	s.launch(s.awaitOffer(a.id), "native", cmd, 0.1, 32)
	s.awaitStatus("native", "TASK_RUNNING")
	if withDocker {
		cmd, marker := longSleep(t)
		markers["docker"] = marker
		s.launchDocker(s.awaitOffer(a.id), "docker", map[string]any{
			"type": "DOCKER", "docker": map[string]any{"image": img, "network": "NONE"},
		}, "exec "+cmd)
		s.awaitStatus("docker", "TASK_RUNNING")
	}
	pids := map[string]int{}
	for task, marker := range markers {
		eventually(t, 10*time.Second, task+"'s sleep process", func() (err error) {
			pids[task], err = sleepPID(marker)
			return err
		})
	}

	a.kill9()
	a.proc = startProc(t, "agent agent-phoenix (restarted)", agoraBin, a.args...)

	eventually(t, 20*time.Second, "the agent back under its ID with its tasks RUNNING", func() error {
		st, err := masterState(m)
		if err != nil {
			return err
		}
		if len(st.Slaves) != 1 || st.Slaves[0].ID != a.id || !st.Slaves[0].Active {
			return fmt.Errorf("slaves = %+v, want agent %s active", st.Slaves, a.id)
		}
		f, ok := st.framework(fid)
		if !ok {
			return fmt.Errorf("framework %s missing", fid)
		}
		running := 0
		for _, task := range f.Tasks {
			if task.State == "TASK_RUNNING" && task.SlaveID == a.id {
				running++
			}
		}
		if running != len(markers) {
			return fmt.Errorf("tasks %+v, want %d RUNNING on %s", f.Tasks, len(markers), a.id)
		}
		return nil
	})
	for task, marker := range markers {
		if again, err := sleepPID(marker); err != nil || again != pids[task] {
			t.Fatalf("%s: the task's sleep is pid %d (%v), want the original %d", task, again, err, pids[task])
		}
	}
	if !strings.Contains(a.proc.out.String(), "recovered from the checkpoint") {
		t.Errorf("the restarted agent did not log its recovery")
	}

	// The restarted agent controls the tasks.
	for task, marker := range markers {
		s.kill(task, a.id)
		s.awaitStatus(task, "TASK_KILLED")
		eventually(t, 5*time.Second, task+"'s process gone", func() error {
			if pid, err := sleepPID(marker); err == nil {
				return fmt.Errorf("pid %d still there", pid)
			}
			return nil
		})
	}
}
