package master

import (
	"testing"
	"time"

	"github.com/agoraproject/agora/proto/agora/agentpb"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	"github.com/agoraproject/agora/proto/mesos/v1/scheduler"
	"github.com/agoraproject/agora/proto/resources"
)

func customExecutor(id, res string) *mesos.ExecutorInfo {
	rs, _ := resources.Parse(res)
	return &mesos.ExecutorInfo{
		ExecutorId: &mesos.ExecutorID{Value: strPtr(id)},
		Command:    &mesos.CommandInfo{Value: strPtr("/usr/bin/my-executor")},
		Resources:  rs,
	}
}

func executorTask(id, agentID, res string, ex *mesos.ExecutorInfo) *mesos.TaskInfo {
	t := task(id, agentID, res)
	t.Command = nil
	t.Executor = ex
	return t
}

// TestCustomExecutorLifecycle launches several tasks on one custom
// executor: the executor's resources are charged once, stay charged after
// its tasks end, and are released when the agent reports that it exited,
// with a FAILURE event to the framework. Messages flow both ways.
func TestCustomExecutorLifecycle(t *testing.T) {
	h := newHarness(t, quietPings)
	fw := h.subscribe(frameworkInfo("f"))
	ag := h.addAgent("cpus:4;mem:1024")
	used := func(want float64) {
		t.Helper()
		st := h.state()
		if got := cpus(st.Agents[0].Used); got != want {
			t.Fatalf("agent uses %v cpus, want %v", got, want)
		}
		if got := cpus(st.Frameworks[0].Used); got != want {
			t.Fatalf("framework uses %v cpus, want %v", got, want)
		}
	}

	off := h.offers(fw)
	ex := customExecutor("e1", "cpus:0.5;mem:32")
	if err := h.call(fw, launch(off[0].GetId().GetValue(),
		executorTask("t1", ag.AgentID, "cpus:1;mem:64", ex),
		executorTask("t2", ag.AgentID, "cpus:1;mem:64", ex))); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"t1", "t2"} {
		run := h.nextAgent(ag.Events, agentpb.Event_RUN_TASK).GetRunTask().GetTask()
		if run.GetTaskId().GetValue() != id || run.GetExecutor().GetFrameworkId().GetValue() != fw.FrameworkID {
			t.Fatalf("RUN_TASK = %v, want %s with executor.framework_id %s", run, id, fw.FrameworkID)
		}
	}
	used(2.5)
	st := h.state()
	if ev := st.Frameworks[0].Executors; len(ev) != 1 || ev[0].ID != "e1" || ev[0].AgentID != ag.AgentID {
		t.Fatalf("executors in state = %+v", ev)
	}

	// A different ExecutorInfo under the same ID is refused.
	h.advance(6 * time.Second)
	off = h.offers(fw)
	if ids := off[0].GetExecutorIds(); len(ids) != 1 || ids[0].GetValue() != "e1" {
		t.Fatalf("offer executor_ids = %v", ids)
	}
	other := customExecutor("e1", "cpus:0.5;mem:32")
	other.Command.Value = strPtr("/usr/bin/another")
	if err := h.call(fw, launch(off[0].GetId().GetValue(), executorTask("t3", ag.AgentID, "cpus:0.5;mem:32", other))); err != nil {
		t.Fatal(err)
	}
	if s := h.next(fw.Events, scheduler.Event_UPDATE).GetUpdate().GetStatus(); s.GetState() != mesos.TaskState_TASK_ERROR ||
		!contains(s.GetMessage(), "differs") {
		t.Fatalf("incompatible executor: %v", s)
	}

	// The tasks end; the executor keeps its resources.
	h.update(ag, fw.FrameworkID, "t1", mesos.TaskState_TASK_FINISHED, 1)
	h.update(ag, fw.FrameworkID, "t2", mesos.TaskState_TASK_FINISHED, 2)
	h.next(fw.Events, scheduler.Event_UPDATE)
	h.next(fw.Events, scheduler.Event_UPDATE)
	used(0.5)

	// Messages both ways.
	if err := h.call(fw, &scheduler.Call{Type: scheduler.Call_MESSAGE.Enum(), Message: &scheduler.Call_Message{
		AgentId: &mesos.AgentID{Value: strPtr(ag.AgentID)}, ExecutorId: ex.ExecutorId, Data: []byte("ping"),
	}}); err != nil {
		t.Fatal(err)
	}
	fm := h.nextAgent(ag.Events, agentpb.Event_FRAMEWORK_MESSAGE).GetFrameworkMessage()
	if fm.GetFrameworkId().GetValue() != fw.FrameworkID || fm.GetExecutorId().GetValue() != "e1" || string(fm.GetData()) != "ping" {
		t.Fatalf("FRAMEWORK_MESSAGE = %v", fm)
	}
	h.agentCall(ag, &agentpb.Call{Type: agentpb.Call_EXECUTOR_MESSAGE.Enum(), ExecutorMessage: &agentpb.Call_ExecutorMessage{
		FrameworkId: &mesos.FrameworkID{Value: strPtr(fw.FrameworkID)}, ExecutorId: ex.ExecutorId, Data: []byte("pong"),
	}})
	msg := h.next(fw.Events, scheduler.Event_MESSAGE).GetMessage()
	if msg.GetAgentId().GetValue() != ag.AgentID || msg.GetExecutorId().GetValue() != "e1" || string(msg.GetData()) != "pong" {
		t.Fatalf("MESSAGE = %v", msg)
	}

	// SHUTDOWN goes to the agent as one SHUTDOWN_EXECUTOR.
	if err := h.call(fw, &scheduler.Call{Type: scheduler.Call_SHUTDOWN.Enum(), Shutdown: &scheduler.Call_Shutdown{
		AgentId: &mesos.AgentID{Value: strPtr(ag.AgentID)}, ExecutorId: ex.ExecutorId,
	}}); err != nil {
		t.Fatal(err)
	}
	sd := h.nextAgent(ag.Events, agentpb.Event_SHUTDOWN_EXECUTOR).GetShutdownExecutor()
	if sd.GetExecutorId().GetValue() != "e1" || sd.GetFrameworkId().GetValue() != fw.FrameworkID {
		t.Fatalf("SHUTDOWN_EXECUTOR = %v", sd)
	}
	used(0.5) // until the agent says the process is gone

	h.agentCall(ag, &agentpb.Call{Type: agentpb.Call_EXECUTOR_EXITED.Enum(), ExecutorExited: &agentpb.Call_ExecutorExited{
		FrameworkId: &mesos.FrameworkID{Value: strPtr(fw.FrameworkID)}, ExecutorId: ex.ExecutorId, Status: int32Ptr(9),
	}})
	fail := h.next(fw.Events, scheduler.Event_FAILURE).GetFailure()
	if fail.GetAgentId().GetValue() != ag.AgentID || fail.GetExecutorId().GetValue() != "e1" || fail.GetStatus() != 9 {
		t.Fatalf("FAILURE = %v", fail)
	}
	used(0)
	if st := h.state(); len(st.Frameworks[0].Executors) != 0 {
		t.Fatalf("executor still in state: %+v", st.Frameworks[0].Executors)
	}
}

// TestCustomExecutorValidation checks the refusals a framework can act on.
func TestCustomExecutorValidation(t *testing.T) {
	h := newHarness(t, quietPings)
	fw := h.subscribe(frameworkInfo("f"))
	ag := h.addAgent("cpus:2;mem:1024")
	noCommand := customExecutor("e", "cpus:0.1")
	noCommand.Command = nil
	wrongFramework := customExecutor("e", "cpus:0.1")
	wrongFramework.FrameworkId = &mesos.FrameworkID{Value: strPtr("other")}
	deflt := customExecutor("e", "cpus:0.1")
	deflt.Type = mesos.ExecutorInfo_DEFAULT.Enum()
	both := executorTask("both", ag.AgentID, "cpus:0.1", customExecutor("e", "cpus:0.1"))
	both.Command = &mesos.CommandInfo{Value: strPtr("true")}
	cases := []struct {
		task *mesos.TaskInfo
		want string
	}{
		{executorTask("a", ag.AgentID, "cpus:0.1", noCommand), "'executor.command'"},
		{executorTask("b", ag.AgentID, "cpus:0.1", wrongFramework), "invalid FrameworkID"},
		{executorTask("c", ag.AgentID, "cpus:0.1", deflt), "DEFAULT"},
		{executorTask("d", ag.AgentID, "cpus:0.1", customExecutor("", "cpus:0.1")), "executor_id"},
		{executorTask("e", ag.AgentID, "cpus:1.5", customExecutor("e", "cpus:1")), "more resources"},
		{both, "not both"},
	}
	for _, c := range cases {
		off := h.offers(fw)
		if err := h.call(fw, launch(off[0].GetId().GetValue(), c.task)); err != nil {
			t.Fatal(err)
		}
		s := h.next(fw.Events, scheduler.Event_UPDATE).GetUpdate().GetStatus()
		if s.GetState() != mesos.TaskState_TASK_ERROR || !contains(s.GetMessage(), c.want) {
			t.Errorf("task %s: %v %q, want TASK_ERROR naming %q", c.task.GetTaskId().GetValue(), s.GetState(), s.GetMessage(), c.want)
		}
		h.advance(6 * time.Second)
	}
	h.noneAgent(ag.Events, agentpb.Event_RUN_TASK)
}

// TestCustomExecutorReregistration rebuilds executors from an agent's
// report and drops them with their framework.
func TestCustomExecutorReregistration(t *testing.T) {
	h := newHarness(t, quietPings)
	fw := h.subscribe(frameworkInfo("f"))
	ag := h.addAgent("cpus:4;mem:1024")
	off := h.offers(fw)
	ex := customExecutor("e1", "cpus:0.5;mem:32")
	if err := h.call(fw, launch(off[0].GetId().GetValue(), executorTask("t1", ag.AgentID, "cpus:1;mem:64", ex))); err != nil {
		t.Fatal(err)
	}
	run := h.nextAgent(ag.Events, agentpb.Event_RUN_TASK).GetRunTask().GetTask()

	// The agent reconnects, reporting the task and its executor.
	rs, _ := resources.Parse("cpus:4;mem:1024")
	s, err := h.m.SubscribeAgent(h.ctx, &agentpb.Call{
		Type: agentpb.Call_SUBSCRIBE.Enum(),
		Subscribe: &agentpb.Call_Subscribe{
			AgentInfo: &mesos.AgentInfo{Id: &mesos.AgentID{Value: strPtr(ag.AgentID)}, Hostname: strPtr("host1"), Resources: rs},
			Tasks:     []*mesos.Task{reported(fw.FrameworkID, run, mesos.TaskState_TASK_RUNNING)},
			Executors: []*mesos.ExecutorInfo{run.GetExecutor()},
		},
	}, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	h.nextAgent(s.Events, agentpb.Event_SUBSCRIBED)
	if st := h.state(); cpus(st.Agents[0].Used) != 1.5 || len(st.Frameworks[0].Executors) != 1 {
		t.Fatalf("after reregistration: used %v, executors %+v", st.Agents[0].Used, st.Frameworks[0].Executors)
	}

	// Teardown sends SHUTDOWN_FRAMEWORK even once the task is gone.
	h.update(s, fw.FrameworkID, "t1", mesos.TaskState_TASK_FINISHED, 3)
	if err := h.call(fw, &scheduler.Call{Type: scheduler.Call_TEARDOWN.Enum()}); err != nil {
		t.Fatal(err)
	}
	h.nextAgent(s.Events, agentpb.Event_SHUTDOWN_FRAMEWORK)
	if st := h.state(); cpus(st.Agents[0].Used) != 0 {
		t.Fatalf("after teardown the agent still uses %v", st.Agents[0].Used)
	}
}

// TestCustomExecutorTaskGroup sends a LAUNCH_GROUP to a CUSTOM executor:
// it is accounted like a LAUNCH's executor, until it exits.
func TestCustomExecutorTaskGroup(t *testing.T) {
	h := newHarness(t, quietPings)
	fw := h.subscribe(frameworkInfo("f"))
	ag := h.addAgent("cpus:4;mem:1024")
	off := h.offers(fw)
	call := launchGroup(off[0].GetId().GetValue(), "pod", "cpus:0.5;mem:32",
		task("g1", ag.AgentID, "cpus:1;mem:64"), task("g2", ag.AgentID, "cpus:1;mem:64"))
	ex := call.Accept.Operations[0].LaunchGroup.Executor
	ex.Type = mesos.ExecutorInfo_CUSTOM.Enum()
	ex.Command = &mesos.CommandInfo{Value: strPtr("/usr/bin/pod-executor")}
	if err := h.call(fw, call); err != nil {
		t.Fatal(err)
	}
	run := h.nextAgent(ag.Events, agentpb.Event_RUN_TASK_GROUP).GetRunTaskGroup()
	if run.GetExecutor().GetFrameworkId().GetValue() != fw.FrameworkID || len(run.GetTaskGroup().GetTasks()) != 2 {
		t.Fatalf("RUN_TASK_GROUP = %v", run)
	}
	if st := h.state(); cpus(st.Agents[0].Used) != 2.5 || len(st.Frameworks[0].Executors) != 1 {
		t.Fatalf("used %v, executors %+v", st.Agents[0].Used, st.Frameworks[0].Executors)
	}
	h.update(ag, fw.FrameworkID, "g1", mesos.TaskState_TASK_FINISHED, 1)
	h.update(ag, fw.FrameworkID, "g2", mesos.TaskState_TASK_FINISHED, 2)
	if st := h.state(); cpus(st.Agents[0].Used) != 0.5 {
		t.Fatalf("after the tasks: used %v, want the executor's 0.5", st.Agents[0].Used)
	}
	h.agentCall(ag, &agentpb.Call{Type: agentpb.Call_EXECUTOR_EXITED.Enum(), ExecutorExited: &agentpb.Call_ExecutorExited{
		FrameworkId: &mesos.FrameworkID{Value: strPtr(fw.FrameworkID)}, ExecutorId: ex.ExecutorId,
	}})
	if st := h.state(); cpus(st.Agents[0].Used) != 0 {
		t.Fatalf("after the executor: used %v", st.Agents[0].Used)
	}
}
