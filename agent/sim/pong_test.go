package sim_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"
	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/agent/sim"
	"github.com/agoraproject/agora/proto/agora/agentpb"
	"github.com/agoraproject/agora/proto/codec"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	"github.com/agoraproject/agora/proto/recordio"
)

// stallingMaster subscribes one agent, runs a task on it and then never
// answers an UPDATE, as a master buried in work would not for a while;
// it reports every PONG.
type stallingMaster struct {
	events chan *agentpb.Event
	pongs  chan struct{}
	stall  chan struct{}
}

func (m *stallingMaster) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	call := &agentpb.Call{}
	if err := codec.Protobuf.Unmarshal(body, call); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	switch call.GetType() {
	case agentpb.Call_SUBSCRIBE:
		w.Header().Set("Content-Type", codec.Protobuf.MediaType())
		w.Header().Set("Mesos-Stream-Id", "stream-1")
		w.WriteHeader(http.StatusOK)
		for {
			select {
			case e := <-m.events:
				b, _ := codec.Protobuf.Marshal(e)
				if _, err := w.Write(recordio.Append(nil, b)); err != nil {
					return
				}
				http.NewResponseController(w).Flush()
			case <-r.Context().Done():
				return
			}
		}
	case agentpb.Call_UPDATE:
		select {
		case <-m.stall:
		case <-r.Context().Done():
		}
	case agentpb.Call_PONG:
		m.pongs <- struct{}{}
	}
	w.WriteHeader(http.StatusAccepted)
}

// With every sender stuck on an update the master does not answer, the
// agent still answers PING: a master would otherwise find it unreachable.
func TestPongsDoNotWaitBehindUpdates(t *testing.T) {
	m := &stallingMaster{events: make(chan *agentpb.Event, 8), pongs: make(chan struct{}, 8), stall: make(chan struct{})}
	srv := httptest.NewServer(m)
	defer srv.Close()
	defer close(m.stall)

	groups, err := sim.ParseGroups("count=1")
	if err != nil {
		t.Fatal(err)
	}
	fleet, err := sim.New(sim.Config{Master: srv.URL, Groups: groups, Senders: 1, Logger: zaptest.NewLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = fleet.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	fw := &mesos.FrameworkInfo{Id: &mesos.FrameworkID{Value: proto.String("fw-1")}, User: proto.String("u"), Name: proto.String("f")}
	m.events <- &agentpb.Event{Type: agentpb.Event_SUBSCRIBED.Enum(), Subscribed: &agentpb.Event_Subscribed{
		AgentId: &mesos.AgentID{Value: proto.String("agent-1")}, PingIntervalSeconds: proto.Float64(15)}}
	m.events <- &agentpb.Event{Type: agentpb.Event_RUN_TASK.Enum(), RunTask: &agentpb.Event_RunTask{Framework: fw,
		Task: &mesos.TaskInfo{Name: proto.String("t"), TaskId: &mesos.TaskID{Value: proto.String("t-1")},
			AgentId: &mesos.AgentID{Value: proto.String("agent-1")}}}}
	waitUntil(t, "the update in flight", func() bool { return fleet.Stats().UpdatesSent >= 1 })

	m.events <- &agentpb.Event{Type: agentpb.Event_PING.Enum()}
	select {
	case <-m.pongs:
	case <-time.After(3 * time.Second): // well before the stuck call's 10 s timeout
		t.Fatal("no PONG while the only sender waits on an update")
	}
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
