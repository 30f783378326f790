package master

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	"github.com/agoraproject/agora/proto/mesos/v1/scheduler"
)

// Without --allow_root_tasks and --allow_privileged_containers, launches
// that would run as root (by the framework's user, the command's, uid 0,
// or no user at all) or privileged fail with TASK_ERROR saying so, while
// an ordinary task of the same framework launches.
func TestLaunchRefusesRootAndPrivileged(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.RefuseRootTasks, c.RefusePrivilegedContainers = true, true })
	info := frameworkInfo("f")
	info.User = strPtr("app")
	fw := h.subscribe(info)
	ag := h.addAgent("cpus:4;mem:1024")
	off := h.next(fw.Events, scheduler.Event_OFFERS).GetOffers().GetOffers()[0]

	asUser := func(id, user string) *mesos.TaskInfo {
		ti := task(id, ag.AgentID, "cpus:0.1;mem:16")
		ti.Command.User = strPtr(user)
		return ti
	}
	privileged := task("privileged", ag.AgentID, "cpus:0.1;mem:16")
	privileged.Container = &mesos.ContainerInfo{Type: mesos.ContainerInfo_DOCKER.Enum(),
		Docker: &mesos.ContainerInfo_DockerInfo{Image: strPtr("busybox"), Privileged: proto.Bool(true)}}
	rootExecutor := task("root-executor", ag.AgentID, "cpus:0.1;mem:16")
	rootExecutor.Command = nil
	rootExecutor.Executor = &mesos.ExecutorInfo{ExecutorId: &mesos.ExecutorID{Value: strPtr("e")},
		Command: &mesos.CommandInfo{Value: strPtr("./exec"), User: strPtr("root")}}
	ok := asUser("ok", "app")
	if err := h.call(fw, launch(off.GetId().GetValue(), asUser("root", "root"), asUser("uid0", "0"), privileged, rootExecutor, ok)); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"root": "would run as root", "uid0": "would run as root", "privileged": "privileged Docker",
		"root-executor": "executor would run as root"}
	for range want {
		s := h.next(fw.Events, scheduler.Event_UPDATE).GetUpdate().GetStatus()
		w, found := want[s.GetTaskId().GetValue()]
		if !found || s.GetState() != mesos.TaskState_TASK_ERROR || !strings.Contains(s.GetMessage(), w) {
			t.Errorf("%s: %v %q, want TASK_ERROR with %q", s.GetTaskId().GetValue(), s.GetState(), s.GetMessage(), w)
		}
	}
	st, err := h.m.State(h.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(st.Frameworks[0].Tasks); n != 1 || st.Frameworks[0].Tasks[0].ID != "ok" {
		t.Errorf("launched %d tasks, want only ok", n)
	}

	// A framework registered as root, whose tasks name no user.
	rootFw := h.subscribe(frameworkInfo("g"))
	h.clock.Advance(6e9)
	off = h.next(rootFw.Events, scheduler.Event_OFFERS).GetOffers().GetOffers()[0]
	if err := h.call(rootFw, launch(off.GetId().GetValue(), task("t", ag.AgentID, "cpus:0.1;mem:16"))); err != nil {
		t.Fatal(err)
	}
	if s := h.next(rootFw.Events, scheduler.Event_UPDATE).GetUpdate().GetStatus(); s.GetState() != mesos.TaskState_TASK_ERROR ||
		!strings.Contains(s.GetMessage(), `the framework's user is "root"`) {
		t.Errorf("a root framework's task: %v %q", s.GetState(), s.GetMessage())
	}
}
