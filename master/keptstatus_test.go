package master

import (
	"bytes"
	"testing"
	"unsafe"

	"google.golang.org/protobuf/proto"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// TestKeptStatusIsSmall guards the size that makes 100,000 tasks' histories
// cheap: a field added to KeptStatus must find room in its 64 bytes or
// go to Rare.
func TestKeptStatusIsSmall(t *testing.T) {
	if n := unsafe.Sizeof(KeptStatus{}); n > 64 {
		t.Errorf("KeptStatus is %d bytes, want at most 64", n)
	}
}

// expectedKept is what a kept status gives back: s without its data and
// unknown fields, with an ID message naming the task's own ID (or, for an
// executor, the task's ID) reduced to that value.
func expectedKept(s *mesos.TaskStatus, ids TaskIDs) *mesos.TaskStatus {
	want := proto.Clone(s).(*mesos.TaskStatus)
	want.Data = nil
	want.ProtoReflect().SetUnknown(nil)
	if id := want.TaskId; id != nil && id.Value != nil && *id.Value == ids.Task && ids.Task != "" {
		want.TaskId = &mesos.TaskID{Value: id.Value}
	}
	if id := want.AgentId; id != nil && id.Value != nil && *id.Value == ids.Agent && ids.Agent != "" {
		want.AgentId = &mesos.AgentID{Value: id.Value}
	}
	if id := want.ExecutorId; id != nil && id.Value != nil &&
		(*id.Value == ids.Executor && ids.Executor != "" || *id.Value == ids.Task && ids.Task != "") {
		want.ExecutorId = &mesos.ExecutorID{Value: id.Value}
	}
	return want
}

func TestKeptStatusGivesBackWhatItKept(t *testing.T) {
	ids := TaskIDs{Task: "web-1", Agent: "agent-1", Executor: "exec-1"}
	common := &mesos.TaskStatus{
		TaskId: &mesos.TaskID{Value: strPtr("web-1")}, State: mesos.TaskState_TASK_RUNNING.Enum(),
		Source: mesos.TaskStatus_SOURCE_EXECUTOR.Enum(), AgentId: &mesos.AgentID{Value: strPtr("agent-1")},
		ExecutorId: &mesos.ExecutorID{Value: strPtr("exec-1")}, Timestamp: float64Ptr(1700000000.25),
		Uuid: bytes.Repeat([]byte{9}, 16), Healthy: proto.Bool(false), Message: strPtr(""),
		Reason: mesos.TaskStatus_REASON_TASK_HEALTH_CHECK_STATUS_UPDATED.Enum(), Data: []byte("payload"),
	}
	commandExecutor := &mesos.TaskStatus{
		TaskId: &mesos.TaskID{Value: strPtr("web-1")}, State: mesos.TaskState_TASK_FINISHED.Enum(),
		ExecutorId: &mesos.ExecutorID{Value: strPtr("web-1")},
	}
	rare := &mesos.TaskStatus{
		TaskId: &mesos.TaskID{}, AgentId: &mesos.AgentID{Value: strPtr("elsewhere")},
		ExecutorId: &mesos.ExecutorID{Value: strPtr("other")}, Uuid: []byte{}, Source: mesos.TaskStatus_Source(300).Enum(),
		Labels:          &mesos.Labels{Labels: []*mesos.Label{{Key: strPtr("k")}}},
		ContainerStatus: &mesos.ContainerStatus{ExecutorPid: proto.Uint32(7)},
		CheckStatus:     &mesos.CheckStatusInfo{Type: mesos.CheckInfo_TCP.Enum()},
		UnreachableTime: &mesos.TimeInfo{Nanoseconds: proto.Int64(5)},
		Limitation:      &mesos.TaskResourceLimitation{},
		Healthy:         proto.Bool(true),
	}
	for name, s := range map[string]*mesos.TaskStatus{"common": common, "command executor": commandExecutor, "rare": rare, "empty": {}} {
		k := KeepStatus(s, ids)
		if got, want := k.Proto(ids), expectedKept(s, ids); !proto.Equal(got, want) {
			t.Errorf("%s: kept\n%v\nwant\n%v", name, got, want)
		}
	}
	if k := KeepStatus(common, ids); k.Rare() != nil {
		t.Errorf("a status naming its task's IDs keeps a Rare: %v", k.Rare())
	}
	if k := KeepStatus(commandExecutor, ids); k.Rare() != nil {
		t.Errorf("a command executor's status keeps a Rare: %v", k.Rare())
	}
}

func TestAppendStatusReplacesTheSameState(t *testing.T) {
	ids := TaskIDs{Task: "t"}
	running := func(b byte) KeptStatus {
		return KeepStatus(&mesos.TaskStatus{State: mesos.TaskState_TASK_RUNNING.Enum(), Uuid: bytes.Repeat([]byte{b}, 16)}, ids)
	}
	h1 := appendStatus(nil, KeepStatus(&mesos.TaskStatus{State: mesos.TaskState_TASK_STARTING.Enum()}, ids))
	h2 := appendStatus(h1, running(1))
	h3 := appendStatus(h2, running(2))
	if len(h3) != 2 || h3[1].UUID()[0] != 2 {
		t.Fatalf("history = %v, want STARTING and the last RUNNING", h3)
	}
	if len(h2) != 2 || h2[1].UUID()[0] != 1 {
		t.Error("appendStatus modified an earlier history, which snapshots share")
	}
}

// FuzzKeepStatus keeps arbitrary statuses (unknown fields, unset IDs, odd
// enum values) and checks that the kept status gives back what it kept.
func FuzzKeepStatus(f *testing.F) {
	seed, _ := proto.Marshal(&mesos.TaskStatus{TaskId: &mesos.TaskID{Value: strPtr("t")}, State: mesos.TaskState_TASK_RUNNING.Enum(),
		AgentId: &mesos.AgentID{Value: strPtr("a")}, Uuid: make([]byte, 16), Timestamp: float64Ptr(2)})
	f.Add(seed, "t", "a", "")
	f.Add([]byte{0x12, 0x00, 0x58, 0x07}, "", "", "e")
	f.Fuzz(func(t *testing.T, b []byte, task, agent, executor string) {
		s := &mesos.TaskStatus{}
		if proto.Unmarshal(b, s) != nil {
			return
		}
		ids := TaskIDs{Task: task, Agent: agent, Executor: executor}
		k := KeepStatus(s, ids)
		if got, want := k.Proto(ids), expectedKept(s, ids); !proto.Equal(got, want) {
			t.Errorf("kept\n%v\nwant\n%v", got, want)
		}
	})
}
