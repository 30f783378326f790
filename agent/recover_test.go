package agent

import (
	"bytes"
	"encoding/json"
	"os"
	"strconv"
	"syscall"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/agent/containerizer"
	"github.com/agoraproject/agora/agent/containerizer/cgroups"
	"github.com/agoraproject/agora/agent/containerizer/posix"
	"github.com/agoraproject/agora/proto/agora/agentpb"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// alive reports whether pid runs and is not a zombie.
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(b, ')')
	return i > 0 && i+2 < len(b) && b[i+2] != 'Z' && b[i+2] != 'X'
}

// TestRecoverReattaches stops an agent without killing its tasks and
// starts another on the same work_dir: it keeps the agent ID, reports the
// checkpointing framework's task RUNNING with the same process, resends
// the update that was not acknowledged, and can kill the task; the task of
// a framework that does not checkpoint is gone.
func TestRecoverReattaches(t *testing.T) {
	for _, kind := range []string{"posix", "cgroups"} {
		t.Run(kind, func(t *testing.T) {
			newContainerizer := func() containerizer.Containerizer {
				if kind == "posix" {
					c, _ := posix.New(posix.Config{Logger: testLogger()})
					return c
				}
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
				return c
			}
			testRecover(t, newContainerizer)
		})
	}
}

func testRecover(t *testing.T, newContainerizer func() containerizer.Containerizer) {
	m := newFakeMaster(t)
	cfg := testConfig(t, m)
	cfg.DetachOnStop = true
	cfg.Containerizer = newContainerizer()
	a := startAgent(t, cfg)
	s := m.subscribe("M-S0", 30)

	fw := frameworkInfo("fw")
	fw.Checkpoint = proto.Bool(true)
	other := frameworkInfo("other")
	seen := map[string]bool{}
	s.events <- runTask(fw, shellTask("t1", "exec sleep 60"))
	starting := m.expectUpdate(s, "fw", "t1", mesos.TaskState_TASK_STARTING, seen)
	running := m.nextUpdate("t1", seen) // not acknowledged
	if running.GetState() != mesos.TaskState_TASK_RUNNING {
		t.Fatalf("t1: %v", running)
	}
	pid := int(running.GetContainerStatus().GetExecutorPid())
	s.events <- runTask(other, shellTask("t2", "exec sleep 60"))
	m.expectUpdate(s, "other", "t2", mesos.TaskState_TASK_STARTING, seen)
	otherPID := int(m.expectUpdate(s, "other", "t2", mesos.TaskState_TASK_RUNNING, seen).GetContainerStatus().GetExecutorPid())
	if pid == 0 || otherPID == 0 {
		t.Fatal("no executor_pid in the RUNNING updates")
	}

	if err := a.stop(t); err != nil {
		t.Fatal(err)
	}
	if !alive(pid) {
		t.Fatal("the checkpointing framework's task died with the agent")
	}
	if alive(otherPID) {
		t.Fatal("the task of a framework that does not checkpoint survived the agent")
	}

	cfg.Containerizer = newContainerizer()
	a2 := startAgent(t, cfg)
	s2 := m.subscribe("M-S0", 30)
	sub := s2.call.GetSubscribe()
	if sub.GetAgentInfo().GetId().GetValue() != "M-S0" || s2.call.GetAgentId().GetValue() != "M-S0" {
		t.Fatalf("the restarted agent did not reregister with its ID: %v", s2.call)
	}
	if len(sub.GetTasks()) != 1 || sub.GetTasks()[0].GetTaskId().GetValue() != "t1" ||
		sub.GetTasks()[0].GetState() != mesos.TaskState_TASK_RUNNING {
		t.Fatalf("reported tasks: %v", sub.GetTasks())
	}
	if got := sub.GetTasks()[0].GetStatusUpdateUuid(); !bytes.Equal(got, running.GetUuid()) {
		t.Errorf("status_update_uuid %x, want the unacknowledged RUNNING's %x", got, running.GetUuid())
	}
	if a2.ID() != "M-S0" {
		t.Errorf("ID() = %q", a2.ID())
	}
	// The unacknowledged RUNNING comes again, with its uuid.
	resent := m.nextUpdate("t1", map[string]bool{string(starting.GetUuid()): true})
	if resent.GetState() != mesos.TaskState_TASK_RUNNING || !bytes.Equal(resent.GetUuid(), running.GetUuid()) {
		t.Fatalf("resent update: %v", resent)
	}
	ack(s2, "fw", resent)
	if !alive(pid) {
		t.Fatal("the recovered task died")
	}
	checkState(t, a2.Agent, "t1", "TASK_RUNNING")

	s2.events <- killTask("fw", "t1", -1)
	killed := m.expectUpdate(s2, "fw", "t1", mesos.TaskState_TASK_KILLED, seen)
	if alive(pid) {
		t.Errorf("the recovered task survived its kill: %v", killed)
	}
	waitFor(t, "the task's checkpoint removed", func() bool {
		_, err := os.Stat(a2.taskRecordPath(taskKey{"fw", "t1"}))
		return os.IsNotExist(err)
	})
}

// TestRecoverCleanupAndReboot: with --recover=cleanup, or when the boot ID
// changed, a restarted agent kills what the previous run left and
// registers as a new agent.
func TestRecoverCleanupAndReboot(t *testing.T) {
	for _, how := range []string{"cleanup", "reboot"} {
		t.Run(how, func(t *testing.T) {
			m := newFakeMaster(t)
			cfg := testConfig(t, m)
			cfg.DetachOnStop = true
			a := startAgent(t, cfg)
			s := m.subscribe("M-S0", 30)
			fw := frameworkInfo("fw")
			fw.Checkpoint = proto.Bool(true)
			seen := map[string]bool{}
			s.events <- runTask(fw, shellTask("t1", "exec sleep 60"))
			m.expectUpdate(s, "fw", "t1", mesos.TaskState_TASK_STARTING, seen)
			pid := int(m.expectUpdate(s, "fw", "t1", mesos.TaskState_TASK_RUNNING, seen).GetContainerStatus().GetExecutorPid())
			if err := a.stop(t); err != nil {
				t.Fatal(err)
			}
			if !alive(pid) {
				t.Fatal("the task died with the agent")
			}

			if how == "cleanup" {
				cfg.Recover = RecoverCleanup
			} else {
				b, _ := json.Marshal(agentRecord{AgentID: "M-S0", BootID: "another-boot"})
				if err := os.WriteFile(a.metaPath("agent.json"), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			a2 := startAgent(t, cfg)
			s2 := m.subscribe("M-S1", 30)
			if id := s2.call.GetSubscribe().GetAgentInfo().GetId(); id != nil || len(s2.call.GetSubscribe().GetTasks()) != 0 {
				t.Fatalf("SUBSCRIBE after %s: %v", how, s2.call)
			}
			if alive(pid) {
				t.Fatal("the previous run's task survived")
			}
			if _, err := os.Stat(a2.taskRecordPath(taskKey{"fw", "t1"})); !os.IsNotExist(err) {
				t.Errorf("the old task record is still there: %v", err)
			}
		})
	}
}

// TestRecoverKillsCustomExecutors: a custom executor cannot resubscribe to
// a restarted agent yet, so the agent kills it; its task fails with
// REASON_EXECUTOR_TERMINATED and the master hears EXECUTOR_EXITED.
func TestRecoverKillsCustomExecutors(t *testing.T) {
	m := newFakeMaster(t)
	detach := func(c *Config) { c.DetachOnStop = true }
	a, cfg := servedAgent(t, m, detach)
	s := m.subscribe("M-S0", 30)
	fw := frameworkInfo("fw")
	fw.Checkpoint = proto.Bool(true)
	seen := map[string]bool{}
	s.events <- runTask(fw, executorTask("e1", "", testExecutorInfo(t, "ex", "run")))
	pid := int(m.expectUpdate(s, "fw", "e1", mesos.TaskState_TASK_RUNNING, seen).GetContainerStatus().GetExecutorPid())
	if err := a.stop(t); err != nil {
		t.Fatal(err)
	}
	if pid == 0 || !alive(pid) {
		t.Fatalf("the executor (pid %d) died with the agent", pid)
	}

	servedAgent(t, m, func(c *Config) { detach(c); c.WorkDir = cfg.WorkDir })
	s2 := m.subscribe("M-S0", 30)
	if id := s2.call.GetSubscribe().GetAgentInfo().GetId().GetValue(); id != "M-S0" {
		t.Fatalf("reregistered as %q", id)
	}
	// The RUNNING's acknowledgement may not have reached the first agent:
	// then it comes again first.
	var st *mesos.TaskStatus
	exited := false
	for st.GetState() != mesos.TaskState_TASK_FAILED || !exited {
		c := m.nextCall()
		switch c.GetType() {
		case agentpb.Call_UPDATE:
			st = c.GetUpdate().GetStatus()
			ack(s2, "fw", st)
		case agentpb.Call_EXECUTOR_EXITED:
			if id := c.GetExecutorExited().GetExecutorId().GetValue(); id != "ex" {
				t.Errorf("EXECUTOR_EXITED for %q", id)
			}
			exited = true
		}
	}
	if st.GetReason() != mesos.TaskStatus_REASON_EXECUTOR_TERMINATED || st.GetSource() != mesos.TaskStatus_SOURCE_AGENT {
		t.Errorf("terminal update: %v", st)
	}
	waitFor(t, "the executor gone", func() bool { return !alive(pid) })
}
