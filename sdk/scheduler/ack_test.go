package scheduler_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/proto/codec"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	schedpb "github.com/agoraproject/agora/proto/mesos/v1/scheduler"
	"github.com/agoraproject/agora/sdk/sdktest"
)

// gatedAcks holds every ACKNOWLEDGE request until open is closed, and
// counts the ones the master answered.
type gatedAcks struct {
	open     chan struct{}
	answered atomic.Int32
}

func (g *gatedAcks) RoundTrip(req *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	call := &schedpb.Call{}
	isAck := codec.Protobuf.Unmarshal(body, call) == nil && call.GetType() == schedpb.Call_ACKNOWLEDGE
	if isAck {
		<-g.open
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if isAck && err == nil {
		g.answered.Add(1)
	}
	return resp, err
}

func update(task string) *schedpb.Event {
	return &schedpb.Event{
		Type: schedpb.Event_UPDATE.Enum(),
		Update: &schedpb.Event_Update{Status: &mesos.TaskStatus{
			TaskId:  &mesos.TaskID{Value: proto.String(task)},
			AgentId: &mesos.AgentID{Value: proto.String("agent-1")},
			State:   mesos.TaskState_TASK_RUNNING.Enum(),
			Uuid:    []byte("uuid-" + task),
		}},
	}
}

// While acknowledgements wait on a slow master, later updates still reach
// the handler; when Run ends, it has waited for the ones in flight.
func TestAcknowledgementsDoNotHoldUpEvents(t *testing.T) {
	m := startMaster(t, sdktest.Options{})
	cfg := testConfig(t, m)
	gate := &gatedAcks{open: make(chan struct{})}
	cfg.HTTPClient = &http.Client{Transport: gate}
	cfg.AckConcurrency = 4
	r := start(t, cfg, nil)
	r.next(t, schedpb.Event_SUBSCRIBED)

	const n = 3
	for i := range n {
		if err := m.Send(update(fmt.Sprint("task-", i))); err != nil {
			t.Fatal(err)
		}
	}
	for range n {
		r.next(t, schedpb.Event_UPDATE) // would block at the second with acknowledgements on the event goroutine
	}
	if got := gate.answered.Load(); got != 0 {
		t.Fatalf("%d acknowledgements answered before the gate opened", got)
	}

	r.Stop()
	time.AfterFunc(50*time.Millisecond, func() { close(gate.open) })
	if err := r.result(t); err != nil {
		t.Fatalf("Run = %v", err)
	}
	if got := gate.answered.Load(); got != n {
		t.Fatalf("Run returned with %d of %d acknowledgements answered", got, n)
	}
	if got := len(m.Acknowledged()); got != n {
		t.Fatalf("master saw %d acknowledgements, want %d", got, n)
	}
}

func TestAckConcurrencyValidated(t *testing.T) {
	m := startMaster(t, sdktest.Options{})
	cfg := testConfig(t, m)
	cfg.AckConcurrency = -1
	if err := cfg.Validate(); err == nil || !bytes.Contains([]byte(err.Error()), []byte("AckConcurrency")) {
		t.Fatalf("Validate = %v, want an error naming AckConcurrency", err)
	}
}
