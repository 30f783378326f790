package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/master"
	"github.com/agoraproject/agora/proto/agora/agentpb"
	"github.com/agoraproject/agora/proto/codec"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	masterpb "github.com/agoraproject/agora/proto/mesos/v1/master"
	"github.com/agoraproject/agora/proto/mesos/v1/scheduler"
	"github.com/agoraproject/agora/proto/mesosjson"
	"github.com/agoraproject/agora/proto/resources"
)

// The state reads assembled from cached pieces must be byte for byte what
// encoding the whole document gives, read after read, as tasks change.
func TestStateReadsMatchReference(t *testing.T) {
	om := startOperatorMaster(t, nil)
	ag := registerAgentWithWorkDir(t, om.srv.URL, "cpus:8;mem:4096", "/var/lib/agora")
	fw := subscribeFramework(t, om.srv.URL, webFramework("reader"))
	launchTasks(fw, ag, [2]string{"t1", "exec-1"}, [2]string{"t2"}, [2]string{"t3"})
	ag.update(fw.id, "t2", mesos.TaskState_TASK_FINISHED, bytes.Repeat([]byte{2}, 16))
	fw.next(scheduler.Event_UPDATE)
	gone := subscribeFramework(t, om.srv.URL, webFramework("gone \x00agora-splice:tasks")) // not a placeholder
	if err := om.m.TeardownFramework(context.Background(), gone.id); err != nil {
		t.Fatal(err)
	}
	registerAgent(t, om.srv, "cpus:2;mem:512")

	c := newStateCaches(DefaultStateCacheTTL)
	var last *master.State
	check := func(step string) {
		t.Helper()
		s, err := om.m.State(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if step == "unchanged" {
			// The same state read again: offers made in between (allocation
			// passes are spaced out) would change the agents.
			s = last
		}
		last = s
		c.stats.reset()
		compareState(t, step, c, s)
	}
	kinds := []string{"protobuf tasks", "json tasks", "state tasks", "state executors", "state agents", "protobuf agents", "json agents"}
	check("first read")
	for _, k := range kinds {
		want := 3 // tasks
		if k == "state executors" || strings.HasSuffix(k, "agents") {
			want = 2 // t1's executor is a custom one the master lists itself
		}
		if n := c.stats.count(k); n != want {
			t.Errorf("the first reads encoded %d %s, want %d", n, k, want)
		}
	}
	check("unchanged")
	for _, k := range kinds {
		if n := c.stats.count(k); n != 0 {
			t.Errorf("second reads of the same state encoded %d %s, want 0", n, k)
		}
	}
	ag.update(fw.id, "t3", mesos.TaskState_TASK_RUNNING, bytes.Repeat([]byte{3}, 16))
	fw.next(scheduler.Event_UPDATE)
	check("t3 has a second status")
	for _, k := range kinds[:3] {
		if n := c.stats.count(k); n != 1 {
			t.Errorf("after one task changed, %d %s were encoded, want 1", n, k)
		}
	}
	if n := c.stats.count("state executors"); n != 0 {
		t.Errorf("after a task changed state, %d executors were encoded, want 0 (its executor is the same)", n)
	}
	ag.update(fw.id, "t3", mesos.TaskState_TASK_KILLED, bytes.Repeat([]byte{4}, 16))
	fw.next(scheduler.Event_UPDATE)
	check("t3 killed")
	if n := c.stats.count("state executors"); n != 1 {
		t.Errorf("after a task ended, %d executors were encoded, want 1 (the ended task's; t2's is kept with t2)", n)
	}
}

// launchTasks launches tasks (ID and executor ID, none for a command task)
// through one offer and reports them RUNNING.
func launchTasks(f *pbFramework, ag *fakeAgent, tasks ...[2]string) {
	f.t.Helper()
	launchTasksOn(f, []*fakeAgent{ag}, tasks...)
}

// launchTasksOn launches tasks on the first offer, of whichever of agents
// it is.
func launchTasksOn(f *pbFramework, agents []*fakeAgent, tasks ...[2]string) {
	f.t.Helper()
	offer := f.next(scheduler.Event_OFFERS).GetOffers().GetOffers()[0]
	ag := agents[0]
	for _, a := range agents {
		if a.id == offer.GetAgentId().GetValue() {
			ag = a
		}
	}
	res, _ := resources.Parse("cpus:0.5;mem:64")
	var infos []*mesos.TaskInfo
	var ids []string
	for _, task := range tasks {
		id, executor := task[0], task[1]
		ids = append(ids, id)
		ti := &mesos.TaskInfo{Name: proto.String(id), TaskId: &mesos.TaskID{Value: proto.String(id)}, AgentId: offer.AgentId, Resources: res,
			Labels:    &mesos.Labels{Labels: []*mesos.Label{{Key: proto.String("tier"), Value: proto.String("<web & api>")}}},
			Discovery: &mesos.DiscoveryInfo{Visibility: mesos.DiscoveryInfo_FRAMEWORK.Enum(), Name: proto.String(id + "-svc")}}
		if executor != "" {
			ti.Executor = &mesos.ExecutorInfo{ExecutorId: &mesos.ExecutorID{Value: proto.String(executor)},
				Command: &mesos.CommandInfo{Value: proto.String("./executor")}}
		} else {
			ti.Command = &mesos.CommandInfo{Value: proto.String("sleep 100")}
		}
		infos = append(infos, ti)
	}
	f.call(&scheduler.Call{Type: scheduler.Call_ACCEPT.Enum(), Accept: &scheduler.Call_Accept{OfferIds: []*mesos.OfferID{offer.Id},
		Operations: []*mesos.Offer_Operation{{Type: mesos.Offer_Operation_LAUNCH.Enum(), Launch: &mesos.Offer_Operation_Launch{TaskInfos: infos}}}}})
	for range ids {
		ag.next(agentpb.Event_RUN_TASK)
	}
	for _, id := range ids {
		ag.update(f.id, id, mesos.TaskState_TASK_RUNNING, bytes.Repeat([]byte{1}, 16))
		f.next(scheduler.Event_UPDATE)
	}
}

func compareState(t *testing.T, step string, c *stateCaches, s *master.State) {
	t.Helper()
	ref := &masterpb.Response{Type: masterpb.Response_GET_STATE.Enum(), GetState: master.OperatorState(s)}
	wantPB, _ := proto.Marshal(ref)
	wantJSON, _ := mesosjson.Marshal(ref)
	tasksRef := &masterpb.Response{Type: masterpb.Response_GET_TASKS.Enum(), GetTasks: master.OperatorTasks(s)}
	wantTasksPB, _ := proto.Marshal(tasksRef)
	wantTasksJSON, _ := mesosjson.Marshal(tasksRef)
	agentsRef := &masterpb.Response{Type: masterpb.Response_GET_AGENTS.Enum(), GetAgents: master.OperatorAgents(s)}
	wantAgentsPB, _ := proto.Marshal(agentsRef)
	wantAgentsJSON, _ := mesosjson.Marshal(agentsRef)
	wantState, _ := json.Marshal(refRenderState(s))
	wantSummary, _ := json.Marshal(refRenderSummary(s))
	if gotSummary, err := json.Marshal(renderSummary(s)); err != nil || !bytes.Equal(gotSummary, wantSummary) {
		t.Errorf("%s: state-summary differs (%v):\n got %s\nwant %s", step, err, gotSummary, wantSummary)
	}
	if !bytes.Contains(wantState, []byte(`"labels":{"labels":[{"key":"tier","value":"\u003cweb \u0026 api\u003e"}]}`)) ||
		!bytes.Contains(wantState, []byte(`"discovery":{`)) {
		t.Fatalf("%s: the tasks' labels and discovery are not in /master/state: %s", step, wantState)
	}
	for _, tc := range []struct {
		name   string
		encode func(*master.State) (*body, error)
		want   []byte
	}{
		{"GET_STATE protobuf", c.getStateProto, wantPB},
		{"GET_STATE json", c.getStateJSON, wantJSON},
		{"/master/state", c.masterState, wantState},
		{"GET_TASKS protobuf", c.getTasksProto, wantTasksPB},
		{"GET_TASKS json", c.getTasksJSON, wantTasksJSON},
		{"GET_AGENTS protobuf", c.getAgentsProto, wantAgentsPB},
		{"GET_AGENTS json", c.getAgentsJSON, wantAgentsJSON},
	} {
		b, err := tc.encode(s)
		if err != nil {
			t.Fatalf("%s: %s: %v", step, tc.name, err)
		}
		var got bytes.Buffer
		if err := b.writeTo(&got); err != nil {
			t.Fatal(err)
		}
		if got.Len() != b.n && !b.streamed() {
			t.Errorf("%s: %s: wrote %d bytes, counted %d", step, tc.name, got.Len(), b.n)
		}
		if !bytes.Equal(got.Bytes(), tc.want) {
			t.Errorf("%s: %s differs from the whole document's encoding:\n got %s\nwant %s", step, tc.name, got.Bytes(), tc.want)
		}
	}
}

// Through HTTP: Content-Length, the media type and jsonp.
func TestStateReadsOverHTTP(t *testing.T) {
	om := startOperatorMaster(t, nil)
	ag := registerAgent(t, om.srv, "cpus:4;mem:1024")
	fw := subscribeFramework(t, om.srv.URL, webFramework("reader"))
	fw.launch(ag, "t1", "")
	for _, c := range encodings {
		body, _ := c.Marshal(callOf(masterpb.Call_GET_STATE))
		req := httptest.NewRequest(http.MethodPost, "/api/v1", bytes.NewReader(body))
		req.Header.Set("Content-Type", c.MediaType())
		req.Header.Set("Accept", c.MediaType())
		w := httptest.NewRecorder()
		om.h.ServeHTTP(w, req)
		resp := &masterpb.Response{}
		if err := c.Unmarshal(w.Body.Bytes(), resp); err != nil || w.Code != 200 {
			t.Fatalf("%s: %d %v", c.MediaType(), w.Code, err)
		}
		if w.Header().Get("Content-Type") != c.MediaType() || w.Header().Get("Content-Length") != itoa(int64(w.Body.Len())) {
			t.Errorf("%s: headers %v for %d bytes", c.MediaType(), w.Header(), w.Body.Len())
		}
		if tasks := resp.GetGetState().GetGetTasks().GetTasks(); len(tasks) != 1 || tasks[0].GetTaskId().GetValue() != "t1" {
			t.Errorf("%s: tasks %v", c.MediaType(), tasks)
		}
	}
	w := httptest.NewRecorder()
	om.h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/master/state?jsonp=cb", nil))
	out := w.Body.String()
	if w.Header().Get("Content-Type") != "text/javascript" || out[:3] != "cb(" || out[len(out)-2:] != ");" ||
		w.Header().Get("Content-Length") != itoa(int64(len(out))) {
		t.Fatalf("jsonp: %v %.40q", w.Header(), out)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(out[3:len(out)-2]), &doc); err != nil {
		t.Fatal(err)
	}
	if fws := doc["frameworks"].([]any); len(fws) != 1 || len(fws[0].(map[string]any)["tasks"].([]any)) != 1 {
		t.Errorf("frameworks %v", doc["frameworks"])
	}
	_ = codec.JSON
}

// BenchmarkTaskObject encodes one /master/state task object, the cost of a
// cold read per task: the struct form against the map form it replaced.
func BenchmarkTaskObject(b *testing.B) {
	res, _ := resources.Parse("cpus:0.5;mem:256")
	t := &master.TaskView{ID: "task-0000001", Name: "task-0000001", FrameworkID: "f", AgentID: "a", Role: "*",
		State: mesos.TaskState_TASK_RUNNING, Resources: res}
	keepStatuses(t, &mesos.TaskStatus{
		TaskId: &mesos.TaskID{Value: proto.String("task-0000001")}, State: mesos.TaskState_TASK_RUNNING.Enum(),
		Uuid: make([]byte, 16), Timestamp: proto.Float64(1), AgentId: &mesos.AgentID{Value: proto.String("a")}})
	b.Run("struct", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			mustJSON(renderTask(t))
		}
	})
	b.Run("map", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			mustJSON(refRenderTask(t))
		}
	})
}

// Concurrent reads of every kind share the kept encodings safely (run
// with -race) and all answer in full.
func TestConcurrentStateReads(t *testing.T) {
	om := startOperatorMaster(t, nil)
	ag := registerAgent(t, om.srv, "cpus:8;mem:4096")
	fw := subscribeFramework(t, om.srv.URL, webFramework("reader"))
	launchTasks(fw, ag, [2]string{"t1"}, [2]string{"t2"}, [2]string{"t3"})
	getState, _ := codec.JSON.Marshal(callOf(masterpb.Call_GET_STATE))
	errs := make(chan string, 64)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 5; i++ {
				req := httptest.NewRequest(http.MethodGet, "/master/state", nil)
				if g%2 == 0 {
					req = httptest.NewRequest(http.MethodPost, "/api/v1", bytes.NewReader(getState))
					req.Header.Set("Content-Type", codec.MediaTypeJSON)
					req.Header.Set("Accept", encodings[(g/2)%2].MediaType())
				}
				w := httptest.NewRecorder()
				om.h.ServeHTTP(w, req)
				if w.Code != 200 || !bytes.Contains(w.Body.Bytes(), []byte("t3")) {
					errs <- fmt.Sprintf("reader %d: %d %.80q", g, w.Code, w.Body.String())
				}
			}
		}(g)
	}
	ag.update(fw.id, "t2", mesos.TaskState_TASK_FINISHED, bytes.Repeat([]byte{9}, 16))
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// A cold read encodes what it misses in parallel before assembling the
// response (append_parallel.go): the bytes are the same.
func TestParallelColdReadsMatchReference(t *testing.T) {
	om := startOperatorMaster(t, nil)
	ag := registerAgentWithWorkDir(t, om.srv.URL, "cpus:8;mem:4096;ports:[31000-32000]", "/var/lib/agora")
	fw := subscribeFramework(t, om.srv.URL, webFramework("reader"))
	launchTasks(fw, ag, [2]string{"t1", "exec-1"}, [2]string{"t2"}, [2]string{"t3"}, [2]string{"t4"})
	ag.update(fw.id, "t2", mesos.TaskState_TASK_FINISHED, bytes.Repeat([]byte{2}, 16))
	fw.next(scheduler.Event_UPDATE)
	c := newStateCaches(DefaultStateCacheTTL)
	c.parallelFrom = 1
	for _, step := range []string{"cold", "warm"} {
		s, err := om.m.State(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		c.stats.reset()
		compareState(t, step, c, s)
		if n := c.stats.count("state tasks"); step == "cold" && n != 4 || step == "warm" && n != 0 {
			t.Errorf("%s read encoded %d task objects", step, n)
		}
	}
}

func TestGetAgentsWithoutAgents(t *testing.T) {
	c := newStateCaches(0)
	s := &master.State{}
	ref := &masterpb.Response{Type: masterpb.Response_GET_AGENTS.Enum(), GetAgents: master.OperatorAgents(s)}
	wantPB, _ := proto.Marshal(ref)
	wantJSON, _ := mesosjson.Marshal(ref)
	for _, tc := range []struct {
		encode func(*master.State) (*body, error)
		want   []byte
	}{{c.getAgentsProto, wantPB}, {c.getAgentsJSON, wantJSON}} {
		b, _ := tc.encode(s)
		var got bytes.Buffer
		_ = b.writeTo(&got)
		if !bytes.Equal(got.Bytes(), tc.want) || got.Len() != b.n {
			t.Errorf("got %q (%d counted), want %q", got.Bytes(), b.n, tc.want)
		}
	}
}

// The summary counts tasks on agents the state does not list (gone) in
// their frameworks' slave_ids only, and lists every framework on an agent.
func TestSummaryMatchesReference(t *testing.T) {
	start := time.Unix(1700000000, 0)
	task := func(id, agent string, state mesos.TaskState) *master.TaskView {
		return &master.TaskView{ID: id, AgentID: agent, State: state}
	}
	s := &master.State{Info: &mesos.MasterInfo{Hostname: proto.String("m<1>")},
		Agents: []master.AgentView{
			{ID: "a1", Connected: true, RegisteredAt: start, Info: &mesos.AgentInfo{Hostname: proto.String("h1"),
				Attributes: []*mesos.Attribute{{Name: proto.String("rack"), Type: mesos.Value_TEXT.Enum(), Text: &mesos.Value_Text{Value: proto.String("r1")}}}}},
			{ID: "a2", RegisteredAt: start},
			{ID: "a3", Unreachable: true},
		},
		Frameworks: []master.FrameworkView{
			{ID: "f1", Info: &mesos.FrameworkInfo{Name: proto.String("one"), Capabilities: []*mesos.FrameworkInfo_Capability{{Type: mesos.FrameworkInfo_Capability_MULTI_ROLE.Enum()}}},
				Tasks:          []*master.TaskView{task("t1", "a2", mesos.TaskState_TASK_RUNNING), task("t2", "a1", mesos.TaskState_TASK_STAGING), task("t3", "gone", mesos.TaskState_TASK_RUNNING), task("t4", "a2", mesos.TaskState(99))},
				CompletedTasks: []*master.TaskView{task("t0", "a1", mesos.TaskState_TASK_FINISHED), task("t9", "a3", mesos.TaskState_TASK_LOST)}},
			{ID: "f0", Info: &mesos.FrameworkInfo{}, Tasks: []*master.TaskView{task("x", "a2", mesos.TaskState_TASK_KILLING)}},
			{ID: "f2"},
		}}
	want, _ := json.Marshal(refRenderSummary(s))
	got, err := json.Marshal(renderSummary(s))
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("state-summary differs (%v):\n got %s\nwant %s", err, got, want)
	}
}
