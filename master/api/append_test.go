package api

import (
	"bytes"
	"cmp"
	"fmt"
	"math/rand"
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/master"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	"github.com/agoraproject/agora/proto/mesosjson"
	"github.com/agoraproject/agora/proto/resources"
)

// The hand-written appenders must give what the encoders of whole
// messages give: proto.Marshal and mesosjson of master.TaskProto, and
// encoding/json of the /master/state objects.

func pstr(s string) *string { return proto.String(s) }

func scalarRes(name string, v float64, role string) *mesos.Resource {
	r := &mesos.Resource{Name: pstr(name), Type: mesos.Value_SCALAR.Enum(), Scalar: &mesos.Value_Scalar{Value: proto.Float64(v)}}
	if role != "" {
		r.AllocationInfo = &mesos.Resource_AllocationInfo{Role: pstr(role)}
	}
	return r
}

func portsRes(role string, spans ...[2]uint64) *mesos.Resource {
	r := &mesos.Resource{Name: pstr("ports"), Type: mesos.Value_RANGES.Enum(), Ranges: &mesos.Value_Ranges{},
		AllocationInfo: &mesos.Resource_AllocationInfo{Role: pstr(role)}}
	for _, s := range spans {
		r.Ranges.Range = append(r.Ranges.Range, &mesos.Value_Range{Begin: proto.Uint64(s[0]), End: proto.Uint64(s[1])})
	}
	return r
}

func fullStatus(id string) *mesos.TaskStatus {
	return &mesos.TaskStatus{
		TaskId: &mesos.TaskID{Value: pstr(id)}, State: mesos.TaskState_TASK_FAILED.Enum(),
		Data: []byte{0, 1, 2, 250}, Message: pstr("exited <1> & \"gone\"\n\u2028 \xff"),
		AgentId: &mesos.AgentID{Value: pstr("agent-1")}, Timestamp: proto.Float64(1.7e9 + 0.123456),
		ExecutorId: &mesos.ExecutorID{Value: pstr("exec")}, Healthy: proto.Bool(false),
		Source: mesos.TaskStatus_SOURCE_EXECUTOR.Enum(), Reason: mesos.TaskStatus_REASON_CONTAINER_LIMITATION_MEMORY.Enum(),
		Uuid:   bytes.Repeat([]byte{7}, 16),
		Labels: &mesos.Labels{Labels: []*mesos.Label{{Key: pstr("k"), Value: pstr("v")}, {Key: pstr("only-key")}}},
		ContainerStatus: &mesos.ContainerStatus{NetworkInfos: []*mesos.NetworkInfo{{
			IpAddresses: []*mesos.NetworkInfo_IPAddress{{IpAddress: pstr("10.0.0.7")}}}}},
		UnreachableTime: &mesos.TimeInfo{Nanoseconds: proto.Int64(-5)},
		CheckStatus:     &mesos.CheckStatusInfo{Type: mesos.CheckInfo_COMMAND.Enum()},
	}
}

// keepStatuses sets v's history to ss as the master keeps them.
func keepStatuses(v *master.TaskView, ss ...*mesos.TaskStatus) {
	for _, s := range ss {
		v.Statuses = append(v.Statuses, master.KeepStatus(s, v.IDs()))
	}
}

// fixtureTasks are tasks as the master keeps them, from the common
// command task to ones using every field the appenders write.
func fixtureTasks() []*master.TaskView {
	plain := &master.TaskView{ID: "web-1", Name: "web", FrameworkID: "fw-1", AgentID: "agent-1", Role: "*",
		State:     mesos.TaskState_TASK_RUNNING,
		Resources: []*mesos.Resource{scalarRes("cpus", 0.5, "*"), scalarRes("mem", 256, "*")},
		Info:      &mesos.TaskInfo{Command: &mesos.CommandInfo{Value: pstr("sleep 1000")}}}
	plainStatus := &mesos.TaskStatus{TaskId: &mesos.TaskID{Value: pstr("web-1")}, State: mesos.TaskState_TASK_RUNNING.Enum(),
		Source: mesos.TaskStatus_SOURCE_EXECUTOR.Enum(), Uuid: make([]byte, 16), Timestamp: proto.Float64(1),
		AgentId: &mesos.AgentID{Value: pstr("agent-1")}}
	keepStatuses(plain, plainStatus)

	rich := &master.TaskView{ID: "api <&> \u00e9", Name: "api\t\"quoted\"", FrameworkID: "fw-1", AgentID: "agent-2",
		ExecutorID: "exec", Role: "web/api", State: mesos.TaskState_TASK_FAILED,
		Resources: []*mesos.Resource{
			scalarRes("cpus", 1.25, "web"), scalarRes("mem", 0.0001, "web"), scalarRes("gpus", 1e22, ""),
			portsRes("web", [2]uint64{31000, 31001}, [2]uint64{31005, 31005}),
			{Name: pstr("zones"), Type: mesos.Value_SET.Enum(), Set: &mesos.Value_Set{Item: []string{"b", "a<"}}},
			{Name: pstr("cpus"), Type: mesos.Value_SCALAR.Enum(), Scalar: &mesos.Value_Scalar{Value: proto.Float64(2)},
				Revocable: &mesos.Resource_RevocableInfo{}},
			{Name: pstr("disk"), Type: mesos.Value_SCALAR.Enum(), Scalar: &mesos.Value_Scalar{Value: proto.Float64(64)},
				Role: pstr("web"), Reservations: []*mesos.Resource_ReservationInfo{{Type: mesos.Resource_ReservationInfo_DYNAMIC.Enum(),
					Role: pstr("web"), Principal: pstr("ops"), Labels: &mesos.Labels{Labels: []*mesos.Label{{Key: pstr("a"), Value: pstr("b")}}}}},
				Disk: &mesos.Resource_DiskInfo{Persistence: &mesos.Resource_DiskInfo_Persistence{Id: pstr("vol")}}},
		},
		Info: &mesos.TaskInfo{
			Labels:    &mesos.Labels{Labels: []*mesos.Label{{Key: pstr("tier"), Value: pstr("<web & api>")}, {Key: pstr("emoji"), Value: pstr("\U0001F600")}}},
			Discovery: &mesos.DiscoveryInfo{Visibility: mesos.DiscoveryInfo_EXTERNAL.Enum(), Name: pstr("api"), Ports: &mesos.Ports{Ports: []*mesos.Port{{Number: proto.Uint32(80), Protocol: pstr("tcp")}}}},
			Container: &mesos.ContainerInfo{Type: mesos.ContainerInfo_DOCKER.Enum(), Docker: &mesos.ContainerInfo_DockerInfo{Image: pstr("nginx"),
				PortMappings: []*mesos.ContainerInfo_DockerInfo_PortMapping{{HostPort: proto.Uint32(31000), ContainerPort: proto.Uint32(80)}}}},
			HealthCheck: &mesos.HealthCheck{Type: mesos.HealthCheck_HTTP.Enum(), Http: &mesos.HealthCheck_HTTPCheckInfo{Port: proto.Uint32(80)}},
			KillPolicy:  &mesos.KillPolicy{GracePeriod: &mesos.DurationInfo{Nanoseconds: proto.Int64(3e9)}},
			Executor:    &mesos.ExecutorInfo{ExecutorId: &mesos.ExecutorID{Value: pstr("exec")}},
			Command:     &mesos.CommandInfo{User: pstr("nobody")},
		}}
	keepStatuses(rich, &mesos.TaskStatus{TaskId: &mesos.TaskID{Value: pstr("api")}, State: mesos.TaskState_TASK_STAGING.Enum()},
		fullStatus("api"), fullStatus(rich.ID))

	odd := &master.TaskView{ID: "", Name: "", FrameworkID: "fw-2", AgentID: "agent-3", State: mesos.TaskState(99),
		Resources: []*mesos.Resource{
			scalarRes("cpus", 0, "*"), scalarRes("custom", 0, "*"), scalarRes("bad", -1, "*"),
			{Name: pstr("empty-ranges"), Type: mesos.Value_RANGES.Enum(), Ranges: &mesos.Value_Ranges{}},
			{Name: pstr("no-value"), Type: mesos.Value_SCALAR.Enum(), Scalar: &mesos.Value_Scalar{}},
			{Name: pstr("alloc-empty"), Type: mesos.Value_SCALAR.Enum(), Scalar: &mesos.Value_Scalar{Value: proto.Float64(3)}, AllocationInfo: &mesos.Resource_AllocationInfo{}},
		},
		Info: &mesos.TaskInfo{Labels: &mesos.Labels{}}}
	keepStatuses(odd,
		&mesos.TaskStatus{TaskId: &mesos.TaskID{}, State: mesos.TaskState(77).Enum(), Reason: mesos.TaskStatus_Reason(1000).Enum(), Uuid: []byte{}},
		&mesos.TaskStatus{TaskId: &mesos.TaskID{Value: pstr("x")}, State: mesos.TaskState_TASK_LOST.Enum(), Uuid: []byte{1},
			AgentId: &mesos.AgentID{}, Labels: &mesos.Labels{}, UnreachableTime: &mesos.TimeInfo{}},
		&mesos.TaskStatus{State: mesos.TaskState_TASK_KILLED.Enum(), ExecutorId: &mesos.ExecutorID{Value: pstr("")}})

	// Unknown fields: a status and a resource a newer client sent.
	withUnknown := proto.Clone(plainStatus).(*mesos.TaskStatus)
	withUnknown.ProtoReflect().SetUnknown([]byte{0xf8, 0x06, 0x01}) // field 111, varint 1
	resUnknown := scalarRes("mem", 128, "*")
	resUnknown.ProtoReflect().SetUnknown([]byte{0xf8, 0x06, 0x02})
	unknown := &master.TaskView{ID: "u", Name: "u", FrameworkID: "fw-1", AgentID: "agent-1", State: mesos.TaskState_TASK_RUNNING,
		Resources: []*mesos.Resource{resUnknown}}
	keepStatuses(unknown, withUnknown)
	return []*master.TaskView{plain, rich, odd, unknown}
}

// refCommandExecutor is sandboxes.go's rendering of a command task's
// executor.
func refCommandExecutor(t *master.TaskView, frameworkID, workDir string) []byte {
	return mustJSON(executorObject{
		ID: t.ID, ExecutorID: t.ID, Name: "Command Executor (Task: " + t.ID + ")", Type: "COMMAND",
		FrameworkID: frameworkID, SlaveID: t.AgentID, Directory: sandboxDirectory(workDir, t.AgentID, frameworkID, t.ID),
		Resources: resources.Flatten(resources.Add(nil, resources.StripAllocation(t.Resources))),
	})
}

// checkAppenders compares every appender's output for t with the
// reference encoders'.
func checkAppenders(t *testing.T, name string, v *master.TaskView, exactProto bool) {
	t.Helper()
	ref := master.TaskProto(v)
	wantPB, err := proto.Marshal(ref)
	gotPB := appendTaskProto(nil, v)
	if err == nil {
		var got mesos.Task
		if err := (proto.UnmarshalOptions{AllowPartial: true}).Unmarshal(gotPB, &got); err != nil || !proto.Equal(&got, ref) {
			t.Errorf("%s: the protobuf decodes to a different Task (%v):\n got %x\nwant %x", name, err, gotPB, wantPB)
		} else if exactProto && !bytes.Equal(gotPB, wantPB) {
			t.Errorf("%s: protobuf bytes differ:\n got %x\nwant %x", name, gotPB, wantPB)
		}
	}
	wantJSON, _ := mesosjson.Marshal(ref)
	if got := appendTaskJSON(nil, v); !bytes.Equal(got, wantJSON) {
		t.Errorf("%s: Mesos JSON differs:\n got %s\nwant %s", name, got, wantJSON)
	}
	if got, want := appendStateTask(nil, v), mustJSON(renderTask(v)); !bytes.Equal(got, want) {
		t.Errorf("%s: /master/state task differs:\n got %s\nwant %s", name, got, want)
	}
	for _, dir := range []string{"", "/var/lib/agora <&>", "/", "work/../dir//", "/var/\u2028\xff\xe2"} {
		if got, want := appendCommandExecutor(nil, v, "fw-1", dir), refCommandExecutor(v, "fw-1", dir); !bytes.Equal(got, want) {
			t.Errorf("%s: /master/state executor differs:\n got %s\nwant %s", name, got, want)
		}
	}
}

func TestAppendersMatchReferenceEncoders(t *testing.T) {
	for i, v := range fixtureTasks() {
		checkAppenders(t, fmt.Sprintf("task %d (%q)", i, v.ID), v, true)
	}
}

// randomTask is a task of random shape: resources, statuses and info
// parts drawn from r, strings from a small alphabet with the characters
// that need escaping.
func randomTask(r *rand.Rand) *master.TaskView {
	s := func() string {
		const alphabet = "ab<>&\"\\\n\x01 \u00e9\u2028\xff/"
		n := r.Intn(6)
		out := make([]byte, 0, n)
		for i := 0; i < n; i++ {
			// Bytes of the alphabet, whole runes or not.
			out = append(out, alphabet[r.Intn(len(alphabet))])
		}
		return string(out)
	}
	pick := func() bool { return r.Intn(3) == 0 }
	v := &master.TaskView{ID: s(), Name: s(), FrameworkID: s(), AgentID: s(), Role: s(), State: mesos.TaskState(r.Intn(16))}
	if pick() {
		v.ExecutorID = s()
	}
	names := []string{"cpus", "mem", "disk", "gpus", "ports", s()}
	for i := r.Intn(5); i > 0; i-- {
		name := names[r.Intn(len(names))]
		switch r.Intn(4) {
		case 0:
			v.Resources = append(v.Resources, portsRes(s(), [2]uint64{uint64(r.Intn(100)), uint64(100 + r.Intn(100))}))
		case 1:
			res := scalarRes(name, float64(r.Intn(4000))/1000, "")
			if pick() {
				res.Revocable = &mesos.Resource_RevocableInfo{}
			}
			v.Resources = append(v.Resources, res)
		default:
			v.Resources = append(v.Resources, scalarRes(name, r.Float64()*float64(r.Intn(1e6)), s()))
		}
	}
	for i := r.Intn(4); i > 0; i-- {
		st := &mesos.TaskStatus{TaskId: &mesos.TaskID{Value: pstr(s())}, State: mesos.TaskState(r.Intn(16)).Enum()}
		if pick() {
			st = fullStatus(s())
		}
		if pick() {
			st.Uuid = make([]byte, r.Intn(17))
		}
		if pick() {
			st.Message = pstr(s())
		}
		v.Statuses = append(v.Statuses, master.KeepStatus(st, v.IDs()))
	}
	if pick() {
		v.Info = &mesos.TaskInfo{}
		if pick() {
			v.Info.Labels = &mesos.Labels{Labels: []*mesos.Label{{Key: pstr(s()), Value: pstr(s())}}}
		}
		if pick() {
			v.Info.Command = &mesos.CommandInfo{User: pstr(s())}
		}
		if pick() {
			v.Info.Discovery = &mesos.DiscoveryInfo{Visibility: mesos.DiscoveryInfo_FRAMEWORK.Enum(), Name: pstr(s())}
		}
		if pick() {
			v.Info.HealthCheck = &mesos.HealthCheck{Type: mesos.HealthCheck_TCP.Enum()}
		}
	}
	return v
}

func TestAppendersMatchOnRandomTasks(t *testing.T) {
	seed := int64(20261126)
	r := rand.New(rand.NewSource(seed))
	for i := 0; i < 2000; i++ {
		checkAppenders(t, fmt.Sprintf("seed %d, task %d", seed, i), randomTask(r), true)
		if t.Failed() {
			return
		}
	}
}

// FuzzTaskAppenders decodes arbitrary bytes as a task's TaskInfo and
// status (so unknown fields, unset required fields and odd values occur)
// and compares the appenders with the reference encoders.
func FuzzTaskAppenders(f *testing.F) {
	for _, v := range fixtureTasks() {
		info, _ := proto.Marshal(v.Info)
		var status []byte
		if n := len(v.Statuses); n > 0 {
			status, _ = proto.Marshal(v.Statuses[n-1].Proto(v.IDs()))
		}
		f.Add(info, status, uint8(v.State))
	}
	f.Fuzz(func(t *testing.T, infoBytes, statusBytes []byte, state uint8) {
		info := &mesos.TaskInfo{}
		status := &mesos.TaskStatus{}
		if proto.Unmarshal(infoBytes, info) != nil || proto.Unmarshal(statusBytes, status) != nil {
			return
		}
		v := &master.TaskView{ID: info.GetTaskId().GetValue(), Name: info.GetName(), FrameworkID: "fw",
			AgentID: info.GetAgentId().GetValue(), ExecutorID: info.GetExecutor().GetExecutorId().GetValue(),
			State: mesos.TaskState(state), Resources: info.Resources, Info: info}
		keepStatuses(v, status)
		// Maps in the messages that go through proto.Marshal are written
		// in random order: protobuf is compared as messages.
		checkAppenders(t, "fuzzed", v, false)
	})
}

func TestStateAgentMatchesRenderAgent(t *testing.T) {
	total, _ := resources.Parse("cpus:8;mem:16384;disk:100000;ports:[31000-32000,32002-32010];cpus(web):2;gpus(ml):1")
	used := resources.AllocateTo(resources.Unreserved(total)[:2], "web")
	start := time.Unix(1700000000, 123456789)
	agents := []master.AgentView{
		{ID: "a1", PID: "slave(1)@10.0.0.1:5051", Connected: true, RegisteredAt: start, Version: "1.11.0",
			Info: &mesos.AgentInfo{Hostname: pstr("host-1"), Port: proto.Int32(5051)}, Total: total, Used: used},
		{ID: "a2 <&>", PID: "", RegisteredAt: start, ReregisteredAt: start.Add(time.Second), Offered: total[:1],
			Info: &mesos.AgentInfo{Hostname: pstr("h\u2028"), Attributes: []*mesos.Attribute{
				{Name: pstr("rack"), Type: mesos.Value_TEXT.Enum(), Text: &mesos.Value_Text{Value: pstr("r<1>")}},
				{Name: pstr("weight"), Type: mesos.Value_SCALAR.Enum(), Scalar: &mesos.Value_Scalar{Value: proto.Float64(2.5)}},
				{Name: pstr("slots"), Type: mesos.Value_RANGES.Enum(), Ranges: &mesos.Value_Ranges{Range: []*mesos.Value_Range{{Begin: proto.Uint64(1), End: proto.Uint64(4)}}}},
				{Name: pstr("zones"), Type: mesos.Value_SET.Enum(), Set: &mesos.Value_Set{Item: []string{"b", "a"}}},
				{Name: pstr("bad"), Type: mesos.Value_RANGES.Enum()},
			}}},
		{ID: "a3", Info: nil},
	}
	for _, a := range agents {
		if got, want := appendStateAgent(nil, &a), mustJSON(renderAgent(a)); !bytes.Equal(got, want) {
			t.Errorf("agent %s:\n got %s\nwant %s", a.ID, got, want)
		}
	}
}

// Random resources flatten as package resources flattens them.
func TestFlatResourcesMatchFlatten(t *testing.T) {
	r := rand.New(rand.NewSource(11))
	for i := 0; i < 3000; i++ {
		var rs []*mesos.Resource
		for n := r.Intn(6); n > 0; n-- {
			name := []string{"cpus", "mem", "ports", "x"}[r.Intn(4)]
			switch r.Intn(3) {
			case 0:
				var spans [][2]uint64
				for k := r.Intn(4); k > 0; k-- {
					lo := uint64(r.Intn(50))
					spans = append(spans, [2]uint64{lo, lo + uint64(r.Intn(5)) - uint64(r.Intn(2))})
				}
				rs = append(rs, portsRes("r", spans...))
				rs[len(rs)-1].Name = pstr(name)
			default:
				rs = append(rs, scalarRes(name, float64(r.Intn(3000))/1000, ""))
			}
		}
		for _, summed := range []bool{false, true} {
			want := resources.Flatten(resources.StripAllocation(rs))
			if summed {
				want = resources.Flatten(resources.Add(nil, resources.StripAllocation(rs)))
			}
			if got, w := appendFlatResources(nil, rs, summed), mustJSON(want); !bytes.Equal(got, w) {
				t.Fatalf("%v (summed %v):\n got %s\nwant %s", rs, summed, got, w)
			}
		}
	}
}

// The check for unknown fields reads them where the generated structs
// keep them, not through protoreflect, for every message written by hand.
func TestUnknownFieldsReadDirectly(t *testing.T) {
	for name, off := range map[string]fieldOffset{"Resource": offResource, "Scalar": offScalar, "Ranges": offRanges,
		"Range": offRange, "Set": offSet, "AllocationInfo": offAllocation, "Labels": offLabels, "Label": offLabel,
		"TaskStatus": offStatus, "TaskID": offTaskID, "AgentID": offAgentID, "ExecutorID": offExecutorID, "TimeInfo": offTimeInfo} {
		if !off.ok {
			t.Errorf("%s: no unknownFields field found", name)
		}
	}
	r := scalarRes("cpus", 1, "")
	if hasUnknown(r) {
		t.Fatal("a new resource has unknown fields")
	}
	r.ProtoReflect().SetUnknown([]byte{0xf8, 0x06, 0x01})
	if !hasUnknown(r) {
		t.Fatal("unknown fields set through protoreflect are not seen")
	}
}

// Frameworks of command tasks list the executors frameworkExecutors
// lists, whatever the agents, IDs and completed tasks.
func TestCommandExecutorsMatchFrameworkExecutors(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	for iter := 0; iter < 300; iter++ {
		f := &master.FrameworkView{ID: "fw"}
		ids := map[string]bool{}
		for n := r.Intn(40); n > 0; n-- {
			id := fmt.Sprintf("t%02d", r.Intn(60))
			if ids[id] {
				continue
			}
			ids[id] = true
			f.Tasks = append(f.Tasks, &master.TaskView{ID: id, AgentID: fmt.Sprintf("a%d", r.Intn(5)), FrameworkID: "fw",
				Resources: []*mesos.Resource{scalarRes("cpus", float64(r.Intn(3)), "*")}})
		}
		slices.SortFunc(f.Tasks, func(a, b *master.TaskView) int { return cmp.Compare(a.ID, b.ID) })
		for n := r.Intn(6); n > 0; n-- {
			f.CompletedTasks = append(f.CompletedTasks, &master.TaskView{ID: fmt.Sprintf("t%02d", r.Intn(60)),
				AgentID: fmt.Sprintf("a%d", r.Intn(5)), FrameworkID: "fw"})
		}
		workDirs := map[string]string{"a1": "/w", "a2": "/w2"}
		var n2 int
		_, commands := stateFills(workDirs)
		live, completed, ok := commandExecutors(f, commands, nil)
		wantLive, wantCompleted := frameworkExecutors(f, workDirs, &n2)
		if !ok {
			continue // a shared executor: frameworkExecutors renders it
		}
		// Ranked agents: a4 is not in the state, and then the agents
		// are hashed and sorted as without ranks.
		ranked := newAgentRanks([]master.AgentView{{ID: "a0"}, {ID: "a1"}, {ID: "a2"}, {ID: "a3"}})
		rankedLive, rankedCompleted, _ := commandExecutors(f, commands, ranked)
		for _, c := range []struct {
			name      string
			got, want []executorEntry
		}{{"live", live, wantLive}, {"completed", completed, wantCompleted},
			{"live, ranked", rankedLive, wantLive}, {"completed, ranked", rankedCompleted, wantCompleted}} {
			if len(c.got) != len(c.want) {
				t.Fatalf("iteration %d: %d %s executors, want %d", iter, len(c.got), c.name, len(c.want))
			}
			for i := range c.got {
				if c.got[i].ref != c.want[i].ref || !bytes.Equal(c.got[i].b, c.want[i].b) {
					t.Fatalf("iteration %d: %s executor %d: got %v %s, want %v %s", iter, c.name, i, c.got[i].ref, c.got[i].b, c.want[i].ref, c.want[i].b)
				}
			}
		}
	}
}

// TestFlatCacheMatchesUncached encodes tasks that share their resource
// messages, as the master's do, and random ones through one memo, and
// compares with the encoding without it.
func TestFlatCacheMatchesUncached(t *testing.T) {
	r := rand.New(rand.NewSource(20261127))
	var fc flatCache
	shared := []*mesos.Resource{scalarRes("cpus", 0.1, "web"), scalarRes("mem", 32, "web")}
	for i := 0; i < 500; i++ {
		v := randomTask(r)
		if i%2 == 0 {
			v.Resources = append([]*mesos.Resource(nil), shared...) // a list of its own, the messages shared
		}
		if got, want := fc.appendStateTask(nil, v), appendStateTask(nil, v); !bytes.Equal(got, want) {
			t.Fatalf("task %d: memoized\n%s\nwant\n%s", i, got, want)
		}
		if got, want := fc.appendCommandExecutor(nil, v, "fw", "/w"), appendCommandExecutor(nil, v, "fw", "/w"); !bytes.Equal(got, want) {
			t.Fatalf("task %d executor: memoized\n%s\nwant\n%s", i, got, want)
		}
	}
	hits := 0
	for k := range fc.m {
		if k.n == 2 && k.rs[0] == shared[0] && k.rs[1] == shared[1] {
			hits++
		}
	}
	if hits != 2 { // the task's and its executor's (summed) objects
		t.Errorf("the shared list has %d memo entries, want 2", hits)
	}
}
