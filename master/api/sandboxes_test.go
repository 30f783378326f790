package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/master"
	"github.com/agoraproject/agora/proto/agora/agentpb"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	"github.com/agoraproject/agora/proto/recordio"
	"github.com/agoraproject/agora/proto/resources"
)

// registerAgentWithWorkDir is registerAgent for an agent that reports its
// work directory, as agents do since the agent protocol carries it.
func registerAgentWithWorkDir(t *testing.T, srvURL, res, workDir string) *fakeAgent {
	t.Helper()
	rs, err := resources.Parse(res)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := proto.Marshal(&agentpb.Call{
		Type: agentpb.Call_SUBSCRIBE.Enum(),
		Subscribe: &agentpb.Call_Subscribe{
			AgentInfo: &mesos.AgentInfo{Hostname: proto.String("agent-wd"), Port: proto.Int32(5051), Resources: rs},
			WorkDir:   proto.String(workDir),
		},
	})
	resp := post(t, srvURL+"/agora/v1/agent", "application/x-protobuf", "application/x-protobuf", "", body)
	if resp.StatusCode != 200 {
		t.Fatalf("agent subscribe: %d", resp.StatusCode)
	}
	a := &fakeAgent{t: t, url: srvURL + "/agora/v1/agent", streamID: resp.Header.Get("Mesos-Stream-Id"), events: make(chan *agentpb.Event, 100)}
	go func() {
		defer resp.Body.Close()
		r := recordio.NewReader(resp.Body, 1<<20)
		for {
			rec, err := r.ReadRecord()
			if err != nil {
				close(a.events)
				return
			}
			e := &agentpb.Event{}
			if proto.Unmarshal(rec, e) == nil {
				a.events <- e
			}
		}
	}()
	a.id = a.next(agentpb.Event_SUBSCRIBED).GetSubscribed().GetAgentId().GetValue()
	return a
}

func getState(t *testing.T, url string) map[string]any {
	t.Helper()
	resp, err := http.Get(url + "/master/state")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var state map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&state); err != nil {
		t.Fatal(err)
	}
	return state
}

// TestStateSandboxDirectories launches a command task and follows its
// executor's directory in /master/state from running to completed.
func TestStateSandboxDirectories(t *testing.T) {
	srv := startMaster(t, 0)
	workDir := t.TempDir()
	ag := registerAgentWithWorkDir(t, srv.URL, "cpus:2;mem:1024", workDir)
	fw, streamID, _ := subscribeJSON(t, srv, `{"type":"SUBSCRIBE","subscribe":{"framework_info":{"user":"root","name":"sandboxes"}}}`)
	fwID := dig(fw.next("SUBSCRIBED"), "subscribed", "framework_id", "value").(string)
	offerID := dig(fw.next("OFFERS"), "offers", "offers", 0, "id", "value").(string)
	accept := `{"framework_id":{"value":"` + fwID + `"},"type":"ACCEPT","accept":{"offer_ids":[{"value":"` + offerID + `"}],
	 "operations":[{"type":"LAUNCH","launch":{"task_infos":[{"name":"t","task_id":{"value":"t1"},"agent_id":{"value":"` + ag.id + `"},
	 "resources":[{"name":"cpus","type":"SCALAR","scalar":{"value":0.5}},{"name":"mem","type":"SCALAR","scalar":{"value":64}}],
	 "command":{"value":"echo hi"}}]}}]}}`
	if r := post(t, srv.URL+"/api/v1/scheduler", "application/json", "", streamID, []byte(accept)); r.StatusCode != http.StatusAccepted {
		t.Fatalf("ACCEPT: %d", r.StatusCode)
	}
	ag.next(agentpb.Event_RUN_TASK)
	ag.update(fwID, "t1", mesos.TaskState_TASK_RUNNING, bytes.Repeat([]byte{1}, 16))
	fw.next("UPDATE")

	// Where the agent puts the latest run of the task's command executor,
	// whose ID is the task's (docs/architecture.md, "Sandboxes").
	want := filepath.Join(workDir, "slaves", ag.id, "frameworks", fwID, "executors", "t1", "runs", "latest")
	state := getState(t, srv.URL)
	ex := dig(state, "frameworks", 0, "executors", 0)
	if dig(ex, "directory") != want || dig(ex, "executor_id") != "t1" || dig(ex, "id") != "t1" ||
		dig(ex, "slave_id") != ag.id || dig(ex, "framework_id") != fwID || dig(ex, "type") != "COMMAND" ||
		dig(ex, "resources", "cpus") != 0.5 || dig(ex, "name") != "Command Executor (Task: t1)" {
		t.Fatalf("executor %v, want directory %s", ex, want)
	}
	if n := len(dig(state, "frameworks", 0, "completed_executors").([]any)); n != 0 {
		t.Errorf("%d completed executors while the task runs", n)
	}

	ag.update(fwID, "t1", mesos.TaskState_TASK_FINISHED, bytes.Repeat([]byte{2}, 16))
	fw.next("UPDATE")
	state = getState(t, srv.URL)
	if n := len(dig(state, "frameworks", 0, "executors").([]any)); n != 0 {
		t.Errorf("%d executors after the task finished", n)
	}
	if got := dig(state, "frameworks", 0, "completed_executors", 0, "directory"); got != want {
		t.Errorf("completed executor directory %v, want %s", got, want)
	}
}

// TestWithSandboxes covers each kind of executor: custom ones listed by
// the master, the default executor of a task group (one entry for its
// tasks), command executors, and an agent that did not report its work
// directory.
func TestWithSandboxes(t *testing.T) {
	cpus := func(v float64) []*mesos.Resource {
		return []*mesos.Resource{{Name: proto.String("cpus"), Type: mesos.Value_SCALAR.Enum(), Scalar: &mesos.Value_Scalar{Value: proto.Float64(v)}}}
	}
	custom := &mesos.TaskInfo{Executor: &mesos.ExecutorInfo{Name: proto.String("my executor")}}
	f := master.FrameworkView{
		ID: "F",
		Tasks: []*master.TaskView{
			{ID: "c1", AgentID: "A", Resources: cpus(1)},
			{ID: "g1", AgentID: "A", ExecutorID: "group", Resources: cpus(0.25)},
			{ID: "g2", AgentID: "A", ExecutorID: "group", Resources: cpus(0.5)},
			{ID: "x1", AgentID: "A", ExecutorID: "mine", Info: custom, Resources: cpus(2)},
			{ID: "c2", AgentID: "B", Resources: cpus(1)},
		},
		CompletedTasks: []*master.TaskView{
			{ID: "g0", AgentID: "A", ExecutorID: "group"}, // its executor still runs
			{ID: "old", AgentID: "A", ExecutorID: "gone", Info: custom},
		},
		Executors: []master.ExecutorView{{ID: "mine", FrameworkID: "F", AgentID: "A", Info: &mesos.ExecutorInfo{Name: proto.String("my executor")}}},
	}
	o := withSandboxes(t, f, map[string]string{"A": "/w"})
	dir := func(agent, ex string) string {
		return "/w/slaves/" + agent + "/frameworks/F/executors/" + ex + "/runs/latest"
	}
	type row struct{ agent, id, kind, dir string }
	var got []row
	for _, e := range o["executors"].([]object) {
		got = append(got, row{str(e["slave_id"]), str(e["executor_id"]), str(e["type"]), str(e["directory"])})
	}
	want := []row{
		{"A", "c1", "COMMAND", dir("A", "c1")},
		{"A", "group", "DEFAULT", dir("A", "group")},
		{"A", "mine", "", dir("A", "mine")}, // rendered by renderExecutors, which sets its type
		{"B", "c2", "COMMAND", ""},
	}
	if len(got) != len(want) {
		t.Fatalf("executors %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("executor %d: %v, want %v", i, got[i], want[i])
		}
	}
	if g := o["executors"].([]object)[1]; g["resources"].(map[string]any)["cpus"] != 0.75 {
		t.Errorf("group executor resources %v, want its tasks' sum", g["resources"])
	}
	completed := o["completed_executors"].([]object)
	if len(completed) != 1 || completed[0]["executor_id"] != "gone" || completed[0]["type"] != "CUSTOM" ||
		completed[0]["name"] != "my executor" || completed[0]["directory"] != dir("A", "gone") {
		t.Errorf("completed executors %v", completed)
	}
}

// withSandboxes renders f's executor lists as /master/state has them.
func withSandboxes(t *testing.T, f master.FrameworkView, workDirs map[string]string) object {
	var encoded int
	live, completed := frameworkExecutors(&f, workDirs, &encoded)
	decode := func(es []executorEntry) []object {
		out := []object{}
		for _, e := range es {
			var o object
			if err := json.Unmarshal(e.b, &o); err != nil {
				t.Fatalf("executor %s: %v", e.b, err)
			}
			out = append(out, o)
		}
		return out
	}
	return object{"executors": decode(live), "completed_executors": decode(completed)}
}
