package master

import (
	"runtime"
	"testing"
	"unsafe"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	"github.com/agoraproject/agora/proto/mesos/v1/scheduler"
	"github.com/agoraproject/agora/proto/resources"
)

// TestKeptTaskRendersWhatItWasLaunchedWith launches a task with the fields
// a task's views render, and a status with data, and checks what the state
// keeps: the rendered fields, the command's user, the statuses without
// their data, one status per state in a row, and the resources shared
// with an equal task.
func TestKeptTaskRendersWhatItWasLaunchedWith(t *testing.T) {
	h := newHarness(t, nil)
	fw := h.subscribe(frameworkInfo("f"))
	ag := h.addAgent("cpus:4;mem:4096")
	off := h.offers(fw)[0].GetId().GetValue()
	labeled := task("t1", ag.AgentID, "cpus:1;mem:128")
	labeled.Command.User = strPtr("nobody")
	labeled.Labels = &mesos.Labels{Labels: []*mesos.Label{{Key: strPtr("tier"), Value: strPtr("web")}}}
	labeled.KillPolicy = &mesos.KillPolicy{GracePeriod: &mesos.DurationInfo{Nanoseconds: proto.Int64(5e9)}}
	labeled.Data = []byte("launch data")
	if err := h.call(fw, launch(off, labeled, task("t2", ag.AgentID, "cpus:1;mem:128"))); err != nil {
		t.Fatal(err)
	}
	up := status("t1", mesos.TaskState_TASK_RUNNING, 1)
	up.Update.FrameworkId = &mesos.FrameworkID{Value: strPtr(fw.FrameworkID)}
	up.Update.Status.Data = []byte("large executor payload")
	h.agentCall(ag, up)
	got := h.next(fw.Events, scheduler.Event_UPDATE).GetUpdate().GetStatus()
	if string(got.GetData()) != "large executor payload" {
		t.Errorf("the framework's update lost its data: %q", got.GetData())
	}
	for i := byte(2); i <= 4; i++ { // health updates: RUNNING again
		h.update(ag, fw.FrameworkID, "t1", mesos.TaskState_TASK_RUNNING, i)
	}
	h.update(ag, fw.FrameworkID, "t2", mesos.TaskState_TASK_STARTING, 9)
	h.update(ag, fw.FrameworkID, "t2", mesos.TaskState_TASK_RUNNING, 10)

	st := h.state()
	tasks := findFramework(st, fw.FrameworkID).Tasks
	if len(tasks) != 2 {
		t.Fatalf("tasks = %d, want 2", len(tasks))
	}
	t1, t2 := tasks[0], tasks[1]
	if t1.Info.GetCommand().GetUser() != "nobody" || t1.Info.GetLabels().GetLabels()[0].GetValue() != "web" ||
		t1.Info.GetKillPolicy().GetGracePeriod().GetNanoseconds() != 5e9 {
		t.Errorf("kept info lost a rendered field: %v", t1.Info)
	}
	if t1.Info.GetCommand().Value != nil || len(t1.Info.GetData()) > 0 || len(t1.Info.GetResources()) > 0 {
		t.Errorf("kept info keeps what no view renders: %v", t1.Info)
	}
	if len(t1.Statuses) != 1 || t1.Statuses[0].UUID()[0] != 4 {
		t.Errorf("t1 statuses = %v, want only the last RUNNING (uuid 4)", t1.Statuses)
	}
	kept := t1.Statuses[0].Proto(t1.IDs())
	if len(kept.GetData()) > 0 {
		t.Errorf("a kept status keeps its data: %q", kept.GetData())
	}
	if kept.GetAgentId().GetValue() != ag.AgentID || kept.GetTaskId().GetValue() != "t1" {
		t.Errorf("kept status IDs = %v", kept)
	}
	if len(t2.Statuses) != 2 {
		t.Fatalf("t2 statuses = %v, want STARTING then RUNNING", t2.Statuses)
	}
	if first, _ := t2.Statuses[0].State(); first != mesos.TaskState_TASK_STARTING {
		t.Errorf("t2 statuses = %v, want STARTING then RUNNING", t2.Statuses)
	}
	if t2.Statuses[0].Rare() != nil || t2.Statuses[1].Rare() != nil {
		t.Error("a status naming the task's own IDs keeps them apart from the task")
	}
	if t2.Info != noTaskInfo {
		t.Errorf("a task with nothing to render keeps an info of its own: %v", t2.Info)
	}
	for i := range t1.Resources {
		if t1.Resources[i] != t2.Resources[i] {
			t.Errorf("equal resources of two tasks are not shared: %v", t1.Resources[i])
		}
	}
	if a := t1.Resources[0].GetAllocationInfo().GetRole(); a != "*" {
		t.Errorf("kept resources lost their allocation role: %q", a)
	}
}

// TestResourceInternForgetsUnusedMessages checks that the table shares
// equal messages and lets go of those nobody uses.
func TestResourceInternForgetsUnusedMessages(t *testing.T) {
	var r resourceIntern
	mk := func(v float64) *mesos.Resource {
		return &mesos.Resource{Name: strPtr("cpus"), Type: mesos.Value_SCALAR.Enum(), Scalar: &mesos.Value_Scalar{Value: proto.Float64(v)}}
	}
	a := r.list([]*mesos.Resource{mk(1)})
	b := r.list([]*mesos.Resource{mk(1), mk(2)})
	if a[0] != b[0] || b[1] == b[0] {
		t.Fatalf("sharing: a=%p b=%p,%p", a[0], b[0], b[1])
	}
	for i := 0; len(r.byKey) < internSweepMin; i++ {
		r.list([]*mesos.Resource{mk(float64(10 + i))})
	}
	runtime.GC() // nothing holds any of the messages now
	r.list([]*mesos.Resource{mk(3)})
	if n := len(r.byKey); n != 1 {
		t.Errorf("table holds %d entries after its messages were collected", n)
	}
}

// TestKeptAgentInfoKeepsEveryField guards keptAgentInfo's field list: a
// field added to AgentInfo must be added there too.
func TestKeptAgentInfoKeepsEveryField(t *testing.T) {
	res, _ := resources.Parse("cpus:2;mem:64")
	info := &mesos.AgentInfo{
		Hostname: strPtr("h"), Port: int32Ptr(5051), Resources: res,
		Attributes: []*mesos.Attribute{{Name: strPtr("rack"), Type: mesos.Value_TEXT.Enum(), Text: &mesos.Value_Text{Value: strPtr("r1")}}},
		Id:         &mesos.AgentID{Value: strPtr("old")},
		Domain:     &mesos.DomainInfo{FaultDomain: &mesos.DomainInfo_FaultDomain{Zone: &mesos.DomainInfo_FaultDomain_ZoneInfo{Name: strPtr("z")}}},
	}
	fields := info.ProtoReflect().Descriptor().Fields()
	set := 0
	info.ProtoReflect().Range(func(protoreflect.FieldDescriptor, protoreflect.Value) bool { set++; return true })
	if set != fields.Len() {
		t.Fatalf("the fixture sets %d of AgentInfo's %d fields", set, fields.Len())
	}
	kept := keptAgentInfo(info, "new")
	want := proto.Clone(info).(*mesos.AgentInfo)
	want.Id = &mesos.AgentID{Value: strPtr("new")}
	if !proto.Equal(kept, want) {
		t.Errorf("kept = %v\nwant %v", kept, want)
	}
	if info.GetId().GetValue() != "old" {
		t.Error("keptAgentInfo modified the agent's message")
	}
}

// TestTaskRecordSize guards the size class of the record every task has:
// a field added to it must find room or move to a part few tasks carry
// (as executorShare).
func TestTaskRecordSize(t *testing.T) {
	if n := unsafe.Sizeof(taskRecord{}); n > 192 {
		t.Errorf("taskRecord is %d bytes, want at most 192", n)
	}
}
