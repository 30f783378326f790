package integration

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"
)

// scheduler is a Mesos v1 framework speaking only JSON over HTTP: no SDK,
// no generated protobufs. Events are decoded into the small structs below;
// each keeps its raw JSON for checks on the encoding itself.
type scheduler struct {
	t           *testing.T
	url         string // the master's base URL
	streamID    string
	frameworkID string
	events      chan event // closed when the stream ends
	pending     []event    // read but not yet consumed by an await
	subscribed  event      // the SUBSCRIBED event
}

type (
	id struct {
		Value string `json:"value"`
	}
	event struct {
		Type       string `json:"type"`
		Subscribed *struct {
			FrameworkID              id      `json:"framework_id"`
			HeartbeatIntervalSeconds float64 `json:"heartbeat_interval_seconds"`
		} `json:"subscribed"`
		Offers *struct {
			Offers []offer `json:"offers"`
		} `json:"offers"`
		Update *struct {
			Status taskStatus `json:"status"`
		} `json:"update"`
		Failure *struct {
			AgentID    *id `json:"agent_id"`
			ExecutorID *id `json:"executor_id"`
		} `json:"failure"`
		Error *struct {
			Message string `json:"message"`
		} `json:"error"`
		raw []byte
	}
	offer struct {
		ID          id               `json:"id"`
		FrameworkID id               `json:"framework_id"`
		AgentID     id               `json:"agent_id"`
		Hostname    string           `json:"hostname"`
		Resources   []map[string]any `json:"resources"`
	}
	taskStatus struct {
		TaskID  id     `json:"task_id"`
		AgentID *id    `json:"agent_id"`
		State   string `json:"state"`
		Reason  string `json:"reason"`
		Source  string `json:"source"`
		Message string `json:"message"`
		UUID    string `json:"uuid"` // base64, echoed back in ACKNOWLEDGE
	}
)

// subscribe sends SUBSCRIBE with frameworkInfo (a JSON object as a map)
// and returns once SUBSCRIBED has arrived. A frameworkInfo with an "id"
// resubscribes that framework.
func subscribe(t *testing.T, m *masterProc, frameworkInfo map[string]any) *scheduler {
	t.Helper()
	call := map[string]any{"type": "SUBSCRIBE", "subscribe": map[string]any{"framework_info": frameworkInfo}}
	if fid, ok := frameworkInfo["id"]; ok {
		call["framework_id"] = fid
	}
	resp := post(t, streamClient, m.url+"/api/v1/scheduler", "", call)
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		t.Fatalf("SUBSCRIBE: %s: %s", resp.Status, b)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("SUBSCRIBE Content-Type = %q, want exactly application/json", ct)
	}
	s := &scheduler{t: t, url: m.url, streamID: resp.Header.Get("Mesos-Stream-Id"), events: make(chan event, 64)}
	if s.streamID == "" {
		t.Fatalf("SUBSCRIBE: no Mesos-Stream-Id header")
	}
	go s.read(resp.Body)
	ev := s.await(10*time.Second, "SUBSCRIBED", func(e event) bool { return e.Type == "SUBSCRIBED" })
	s.subscribed, s.frameworkID = ev, ev.Subscribed.FrameworkID.Value
	return s
}

// read decodes the stream's records into s.events until it ends.
func (s *scheduler) read(body io.Reader) {
	defer close(s.events)
	rr := newRecordReader(body)
	for {
		rec, err := rr.next()
		if err != nil {
			return
		}
		var ev event
		if err := json.Unmarshal(rec, &ev); err != nil {
			ev = event{Type: "UNDECODABLE"}
		}
		ev.raw = rec
		s.events <- ev
	}
}

// await returns the first event, pending or new, that match accepts;
// others stay pending. HEARTBEATs are dropped.
func (s *scheduler) await(timeout time.Duration, what string, match func(event) bool) event {
	s.t.Helper()
	for i, ev := range s.pending {
		if match(ev) {
			s.pending = append(s.pending[:i], s.pending[i+1:]...)
			return ev
		}
	}
	deadline := time.After(timeout)
	for {
		select {
		case ev, ok := <-s.events:
			if !ok {
				s.t.Fatalf("waiting for %s: the event stream ended", what)
			}
			switch {
			case ev.Type == "UNDECODABLE":
				s.t.Fatalf("waiting for %s: undecodable event %s", what, ev.raw)
			case match(ev):
				return ev
			case ev.Type != "HEARTBEAT":
				s.pending = append(s.pending, ev)
			}
		case <-deadline:
			s.t.Fatalf("no %s within %v (pending: %d events)", what, timeout, len(s.pending))
		}
	}
}

// awaitOffer waits for an offer, from agentID unless that is empty.
func (s *scheduler) awaitOffer(agentID string) offer {
	s.t.Helper()
	for {
		ev := s.await(10*time.Second, "OFFERS", func(e event) bool { return e.Type == "OFFERS" })
		for _, o := range ev.Offers.Offers {
			if agentID == "" || o.AgentID.Value == agentID {
				return o
			}
		}
	}
}

// awaitStatus acknowledges the task's updates until one in state want
// arrives and returns them all; another terminal state fails the test.
func (s *scheduler) awaitStatus(taskID, want string) []taskStatus {
	s.t.Helper()
	var seen []taskStatus
	for {
		ev := s.await(15*time.Second, taskID+" "+want, func(e event) bool {
			return e.Type == "UPDATE" && e.Update.Status.TaskID.Value == taskID
		})
		st := ev.Update.Status
		s.acknowledge(st)
		seen = append(seen, st)
		if st.State == want {
			return seen
		}
		switch st.State {
		case "TASK_FINISHED", "TASK_FAILED", "TASK_KILLED", "TASK_LOST", "TASK_ERROR", "TASK_DROPPED", "TASK_GONE":
			s.t.Fatalf("task %s: got %s (reason %s: %q) while waiting for %s", taskID, st.State, st.Reason, st.Message, want)
		}
	}
}

// call sends a non-SUBSCRIBE call on the stream and expects 202.
func (s *scheduler) call(body map[string]any) {
	s.t.Helper()
	body["framework_id"] = id{s.frameworkID}
	resp := post(s.t, httpClient, s.url+"/api/v1/scheduler", s.streamID, body)
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		b, _ := io.ReadAll(resp.Body)
		s.t.Fatalf("%s call: %s, want 202: %s", body["type"], resp.Status, b)
	}
}

// launch accepts o with one shell command task using cpus and mem of it.
func (s *scheduler) launch(o offer, taskID, command string, cpus, mem float64) {
	s.t.Helper()
	task := map[string]any{
		"name":      taskID,
		"task_id":   id{taskID},
		"agent_id":  o.AgentID,
		"resources": []any{takeScalar(s.t, o, "cpus", cpus), takeScalar(s.t, o, "mem", mem)},
		"command":   map[string]any{"shell": true, "value": command},
	}
	s.call(map[string]any{"type": "ACCEPT", "accept": map[string]any{
		"offer_ids":  []id{o.ID},
		"operations": []any{map[string]any{"type": "LAUNCH", "launch": map[string]any{"task_infos": []any{task}}}},
	}})
}

// takeScalar copies the offer's resource name (keeping its role and any
// other fields) with the scalar value v.
func takeScalar(t *testing.T, o offer, name string, v float64) map[string]any {
	t.Helper()
	for _, r := range o.Resources {
		if r["name"] == name {
			c := map[string]any{}
			for k, x := range r {
				c[k] = x
			}
			c["scalar"] = map[string]any{"value": v}
			return c
		}
	}
	t.Fatalf("offer %s has no %s", o.ID.Value, name)
	return nil
}

// acknowledge acknowledges an update that carries a uuid.
func (s *scheduler) acknowledge(st taskStatus) {
	s.t.Helper()
	if st.UUID == "" {
		return
	}
	s.call(map[string]any{"type": "ACKNOWLEDGE", "acknowledge": map[string]any{
		"agent_id": st.AgentID, "task_id": st.TaskID, "uuid": st.UUID,
	}})
}

func (s *scheduler) kill(taskID, agentID string) {
	s.t.Helper()
	s.call(map[string]any{"type": "KILL", "kill": map[string]any{"task_id": id{taskID}, "agent_id": id{agentID}}})
}

func (s *scheduler) reconcile(taskID, agentID string) {
	s.t.Helper()
	s.call(map[string]any{"type": "RECONCILE", "reconcile": map[string]any{
		"tasks": []any{map[string]any{"task_id": id{taskID}, "agent_id": id{agentID}}},
	}})
}

// post sends body as JSON, accepting JSON, with Mesos-Stream-Id if given.
func post(t *testing.T, c *http.Client, url, streamID string, body any) *http.Response {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatalf("encoding a call: %v", err)
	}
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if streamID != "" {
		req.Header.Set("Mesos-Stream-Id", streamID)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	return resp
}
