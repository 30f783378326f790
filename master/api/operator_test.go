package api

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/master"
	"github.com/agoraproject/agora/proto/agora/agentpb"
	"github.com/agoraproject/agora/proto/codec"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	masterpb "github.com/agoraproject/agora/proto/mesos/v1/master"
	"github.com/agoraproject/agora/proto/mesos/v1/scheduler"
	"github.com/agoraproject/agora/proto/recordio"
	"github.com/agoraproject/agora/proto/resources"
)

// These tests speak the operator API over HTTP in both encodings, with
// generated messages on the client side only as a convenience: the JSON
// bodies are produced and parsed by the same Mesos JSON codec clients use.

var encodings = []codec.Codec{codec.JSON, codec.Protobuf}

type operatorMaster struct {
	srv   *httptest.Server
	m     *master.Master
	h     *Handler
	level zap.AtomicLevel
}

func startOperatorMaster(t testing.TB, tweak func(*master.Config)) *operatorMaster {
	t.Helper()
	cfg := master.DefaultConfig()
	cfg.TickInterval = 5 * time.Millisecond
	cfg.Flags = map[string]string{"port": "5050", "weights": "web=2"}
	cfg.Weights = map[string]float64{"web": 2}
	if tweak != nil {
		tweak(&cfg)
	}
	m, err := master.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = m.Run(ctx); close(done) }()
	h := New(m, nil)
	level := zap.NewAtomicLevelAt(zap.InfoLevel)
	h.SetLogLevel(level)
	srv := httptest.NewServer(h)
	t.Cleanup(func() { srv.CloseClientConnections(); srv.Close(); cancel(); <-done })
	return &operatorMaster{srv: srv, m: m, h: h, level: level}
}

// op posts a call in c and decodes the answer; it returns the status and,
// for 200, the response.
func (om *operatorMaster) op(t testing.TB, c codec.Codec, call *masterpb.Call) (int, *masterpb.Response, string) {
	t.Helper()
	body, err := c.Marshal(call)
	if err != nil {
		t.Fatal(err)
	}
	resp := post(t.(*testing.T), om.srv.URL+"/api/v1", c.MediaType(), c.MediaType(), "", body)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, nil, string(b)
	}
	if len(b) == 0 { // a call without a Response
		return resp.StatusCode, nil, ""
	}
	if ct := resp.Header.Get("Content-Type"); ct != c.MediaType() {
		t.Fatalf("%v answered with Content-Type %q, want %q", call.GetType(), ct, c.MediaType())
	}
	out := &masterpb.Response{}
	if err := c.Unmarshal(b, out); err != nil {
		t.Fatalf("%v: decoding %q: %v", call.GetType(), b, err)
	}
	return resp.StatusCode, out, ""
}

// must posts a call that must succeed (200).
func (om *operatorMaster) must(t *testing.T, c codec.Codec, call *masterpb.Call) *masterpb.Response {
	t.Helper()
	status, resp, msg := om.op(t, c, call)
	if status != http.StatusOK {
		t.Fatalf("%v: %d %s", call.GetType(), status, msg)
	}
	return resp
}

func callOf(t masterpb.Call_Type) *masterpb.Call { return &masterpb.Call{Type: t.Enum()} }

// pbFramework is a scheduler speaking protobuf over HTTP.
type pbFramework struct {
	t        *testing.T
	url      string
	id       string
	streamID string
	events   chan *scheduler.Event
}

func subscribeFramework(t *testing.T, url string, info *mesos.FrameworkInfo) *pbFramework {
	t.Helper()
	body, _ := proto.Marshal(&scheduler.Call{Type: scheduler.Call_SUBSCRIBE.Enum(), Subscribe: &scheduler.Call_Subscribe{FrameworkInfo: info}})
	resp := post(t, url+"/api/v1/scheduler", codec.MediaTypeProtobuf, codec.MediaTypeProtobuf, "", body)
	if resp.StatusCode != 200 {
		t.Fatalf("framework subscribe: %d", resp.StatusCode)
	}
	f := &pbFramework{t: t, url: url + "/api/v1/scheduler", streamID: resp.Header.Get("Mesos-Stream-Id"), events: make(chan *scheduler.Event, 10000)}
	go func() {
		defer resp.Body.Close()
		defer close(f.events)
		r := recordio.NewReader(resp.Body, 16<<20)
		for {
			rec, err := r.ReadRecord()
			if err != nil {
				return
			}
			e := &scheduler.Event{}
			if proto.Unmarshal(rec, e) == nil {
				f.events <- e
			}
		}
	}()
	f.id = f.next(scheduler.Event_SUBSCRIBED).GetSubscribed().GetFrameworkId().GetValue()
	return f
}

func (f *pbFramework) next(want scheduler.Event_Type) *scheduler.Event {
	f.t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case e, ok := <-f.events:
			if !ok {
				f.t.Fatalf("framework stream ended waiting for %v", want)
			}
			if e.GetType() == want {
				return e
			}
		case <-timeout:
			f.t.Fatalf("framework: no %v", want)
		}
	}
}

func (f *pbFramework) call(c *scheduler.Call) {
	f.t.Helper()
	c.FrameworkId = &mesos.FrameworkID{Value: proto.String(f.id)}
	body, _ := proto.Marshal(c)
	resp := post(f.t, f.url, codec.MediaTypeProtobuf, "", f.streamID, body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		f.t.Fatalf("%v: %d", c.GetType(), resp.StatusCode)
	}
}

// launch accepts the next offer with one task (a custom executor's when
// executor is set) and has the agent report it RUNNING.
func (f *pbFramework) launch(ag *fakeAgent, taskID, executor string) {
	f.t.Helper()
	offer := f.next(scheduler.Event_OFFERS).GetOffers().GetOffers()[0]
	res, _ := resources.Parse("cpus:0.5;mem:64")
	ti := &mesos.TaskInfo{Name: proto.String(taskID), TaskId: &mesos.TaskID{Value: proto.String(taskID)}, AgentId: offer.AgentId, Resources: res}
	if executor != "" {
		ti.Executor = &mesos.ExecutorInfo{ExecutorId: &mesos.ExecutorID{Value: proto.String(executor)},
			Command: &mesos.CommandInfo{Value: proto.String("./executor")}}
	} else {
		ti.Command = &mesos.CommandInfo{Value: proto.String("sleep 100")}
	}
	f.call(&scheduler.Call{Type: scheduler.Call_ACCEPT.Enum(), Accept: &scheduler.Call_Accept{OfferIds: []*mesos.OfferID{offer.Id},
		Operations: []*mesos.Offer_Operation{{Type: mesos.Offer_Operation_LAUNCH.Enum(), Launch: &mesos.Offer_Operation_Launch{TaskInfos: []*mesos.TaskInfo{ti}}}}}})
	ag.next(agentpb.Event_RUN_TASK)
	ag.update(f.id, taskID, mesos.TaskState_TASK_RUNNING, bytes.Repeat([]byte{1}, 16))
	f.next(scheduler.Event_UPDATE)
}

func webFramework(name string, caps ...mesos.FrameworkInfo_Capability_Type) *mesos.FrameworkInfo {
	info := &mesos.FrameworkInfo{User: proto.String("root"), Name: proto.String(name), Role: proto.String("web"), FailoverTimeout: proto.Float64(60)}
	for _, c := range caps {
		info.Capabilities = append(info.Capabilities, &mesos.FrameworkInfo_Capability{Type: c.Enum()})
	}
	return info
}

func TestOperatorReadCalls(t *testing.T) {
	om := startOperatorMaster(t, nil)
	ag := registerAgent(t, om.srv, "cpus:4;mem:1024")
	fw := subscribeFramework(t, om.srv.URL, webFramework("reader"))
	fw.launch(ag, "t1", "exec-1")

	for _, c := range encodings {
		t.Run(c.MediaType(), func(t *testing.T) {
			if r := om.must(t, c, callOf(masterpb.Call_GET_HEALTH)); r.GetType() != masterpb.Response_GET_HEALTH || !r.GetGetHealth().GetHealthy() {
				t.Errorf("GET_HEALTH = %v", r)
			}
			flags := map[string]string{}
			for _, f := range om.must(t, c, callOf(masterpb.Call_GET_FLAGS)).GetGetFlags().GetFlags() {
				flags[f.GetName()] = f.GetValue()
			}
			if flags["weights"] != "web=2" || flags["port"] != "5050" {
				t.Errorf("GET_FLAGS = %v", flags)
			}
			if v := om.must(t, c, callOf(masterpb.Call_GET_VERSION)).GetGetVersion().GetVersionInfo().GetVersion(); v != master.Version {
				t.Errorf("GET_VERSION = %q", v)
			}
			metrics := map[string]float64{}
			for _, m := range om.must(t, c, callOf(masterpb.Call_GET_METRICS)).GetGetMetrics().GetMetrics() {
				metrics[m.GetName()] = m.GetValue()
			}
			if metrics["master/tasks_running"] != 1 || metrics["master/slaves_active"] != 1 {
				t.Errorf("GET_METRICS tasks_running=%v slaves_active=%v", metrics["master/tasks_running"], metrics["master/slaves_active"])
			}
			if r := om.must(t, c, callOf(masterpb.Call_GET_LOGGING_LEVEL)); r.GetGetLoggingLevel().GetLevel() != 0 {
				t.Errorf("GET_LOGGING_LEVEL at INFO = %v, want 0", r)
			}

			st := om.must(t, c, callOf(masterpb.Call_GET_STATE)).GetGetState()
			if n := len(st.GetGetTasks().GetTasks()); n != 1 || st.GetGetTasks().GetTasks()[0].GetState() != mesos.TaskState_TASK_RUNNING {
				t.Errorf("GET_STATE tasks = %v", st.GetGetTasks())
			}
			if len(st.GetGetAgents().GetAgents()) != 1 || len(st.GetGetFrameworks().GetFrameworks()) != 1 || len(st.GetGetExecutors().GetExecutors()) != 1 {
				t.Errorf("GET_STATE = %v", st)
			}

			agents := om.must(t, c, callOf(masterpb.Call_GET_AGENTS)).GetGetAgents().GetAgents()
			if len(agents) != 1 || agents[0].GetAgentInfo().GetId().GetValue() != ag.id || !agents[0].GetActive() {
				t.Fatalf("GET_AGENTS = %v", agents)
			}
			// The task's 0.5 cpus and the executor's default share are allocated.
			if got := resources.Scalar(agents[0].GetAllocatedResources(), "cpus"); got < 0.5 || resources.Scalar(agents[0].GetTotalResources(), "cpus") != 4 {
				t.Errorf("GET_AGENTS allocated cpus = %v, total %v", got, agents[0].GetTotalResources())
			}

			fws := om.must(t, c, callOf(masterpb.Call_GET_FRAMEWORKS)).GetGetFrameworks()
			if len(fws.GetFrameworks()) != 1 || fws.GetFrameworks()[0].GetFrameworkInfo().GetId().GetValue() != fw.id ||
				!fws.GetFrameworks()[0].GetActive() || fws.GetFrameworks()[0].GetRegisteredTime() == nil {
				t.Errorf("GET_FRAMEWORKS = %v", fws)
			}

			ex := om.must(t, c, callOf(masterpb.Call_GET_EXECUTORS)).GetGetExecutors().GetExecutors()
			if len(ex) != 1 || ex[0].GetExecutorInfo().GetExecutorId().GetValue() != "exec-1" || ex[0].GetAgentId().GetValue() != ag.id {
				t.Errorf("GET_EXECUTORS = %v", ex)
			}

			tasks := om.must(t, c, callOf(masterpb.Call_GET_TASKS)).GetGetTasks().GetTasks()
			if len(tasks) != 1 || tasks[0].GetTaskId().GetValue() != "t1" || tasks[0].GetFrameworkId().GetValue() != fw.id ||
				tasks[0].GetExecutorId().GetValue() != "exec-1" || len(tasks[0].GetStatuses()) != 1 ||
				tasks[0].GetStatusUpdateState() != mesos.TaskState_TASK_RUNNING {
				t.Errorf("GET_TASKS = %v", tasks)
			}

			roles := om.must(t, c, callOf(masterpb.Call_GET_ROLES)).GetGetRoles().GetRoles()
			if len(roles) != 1 || roles[0].GetName() != "web" || roles[0].GetWeight() != 2 ||
				len(roles[0].GetFrameworks()) != 1 || roles[0].GetFrameworks()[0].GetValue() != fw.id ||
				resources.Scalar(roles[0].GetResources(), "cpus") < 0.5 {
				t.Errorf("GET_ROLES = %v", roles)
			}

			w := om.must(t, c, callOf(masterpb.Call_GET_WEIGHTS)).GetGetWeights().GetWeightInfos()
			if len(w) != 1 || w[0].GetRole() != "web" || w[0].GetWeight() != 2 {
				t.Errorf("GET_WEIGHTS = %v", w)
			}

			gm := om.must(t, c, callOf(masterpb.Call_GET_MASTER)).GetGetMaster()
			if gm.GetMasterInfo().GetId() != om.m.ID() || gm.GetStartTime() <= 0 {
				t.Errorf("GET_MASTER = %v", gm)
			}

			for _, call := range []*masterpb.Call{
				{Type: masterpb.Call_LIST_FILES.Enum(), ListFiles: &masterpb.Call_ListFiles{Path: proto.String("/master/log")}},
				{Type: masterpb.Call_READ_FILE.Enum(), ReadFile: &masterpb.Call_ReadFile{Path: proto.String("/master/log"), Offset: proto.Uint64(0)}},
			} {
				if status, _, msg := om.op(t, c, call); status != http.StatusNotFound || !strings.Contains(msg, "/master/log") || !strings.Contains(msg, "agents") {
					t.Errorf("%v on the master: %d %q, want 404 naming the path and where files are", call.GetType(), status, msg)
				}
			}
		})
	}
}

func TestOperatorWriteCalls(t *testing.T) {
	for _, c := range encodings {
		t.Run(c.MediaType(), func(t *testing.T) {
			om := startOperatorMaster(t, nil)

			// UPDATE_WEIGHTS reaches the allocator's weights; 1 is the default.
			om.must(t, c, &masterpb.Call{Type: masterpb.Call_UPDATE_WEIGHTS.Enum(), UpdateWeights: &masterpb.Call_UpdateWeights{
				WeightInfos: []*mesos.WeightInfo{{Role: proto.String("web"), Weight: proto.Float64(1)}, {Role: proto.String("batch"), Weight: proto.Float64(3.5)}},
			}})
			w := om.must(t, c, callOf(masterpb.Call_GET_WEIGHTS)).GetGetWeights().GetWeightInfos()
			if len(w) != 1 || w[0].GetRole() != "batch" || w[0].GetWeight() != 3.5 {
				t.Errorf("GET_WEIGHTS after UPDATE_WEIGHTS = %v", w)
			}

			// SET_LOGGING_LEVEL turns DEBUG on for a while.
			om.must(t, c, &masterpb.Call{Type: masterpb.Call_SET_LOGGING_LEVEL.Enum(), SetLoggingLevel: &masterpb.Call_SetLoggingLevel{
				Level: proto.Uint32(2), Duration: &mesos.DurationInfo{Nanoseconds: proto.Int64(int64(time.Hour))},
			}})
			if om.level.Level() != zap.DebugLevel {
				t.Errorf("process level = %v after SET_LOGGING_LEVEL 2", om.level.Level())
			}
			if r := om.must(t, c, callOf(masterpb.Call_GET_LOGGING_LEVEL)); r.GetGetLoggingLevel().GetLevel() != 1 {
				t.Errorf("GET_LOGGING_LEVEL at DEBUG = %v", r)
			}

			// TEARDOWN ends the framework and its task.
			ag := registerAgent(t, om.srv, "cpus:4;mem:1024")
			fw := subscribeFramework(t, om.srv.URL, webFramework("doomed"))
			fw.launch(ag, "t1", "")
			om.must(t, c, &masterpb.Call{Type: masterpb.Call_TEARDOWN.Enum(), Teardown: &masterpb.Call_Teardown{FrameworkId: &mesos.FrameworkID{Value: proto.String(fw.id)}}})
			if e := fw.next(scheduler.Event_ERROR); !strings.Contains(e.GetError().GetMessage(), "removed") {
				t.Errorf("framework ERROR = %v", e)
			}
			if e := ag.next(agentpb.Event_SHUTDOWN_FRAMEWORK); e.GetShutdownFramework().GetFrameworkId().GetValue() != fw.id {
				t.Errorf("agent got %v", e)
			}
			fws := om.must(t, c, callOf(masterpb.Call_GET_FRAMEWORKS)).GetGetFrameworks()
			if len(fws.GetFrameworks()) != 0 || len(fws.GetCompletedFrameworks()) != 1 || fws.GetCompletedFrameworks()[0].GetUnregisteredTime() == nil {
				t.Errorf("GET_FRAMEWORKS after TEARDOWN = %v", fws)
			}
			done := om.must(t, c, callOf(masterpb.Call_GET_TASKS)).GetGetTasks().GetCompletedTasks()
			if len(done) != 1 || done[0].GetState() != mesos.TaskState_TASK_KILLED {
				t.Errorf("completed tasks after TEARDOWN = %v", done)
			}

			// MARK_AGENT_GONE: its tasks are GONE_BY_OPERATOR, it is shut down.
			aware := subscribeFramework(t, om.srv.URL, webFramework("aware", mesos.FrameworkInfo_Capability_PARTITION_AWARE))
			aware.launch(ag, "t2", "")
			om.must(t, c, &masterpb.Call{Type: masterpb.Call_MARK_AGENT_GONE.Enum(), MarkAgentGone: &masterpb.Call_MarkAgentGone{AgentId: &mesos.AgentID{Value: proto.String(ag.id)}}})
			if s := aware.next(scheduler.Event_UPDATE).GetUpdate().GetStatus(); s.GetState() != mesos.TaskState_TASK_GONE_BY_OPERATOR {
				t.Errorf("task on the gone agent: %v", s)
			}
			if e := ag.next(agentpb.Event_SHUTDOWN); !strings.Contains(e.GetShutdown().GetMessage(), "gone") {
				t.Errorf("agent SHUTDOWN = %v", e)
			}
			if a := om.must(t, c, callOf(masterpb.Call_GET_AGENTS)).GetGetAgents().GetAgents(); len(a) != 0 {
				t.Errorf("GET_AGENTS lists the gone agent: %v", a)
			}
		})
	}
}

func TestOperatorErrors(t *testing.T) {
	om := startOperatorMaster(t, nil)
	url := om.srv.URL + "/api/v1"
	get, _ := http.Get(url)
	get.Body.Close()
	if get.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /api/v1: %d, want 405", get.StatusCode)
	}
	cases := []struct {
		name, ctype, accept, body string
		status                    int
		want                      string
	}{
		{"no content type", "", "", `{"type":"GET_HEALTH"}`, 400, "Content-Type"},
		{"text/plain", "text/plain", "", `{"type":"GET_HEALTH"}`, 415, "text/plain"},
		{"accept html", "application/json", "text/html", `{"type":"GET_HEALTH"}`, 406, "text/html"},
		{"malformed", "application/json", "", `{"type":`, 400, "Failed to parse body into Call"},
		{"unknown call", "application/json", "", `{"type":"GET_EVERYTHING"}`, 400, "Expecting 'type'"},
		{"no type", "application/json", "", `{}`, 400, "Expecting 'type'"},
		{"not implemented", "application/json", "", `{"type":"GET_QUOTA"}`, 501, "GET_QUOTA"},
		{"teardown unknown", "application/json", "", `{"type":"TEARDOWN","teardown":{"framework_id":{"value":"nope"}}}`, 404, "nope"},
		{"teardown no id", "application/json", "", `{"type":"TEARDOWN"}`, 400, "teardown.framework_id"},
		{"gone unknown", "application/json", "", `{"type":"MARK_AGENT_GONE","mark_agent_gone":{"agent_id":{"value":"nope"}}}`, 404, "nope"},
		{"gone no id", "application/json", "", `{"type":"MARK_AGENT_GONE"}`, 400, "mark_agent_gone.agent_id"},
		{"bad weight", "application/json", "", `{"type":"UPDATE_WEIGHTS","update_weights":{"weight_infos":[{"role":"web","weight":0}]}}`, 400, "positive"},
		{"weight of *", "application/json", "", `{"type":"UPDATE_WEIGHTS","update_weights":{"weight_infos":[{"role":"*","weight":2}]}}`, 400, "'*'"},
		{"weight no role", "application/json", "", `{"type":"UPDATE_WEIGHTS","update_weights":{"weight_infos":[{"weight":2}]}}`, 400, "role"},
		{"list no path", "application/json", "", `{"type":"LIST_FILES"}`, 400, "list_files.path"},
		{"logging no duration", "application/json", "", `{"type":"SET_LOGGING_LEVEL","set_logging_level":{"level":1}}`, 400, "duration"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp := post(t, url, c.ctype, c.accept, "", []byte(c.body))
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != c.status || !strings.Contains(string(b), c.want) {
				t.Fatalf("%d %q, want %d naming %q", resp.StatusCode, b, c.status, c.want)
			}
		})
	}
	// The path Mesos also serves it under.
	resp := post(t, om.srv.URL+"/master/api/v1", "application/json", "", "", []byte(`{"type":"GET_HEALTH"}`))
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("/master/api/v1: %d", resp.StatusCode)
	}
}
