package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/master"
	"github.com/agoraproject/agora/proto/agora/agentpb"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	"github.com/agoraproject/agora/proto/mesos/v1/scheduler"
	"github.com/agoraproject/agora/proto/recordio"
	"github.com/agoraproject/agora/proto/resources"
)

// These tests speak the wire protocol with raw HTTP clients (no SDK): the
// framework in JSON or protobuf, the agent in protobuf.

func startMaster(t *testing.T, maxBody int64) *httptest.Server {
	t.Helper()
	cfg := master.DefaultConfig()
	cfg.TickInterval = 5 * time.Millisecond
	m, err := master.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = m.Run(ctx); close(done) }()
	h := New(m, nil)
	if maxBody > 0 {
		h.SetMaxBodyBytes(maxBody)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(func() { srv.CloseClientConnections(); srv.Close(); cancel(); <-done })
	return srv
}

func post(t *testing.T, url, ctype, accept, streamID string, body []byte) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	if streamID != "" {
		req.Header.Set("Mesos-Stream-Id", streamID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// fakeAgent registers over the agent protocol with protobuf and serves
// RUN_TASK by reporting the given states.
type fakeAgent struct {
	t        *testing.T
	url      string
	id       string
	streamID string
	events   chan *agentpb.Event
}

func registerAgent(t *testing.T, srv *httptest.Server, res string) *fakeAgent {
	t.Helper()
	rs, err := resources.Parse(res)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := proto.Marshal(&agentpb.Call{
		Type: agentpb.Call_SUBSCRIBE.Enum(),
		Subscribe: &agentpb.Call_Subscribe{AgentInfo: &mesos.AgentInfo{
			Hostname: proto.String("agent-1"), Port: proto.Int32(5051), Resources: rs,
		}},
	})
	resp := post(t, srv.URL+"/agora/v1/agent", "application/x-protobuf", "application/x-protobuf", "", body)
	if resp.StatusCode != 200 {
		t.Fatalf("agent subscribe: %d", resp.StatusCode)
	}
	a := &fakeAgent{t: t, url: srv.URL + "/agora/v1/agent", streamID: resp.Header.Get("Mesos-Stream-Id"), events: make(chan *agentpb.Event, 100)}
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
	e := <-a.events
	a.id = e.GetSubscribed().GetAgentId().GetValue()
	if a.id == "" {
		t.Fatalf("first agent event: %v", e)
	}
	return a
}

func (a *fakeAgent) next(want agentpb.Event_Type) *agentpb.Event {
	a.t.Helper()
	for {
		select {
		case e, ok := <-a.events:
			if !ok {
				a.t.Fatal("agent stream ended")
			}
			if e.GetType() == want {
				return e
			}
		case <-time.After(5 * time.Second):
			a.t.Fatalf("agent: no %v", want)
		}
	}
}

func (a *fakeAgent) update(fwID string, taskID string, state mesos.TaskState, uuid []byte) {
	a.t.Helper()
	body, _ := proto.Marshal(&agentpb.Call{
		Type:    agentpb.Call_UPDATE.Enum(),
		AgentId: &mesos.AgentID{Value: &a.id},
		Update: &agentpb.Call_Update{
			FrameworkId: &mesos.FrameworkID{Value: &fwID},
			Status: &mesos.TaskStatus{
				TaskId: &mesos.TaskID{Value: &taskID}, State: state.Enum(), Uuid: uuid,
				Source: mesos.TaskStatus_SOURCE_EXECUTOR.Enum(),
			},
		},
	})
	resp := post(a.t, a.url, "application/x-protobuf", "", a.streamID, body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		a.t.Fatalf("agent UPDATE: %d", resp.StatusCode)
	}
}

// jsonStream reads a JSON scheduler event stream as generic maps, the way
// a client without generated code would.
type jsonStream struct {
	t      *testing.T
	events chan map[string]any
}

func subscribeJSON(t *testing.T, srv *httptest.Server, body string) (*jsonStream, string, *http.Response) {
	t.Helper()
	resp := post(t, srv.URL+"/api/v1/scheduler", "application/json", "application/json", "", []byte(body))
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("subscribe: %d %s", resp.StatusCode, b)
	}
	s := &jsonStream{t: t, events: make(chan map[string]any, 100)}
	go func() {
		defer resp.Body.Close()
		br := bufio.NewReader(resp.Body)
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				close(s.events)
				return
			}
			n := 0
			for _, c := range strings.TrimSpace(line) {
				n = n*10 + int(c-'0')
			}
			buf := make([]byte, n)
			if _, err := io.ReadFull(br, buf); err != nil {
				close(s.events)
				return
			}
			var e map[string]any
			if json.Unmarshal(buf, &e) == nil {
				s.events <- e
			}
		}
	}()
	return s, resp.Header.Get("Mesos-Stream-Id"), resp
}

func (s *jsonStream) next(want string) map[string]any {
	s.t.Helper()
	for {
		select {
		case e, ok := <-s.events:
			if !ok {
				s.t.Fatalf("stream ended waiting for %s", want)
			}
			if e["type"] == want {
				return e
			}
		case <-time.After(5 * time.Second):
			s.t.Fatalf("no %s event", want)
		}
	}
}

func dig(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func TestJSONFrameworkLifecycle(t *testing.T) {
	srv := startMaster(t, 0)
	ag := registerAgent(t, srv, "cpus:2;mem:1024;ports:[31000-31010]")
	fw, streamID, resp := subscribeJSON(t, srv, `{"type":"SUBSCRIBE","subscribe":{"framework_info":{"user":"root","name":"raw-json"}}}`)
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want exactly application/json", ct)
	}
	if streamID == "" {
		t.Fatal("no Mesos-Stream-Id header")
	}
	sub := fw.next("SUBSCRIBED")
	fwID := dig(sub, "subscribed", "framework_id", "value").(string)
	if hb := dig(sub, "subscribed", "heartbeat_interval_seconds"); hb != 15.0 {
		t.Errorf("heartbeat_interval_seconds = %v", hb)
	}
	offers := fw.next("OFFERS")
	offerID := dig(offers, "offers", "offers", 0, "id", "value").(string)
	if begin, ok := dig(offers, "offers", "offers", 0, "resources", 2, "ranges", "range", 0, "begin").(float64); !ok || begin != 31000 {
		t.Errorf("64-bit range begin should be the JSON number 31000, got %#v", dig(offers, "offers", "offers", 0, "resources", 2))
	}
	accept := `{"framework_id":{"value":"` + fwID + `"},"type":"ACCEPT","accept":{"offer_ids":[{"value":"` + offerID + `"}],
	 "operations":[{"type":"LAUNCH","launch":{"task_infos":[{"name":"t","task_id":{"value":"t1"},"agent_id":{"value":"` + ag.id + `"},
	 "resources":[{"name":"cpus","type":"SCALAR","scalar":{"value":0.5}},{"name":"mem","type":"SCALAR","scalar":{"value":64}}],
	 "command":{"value":"echo hi"}}]}}],"filters":{"refuse_seconds":1}}}`
	r := post(t, srv.URL+"/api/v1/scheduler", "application/json", "", streamID, []byte(accept))
	if r.StatusCode != http.StatusAccepted {
		b, _ := io.ReadAll(r.Body)
		t.Fatalf("ACCEPT: %d %s", r.StatusCode, b)
	}
	run := ag.next(agentpb.Event_RUN_TASK)
	if run.GetRunTask().GetTask().GetCommand().GetValue() != "echo hi" {
		t.Fatalf("RUN_TASK = %v", run)
	}
	uuid := bytes.Repeat([]byte{7}, 16)
	ag.update(fwID, "t1", mesos.TaskState_TASK_RUNNING, uuid)
	up := fw.next("UPDATE")
	if dig(up, "update", "status", "state") != "TASK_RUNNING" {
		t.Fatalf("UPDATE = %v", up)
	}
	ackUUID := dig(up, "update", "status", "uuid").(string) // base64, as Mesos sends bytes
	ack := `{"framework_id":{"value":"` + fwID + `"},"type":"ACKNOWLEDGE","acknowledge":{"agent_id":{"value":"` + ag.id + `"},"task_id":{"value":"t1"},"uuid":"` + ackUUID + `"}}`
	r = post(t, srv.URL+"/api/v1/scheduler", "application/json", "", streamID, []byte(ack))
	if r.StatusCode != http.StatusAccepted {
		t.Fatalf("ACKNOWLEDGE: %d", r.StatusCode)
	}
	if got := ag.next(agentpb.Event_ACKNOWLEDGE).GetAcknowledge().GetUuid(); !bytes.Equal(got, uuid) {
		t.Errorf("agent got ack uuid %x, want %x", got, uuid)
	}
	ag.update(fwID, "t1", mesos.TaskState_TASK_FINISHED, bytes.Repeat([]byte{8}, 16))
	if up := fw.next("UPDATE"); dig(up, "update", "status", "state") != "TASK_FINISHED" {
		t.Fatalf("UPDATE = %v", up)
	}

	// /master/state reports the finished task in Mesos's shape.
	sr, err := http.Get(srv.URL + "/master/state")
	if err != nil {
		t.Fatal(err)
	}
	var state map[string]any
	json.NewDecoder(sr.Body).Decode(&state)
	sr.Body.Close()
	if dig(state, "frameworks", 0, "completed_tasks", 0, "state") != "TASK_FINISHED" {
		t.Errorf("state frameworks: %v", dig(state, "frameworks"))
	}
	if dig(state, "slaves", 0, "resources", "ports") != "[31000-31010]" || dig(state, "slaves", 0, "resources", "cpus") != 2.0 {
		t.Errorf("flattened agent resources: %v", dig(state, "slaves", 0, "resources"))
	}
	if dig(state, "activated_slaves") != 1.0 {
		t.Errorf("activated_slaves = %v", dig(state, "activated_slaves"))
	}
}

func TestProtobufFrameworkSubscribe(t *testing.T) {
	srv := startMaster(t, 0)
	registerAgent(t, srv, "cpus:1;mem:512")
	body, _ := proto.Marshal(&scheduler.Call{
		Type: scheduler.Call_SUBSCRIBE.Enum(),
		Subscribe: &scheduler.Call_Subscribe{FrameworkInfo: &mesos.FrameworkInfo{
			User: proto.String("root"), Name: proto.String("raw-pb"), Roles: []string{"web"},
			Capabilities: []*mesos.FrameworkInfo_Capability{{Type: mesos.FrameworkInfo_Capability_MULTI_ROLE.Enum()}},
		}},
	})
	resp := post(t, srv.URL+"/api/v1/scheduler", "application/x-protobuf", "application/x-protobuf", "", body)
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/x-protobuf" {
		t.Fatalf("subscribe: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	r := recordio.NewReader(resp.Body, 1<<20)
	var types []scheduler.Event_Type
	for len(types) < 2 {
		rec, err := r.ReadRecord()
		if err != nil {
			t.Fatal(err)
		}
		e := &scheduler.Event{}
		if err := proto.Unmarshal(rec, e); err != nil {
			t.Fatal(err)
		}
		types = append(types, e.GetType())
		if e.GetType() == scheduler.Event_OFFERS {
			o := e.GetOffers().GetOffers()[0]
			if o.GetAllocationInfo().GetRole() != "web" || o.GetResources()[0].GetAllocationInfo().GetRole() != "web" {
				t.Errorf("MULTI_ROLE offer lacks allocation_info role web: %v", o)
			}
		}
	}
	if types[0] != scheduler.Event_SUBSCRIBED || types[1] != scheduler.Event_OFFERS {
		t.Errorf("events = %v", types)
	}
}

func TestErrorStatuses(t *testing.T) {
	srv := startMaster(t, 512)
	_, streamID, _ := subscribeJSON(t, srv, `{"type":"SUBSCRIBE","subscribe":{"framework_info":{"user":"u","name":"n"}}}`)
	url := srv.URL + "/api/v1/scheduler"
	cases := []struct {
		name                     string
		method, ctype, accept    string
		streamID, body, wantText string
		want                     int
	}{
		{"GET", http.MethodGet, "application/json", "", "", "", "POST", 405},
		{"no content type", "POST", "", "", "", `{}`, "Content-Type", 400},
		{"text/plain", "POST", "text/plain", "", "", `{}`, "Content-Type", 415},
		{"accept html", "POST", "application/json", "text/html", "", `{"type":"SUBSCRIBE"}`, "Accept", 406},
		{"malformed json", "POST", "application/json", "", "", `{"type":`, "parse", 400},
		{"malformed protobuf", "POST", "application/x-protobuf", "", "", "\xff\xff\xff", "parse", 400},
		{"unknown type", "POST", "application/json", "", "", `{"type":"NOPE"}`, "'type'", 400},
		{"missing stream id", "POST", "application/json", "", "", `{"type":"DECLINE","framework_id":{"value":"x"},"decline":{}}`, "Mesos-Stream-Id", 400},
		{"wrong stream id", "POST", "application/json", "", "bogus", `{"type":"DECLINE","framework_id":{"value":"x"},"decline":{}}`, "cannot be found", 400},
		{"subscribe with stream id", "POST", "application/json", "", streamID, `{"type":"SUBSCRIBE","subscribe":{"framework_info":{"user":"u","name":"n"}}}`, "Mesos-Stream-Id", 400},
		{"missing user", "POST", "application/json", "", "", `{"type":"SUBSCRIBE","subscribe":{"framework_info":{"name":"n"}}}`, "user", 400},
		{"too large", "POST", "application/json", "", "", `{"type":"SUBSCRIBE","pad":"` + strings.Repeat("x", 600) + `"}`, "limit", 413},
		{"bad role", "POST", "application/json", "", "", `{"type":"SUBSCRIBE","subscribe":{"framework_info":{"user":"u","name":"n","role":".."}}}`, "reserved", 400},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest(c.method, url, strings.NewReader(c.body))
			if c.ctype != "" {
				req.Header.Set("Content-Type", c.ctype)
			}
			if c.accept != "" {
				req.Header.Set("Accept", c.accept)
			}
			if c.streamID != "" {
				req.Header.Set("Mesos-Stream-Id", c.streamID)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != c.want {
				t.Fatalf("status %d (%s), want %d", resp.StatusCode, b, c.want)
			}
			if !strings.Contains(string(b), c.wantText) {
				t.Errorf("body %q should mention %q", b, c.wantText)
			}
		})
	}
}
