package agent

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/proto/agora/agentpb"
	"github.com/agoraproject/agora/proto/codec"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	"github.com/agoraproject/agora/proto/recordio"
)

// fakeMaster speaks the master's side of the agent protocol, with the test
// deciding every event. Each SUBSCRIBE becomes a fakeStream.
type fakeMaster struct {
	t   *testing.T
	srv *httptest.Server

	subscribes chan *fakeStream
	calls      chan *agentpb.Call

	mu      sync.Mutex
	n       int
	current string // stream ID accepted for calls
	refuse  int    // answer this many SUBSCRIBEs with 503

	held []*mesos.TaskStatus // updates received but not asked for yet
}

type fakeStream struct {
	id     string
	call   *agentpb.Call
	events chan *agentpb.Event
	broken chan struct{}
	once   sync.Once
}

// breakStream ends the response, as a master crash or network cut would.
func (s *fakeStream) breakStream() { s.once.Do(func() { close(s.broken) }) }

func newFakeMaster(t *testing.T) *fakeMaster {
	m := &fakeMaster{
		t:          t,
		subscribes: make(chan *fakeStream, 10),
		calls:      make(chan *agentpb.Call, 100),
	}
	m.srv = httptest.NewServer(http.HandlerFunc(m.serve))
	t.Cleanup(m.srv.Close)
	return m
}

func (m *fakeMaster) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != AgentAPIPath {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	if r.Header.Get("Content-Type") != codec.Protobuf.MediaType() || r.Header.Get("Accept") != codec.Protobuf.MediaType() {
		http.Error(w, "want protobuf", http.StatusUnsupportedMediaType)
		return
	}
	body, _ := io.ReadAll(r.Body)
	call := &agentpb.Call{}
	if err := codec.Protobuf.Unmarshal(body, call); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if call.GetType() != agentpb.Call_SUBSCRIBE {
		m.mu.Lock()
		ok := r.Header.Get("Mesos-Stream-Id") == m.current && m.current != ""
		m.mu.Unlock()
		if !ok {
			http.Error(w, "bad Mesos-Stream-Id", http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusAccepted)
		m.calls <- call
		return
	}
	m.mu.Lock()
	if m.refuse > 0 {
		m.refuse--
		m.mu.Unlock()
		http.Error(w, "no leader", http.StatusServiceUnavailable)
		return
	}
	m.n++
	s := &fakeStream{id: "stream-" + strconv.Itoa(m.n), call: call, events: make(chan *agentpb.Event, 100), broken: make(chan struct{})}
	m.current = s.id
	m.mu.Unlock()

	w.Header().Set("Content-Type", codec.Protobuf.MediaType())
	w.Header().Set("Mesos-Stream-Id", s.id)
	w.WriteHeader(http.StatusOK)
	w.(http.Flusher).Flush()
	m.subscribes <- s
	rw := recordio.NewWriter(w)
	for {
		select {
		case ev := <-s.events:
			b, _ := codec.Protobuf.Marshal(ev)
			if rw.WriteRecord(b) != nil {
				return
			}
			w.(http.Flusher).Flush()
		case <-s.broken:
			return
		case <-r.Context().Done():
			return
		}
	}
}

func (m *fakeMaster) addr() string { return m.srv.Listener.Addr().String() }

// subscribe waits for the agent's next SUBSCRIBE and answers SUBSCRIBED.
func (m *fakeMaster) subscribe(agentID string, pingInterval float64) *fakeStream {
	m.t.Helper()
	s := m.nextSubscribe()
	s.events <- &agentpb.Event{
		Type: agentpb.Event_SUBSCRIBED.Enum(),
		Subscribed: &agentpb.Event_Subscribed{
			AgentId: &mesos.AgentID{Value: proto.String(agentID)}, PingIntervalSeconds: proto.Float64(pingInterval),
		},
	}
	return s
}

func (m *fakeMaster) nextSubscribe() *fakeStream {
	m.t.Helper()
	select {
	case s := <-m.subscribes:
		return s
	case <-time.After(10 * time.Second):
		m.t.Fatal("no SUBSCRIBE from the agent")
		return nil
	}
}

// nextCall waits for a non-subscribe call.
func (m *fakeMaster) nextCall() *agentpb.Call {
	m.t.Helper()
	select {
	case c := <-m.calls:
		return c
	case <-time.After(10 * time.Second):
		m.t.Fatal("no call from the agent")
		return nil
	}
}

// nextUpdate waits for the next UPDATE for task, skipping resends of
// updates already seen. Updates of other tasks are kept for later calls,
// since tasks' streams are independent and may interleave.
func (m *fakeMaster) nextUpdate(task string, seen map[string]bool) *mesos.TaskStatus {
	m.t.Helper()
	for i := 0; ; i++ {
		var st *mesos.TaskStatus
		if i < len(m.held) {
			st = m.held[i]
		} else {
			c := m.nextCall()
			if c.GetType() != agentpb.Call_UPDATE {
				i--
				continue
			}
			st = c.GetUpdate().GetStatus()
			m.held = append(m.held, st)
		}
		if st.GetTaskId().GetValue() != task {
			continue
		}
		if seen[string(st.GetUuid())] { // a resend
			m.held = append(m.held[:i], m.held[i+1:]...)
			i--
			continue
		}
		m.held = append(m.held[:i], m.held[i+1:]...)
		seen[string(st.GetUuid())] = true
		return st
	}
}

// expectUpdate waits for task's next update, checks its state and
// acknowledges it.
func (m *fakeMaster) expectUpdate(s *fakeStream, fw, task string, state mesos.TaskState, seen map[string]bool) *mesos.TaskStatus {
	m.t.Helper()
	st := m.nextUpdate(task, seen)
	if st.GetState() != state {
		m.t.Fatalf("task %s: got %v (%q), want %v", task, st.GetState(), st.GetMessage(), state)
	}
	ack(s, fw, st)
	return st
}

func ack(s *fakeStream, fw string, st *mesos.TaskStatus) {
	s.events <- &agentpb.Event{
		Type: agentpb.Event_ACKNOWLEDGE.Enum(),
		Acknowledge: &agentpb.Event_Acknowledge{
			FrameworkId: &mesos.FrameworkID{Value: proto.String(fw)}, TaskId: st.GetTaskId(), Uuid: st.GetUuid(),
		},
	}
}

func frameworkInfo(id string, caps ...mesos.FrameworkInfo_Capability_Type) *mesos.FrameworkInfo {
	fi := &mesos.FrameworkInfo{User: proto.String("root"), Name: proto.String("test"), Id: &mesos.FrameworkID{Value: proto.String(id)}}
	for _, c := range caps {
		fi.Capabilities = append(fi.Capabilities, &mesos.FrameworkInfo_Capability{Type: c.Enum()})
	}
	return fi
}

func shellTask(id, script string) *mesos.TaskInfo {
	return &mesos.TaskInfo{
		Name:    proto.String(id),
		TaskId:  &mesos.TaskID{Value: proto.String(id)},
		AgentId: &mesos.AgentID{Value: proto.String("ignored")},
		Command: &mesos.CommandInfo{Value: proto.String(script)},
	}
}

func runTask(fw *mesos.FrameworkInfo, ti *mesos.TaskInfo) *agentpb.Event {
	return &agentpb.Event{Type: agentpb.Event_RUN_TASK.Enum(), RunTask: &agentpb.Event_RunTask{Framework: fw, Task: ti}}
}

func killTask(fw, task string, grace time.Duration) *agentpb.Event {
	ev := &agentpb.Event{Type: agentpb.Event_KILL_TASK.Enum(), KillTask: &agentpb.Event_KillTask{
		FrameworkId: &mesos.FrameworkID{Value: proto.String(fw)}, TaskId: &mesos.TaskID{Value: proto.String(task)},
	}}
	if grace >= 0 {
		ev.KillTask.KillPolicy = &mesos.KillPolicy{GracePeriod: &mesos.DurationInfo{Nanoseconds: proto.Int64(int64(grace))}}
	}
	return ev
}

func secretEnv() *mesos.Environment {
	return &mesos.Environment{Variables: []*mesos.Environment_Variable{{
		Name: proto.String("TOKEN"), Type: mesos.Environment_Variable_SECRET.Enum(),
	}}}
}
