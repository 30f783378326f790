package api

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
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

// operatorStream reads a SUBSCRIBE stream in one encoding.
type operatorStream struct {
	t      *testing.T
	resp   *http.Response
	events chan *masterpb.Event
}

func subscribeOperator(t *testing.T, url string, c codec.Codec) *operatorStream {
	t.Helper()
	body, _ := c.Marshal(callOf(masterpb.Call_SUBSCRIBE))
	resp := post(t, url+"/api/v1", c.MediaType(), c.MediaType(), "", body)
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("SUBSCRIBE: %d %s", resp.StatusCode, b)
	}
	if ct := resp.Header.Get("Content-Type"); ct != c.MediaType() {
		t.Fatalf("SUBSCRIBE Content-Type %q, want %q", ct, c.MediaType())
	}
	s := &operatorStream{t: t, resp: resp, events: make(chan *masterpb.Event, 10000)}
	go func() {
		defer resp.Body.Close()
		defer close(s.events)
		r := recordio.NewReader(resp.Body, 64<<20)
		for {
			rec, err := r.ReadRecord()
			if err != nil {
				return
			}
			e := &masterpb.Event{}
			if err := c.Unmarshal(rec, e); err != nil {
				t.Errorf("undecodable event %q: %v", rec, err)
				return
			}
			s.events <- e
		}
	}()
	t.Cleanup(func() { resp.Body.Close() })
	return s
}

func (s *operatorStream) next(want masterpb.Event_Type) *masterpb.Event {
	s.t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case e, ok := <-s.events:
			if !ok {
				s.t.Fatalf("operator stream ended waiting for %v", want)
			}
			if e.GetType() == masterpb.Event_HEARTBEAT && want != masterpb.Event_HEARTBEAT {
				continue
			}
			if e.GetType() != want {
				s.t.Fatalf("operator event %v, want %v: %v", e.GetType(), want, e)
			}
			return e
		case <-timeout:
			s.t.Fatalf("operator: no %v", want)
		}
	}
}

func TestOperatorSubscribe(t *testing.T) {
	for _, c := range encodings {
		t.Run(c.MediaType(), func(t *testing.T) {
			om := startOperatorMaster(t, func(cfg *master.Config) { cfg.HeartbeatInterval = 200 * time.Millisecond })
			first := registerAgent(t, om.srv, "cpus:4;mem:1024")
			fw := subscribeFramework(t, om.srv.URL, webFramework("watched"))

			s := subscribeOperator(t, om.srv.URL, c)
			sub := s.next(masterpb.Event_SUBSCRIBED).GetSubscribed()
			if sub.GetHeartbeatIntervalSeconds() != 0.2 {
				t.Errorf("heartbeat_interval_seconds = %v", sub.GetHeartbeatIntervalSeconds())
			}
			snap := sub.GetGetState()
			if a := snap.GetGetAgents().GetAgents(); len(a) != 1 || a[0].GetAgentInfo().GetId().GetValue() != first.id {
				t.Fatalf("snapshot agents = %v", a)
			}
			if f := snap.GetGetFrameworks().GetFrameworks(); len(f) != 1 || f[0].GetFrameworkInfo().GetId().GetValue() != fw.id {
				t.Fatalf("snapshot frameworks = %v", f)
			}

			// A task is launched and finishes.
			fw.launch(first, "t1", "")
			if task := s.next(masterpb.Event_TASK_ADDED).GetTaskAdded().GetTask(); task.GetTaskId().GetValue() != "t1" || task.GetState() != mesos.TaskState_TASK_STAGING {
				t.Fatalf("TASK_ADDED = %v", task)
			}
			if u := s.next(masterpb.Event_TASK_UPDATED).GetTaskUpdated(); u.GetState() != mesos.TaskState_TASK_RUNNING || u.GetFrameworkId().GetValue() != fw.id {
				t.Fatalf("TASK_UPDATED = %v", u)
			}
			first.update(fw.id, "t1", mesos.TaskState_TASK_FINISHED, bytes.Repeat([]byte{2}, 16))
			if u := s.next(masterpb.Event_TASK_UPDATED).GetTaskUpdated(); u.GetState() != mesos.TaskState_TASK_FINISHED || u.GetStatus().GetTaskId().GetValue() != "t1" {
				t.Fatalf("TASK_UPDATED = %v", u)
			}

			// An agent joins and one leaves; a framework comes and goes.
			second := registerAgent(t, om.srv, "cpus:1;mem:128")
			if a := s.next(masterpb.Event_AGENT_ADDED).GetAgentAdded().GetAgent(); a.GetAgentInfo().GetId().GetValue() != second.id || resources.Scalar(a.GetTotalResources(), "cpus") != 1 {
				t.Fatalf("AGENT_ADDED = %v", a)
			}
			om.must(t, c, &masterpb.Call{Type: masterpb.Call_MARK_AGENT_GONE.Enum(), MarkAgentGone: &masterpb.Call_MarkAgentGone{AgentId: &mesos.AgentID{Value: proto.String(first.id)}}})
			if id := s.next(masterpb.Event_AGENT_REMOVED).GetAgentRemoved().GetAgentId().GetValue(); id != first.id {
				t.Fatalf("AGENT_REMOVED %s, want %s", id, first.id)
			}
			other := subscribeFramework(t, om.srv.URL, webFramework("other"))
			if f := s.next(masterpb.Event_FRAMEWORK_ADDED).GetFrameworkAdded().GetFramework(); f.GetFrameworkInfo().GetId().GetValue() != other.id || !f.GetConnected() {
				t.Fatalf("FRAMEWORK_ADDED = %v", f)
			}
			om.must(t, c, &masterpb.Call{Type: masterpb.Call_TEARDOWN.Enum(), Teardown: &masterpb.Call_Teardown{FrameworkId: &mesos.FrameworkID{Value: proto.String(other.id)}}})
			if f := s.next(masterpb.Event_FRAMEWORK_REMOVED).GetFrameworkRemoved().GetFrameworkInfo(); f.GetId().GetValue() != other.id {
				t.Fatalf("FRAMEWORK_REMOVED = %v", f)
			}
			s.next(masterpb.Event_HEARTBEAT)
		})
	}
}

// dialNoRead opens a connection with a tiny receive buffer, sends a JSON
// SUBSCRIBE and never reads: the slowest subscriber there is.
func dialNoRead(t *testing.T, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		if err != nil {
			return err
		}
		return serr
	}}
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	body := `{"type":"SUBSCRIBE"}`
	fmt.Fprintf(conn, "POST /api/v1 HTTP/1.1\r\nHost: master\r\nContent-Type: application/json\r\nAccept: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	return conn
}

func TestSlowOperatorSubscriberDoesNotStallTheMaster(t *testing.T) {
	core, logs := observer.New(zap.WarnLevel)
	om := startOperatorMaster(t, func(cfg *master.Config) { cfg.EventBuffer = 64; cfg.Logger = zap.New(core) })
	ag := registerAgent(t, om.srv, "cpus:4;mem:1024")
	fw := subscribeFramework(t, om.srv.URL, webFramework("busy"))
	fw.launch(ag, "t1", "")
	slow := dialNoRead(t, om.srv.Listener.Addr().String())
	fast := subscribeOperator(t, om.srv.URL, codec.JSON)
	fast.next(masterpb.Event_SUBSCRIBED)

	// Status updates with 64 KiB messages: far more than the slow reader's
	// socket buffers and queue hold. Each must reach the framework quickly.
	msg := strings.Repeat("x", 64<<10)
	const updates = 300
	var worst time.Duration
	for i := 0; i < updates; i++ {
		start := time.Now()
		postUpdate(t, ag, fw.id, "t1", msg)
		fw.next(scheduler.Event_UPDATE)
		worst = max(worst, time.Since(start))
	}
	if worst > 2*time.Second {
		t.Errorf("slowest status update took %v to reach its framework while a subscriber was stuck", worst)
	}
	for i := 0; i < updates; i++ {
		if u := fast.next(masterpb.Event_TASK_UPDATED).GetTaskUpdated(); u.GetStatus().GetMessage() != msg {
			t.Fatalf("the subscriber that keeps up got %v", u)
		}
	}
	if om.must(t, codec.Protobuf, callOf(masterpb.Call_GET_HEALTH)).GetGetHealth().GetHealthy() != true {
		t.Fatal("GET_HEALTH")
	}
	if n := logs.FilterMessage("operator subscriber fell behind; closing its stream").Len(); n != 1 {
		t.Fatalf("%d drops logged, want the slow subscriber's one; logs: %v", n, logs.All())
	}

	// The stuck stream was ended: reading it now gets to the end of the
	// chunked body.
	_ = slow.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(slow), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		t.Fatalf("the dropped subscriber's stream did not end: %v", err)
	}
}

// postUpdate has the agent report a RUNNING update carrying msg.
func postUpdate(t *testing.T, ag *fakeAgent, fwID, taskID, msg string) {
	t.Helper()
	body, _ := proto.Marshal(&agentpb.Call{
		Type: agentpb.Call_UPDATE.Enum(), AgentId: &mesos.AgentID{Value: &ag.id},
		Update: &agentpb.Call_Update{FrameworkId: &mesos.FrameworkID{Value: &fwID}, Status: &mesos.TaskStatus{
			TaskId: &mesos.TaskID{Value: &taskID}, State: mesos.TaskState_TASK_RUNNING.Enum(), Message: &msg,
			Source: mesos.TaskStatus_SOURCE_EXECUTOR.Enum(),
		}},
	})
	resp := post(t, ag.url, codec.MediaTypeProtobuf, "", ag.streamID, body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("UPDATE: %d", resp.StatusCode)
	}
}
