package executorapi

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/internal/queue"
	"github.com/agoraproject/agora/proto/codec"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	executor "github.com/agoraproject/agora/proto/mesos/v1/executor"
	"github.com/agoraproject/agora/proto/recordio"
)

// fakeBackend records calls and answers them as the test says.
type fakeBackend struct {
	calls  chan *executor.Call
	err    error
	stream *Stream
	closed chan struct{}
}

func newFakeBackend() *fakeBackend {
	b := &fakeBackend{calls: make(chan *executor.Call, 10), closed: make(chan struct{})}
	done := make(chan struct{})
	b.stream = &Stream{Events: queue.New[*executor.Event](100), Done: done, Closed: func() { close(b.closed) }}
	return b
}

func (b *fakeBackend) Subscribe(_ context.Context, call *executor.Call) (*Stream, error) {
	b.calls <- call
	if b.err != nil {
		return nil, b.err
	}
	return b.stream, nil
}

func (b *fakeBackend) Call(_ context.Context, call *executor.Call) error {
	b.calls <- call
	return b.err
}

func ids() (*mesos.FrameworkID, *mesos.ExecutorID) {
	return &mesos.FrameworkID{Value: proto.String("fw")}, &mesos.ExecutorID{Value: proto.String("ex")}
}

func validUpdate() *executor.Call {
	fid, eid := ids()
	return &executor.Call{
		Type: executor.Call_UPDATE.Enum(), FrameworkId: fid, ExecutorId: eid,
		Update: &executor.Call_Update{Status: &mesos.TaskStatus{
			TaskId: &mesos.TaskID{Value: proto.String("t1")}, State: mesos.TaskState_TASK_RUNNING.Enum(),
			Source: mesos.TaskStatus_SOURCE_EXECUTOR.Enum(), Uuid: bytes.Repeat([]byte{7}, 16),
		}},
	}
}

func post(t *testing.T, srv *httptest.Server, ct, accept string, body []byte) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+Path, bytes.NewReader(body))
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func TestHTTPErrors(t *testing.T) {
	b := newFakeBackend()
	srv := httptest.NewServer(New(b, nil))
	defer srv.Close()
	good, _ := codec.Protobuf.Marshal(validUpdate())
	jsonGood, _ := codec.JSON.Marshal(validUpdate())

	resp, err := srv.Client().Get(srv.URL + Path)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != http.MethodPost {
		t.Errorf("GET: %s, Allow %q", resp.Status, resp.Header.Get("Allow"))
	}
	resp.Body.Close()

	noStatus := validUpdate()
	noStatus.Update.Status.Uuid = nil
	badSource := validUpdate()
	badSource.Update.Status.Source = mesos.TaskStatus_SOURCE_AGENT.Enum()
	staging := validUpdate()
	staging.Update.Status.State = mesos.TaskState_TASK_STAGING.Enum()
	otherExecutor := validUpdate()
	otherExecutor.Update.Status.ExecutorId = &mesos.ExecutorID{Value: proto.String("other")}
	noFramework := validUpdate()
	noFramework.FrameworkId = nil
	noSubscribe := validUpdate()
	noSubscribe.Type = executor.Call_SUBSCRIBE.Enum()
	enc := func(c *executor.Call) []byte { b, _ := codec.Protobuf.Marshal(c); return b }

	cases := []struct {
		name, ct, accept string
		body             []byte
		status           int
		want             string
	}{
		{"no content type", "", "", good, 400, "Content-Type"},
		{"unsupported content type", "text/plain", "", good, 415, "text/plain"},
		{"unacceptable", codec.MediaTypeProtobuf, "text/html", good, 406, "Accept"},
		{"garbage", codec.MediaTypeJSON, "", []byte("{"), 400, "Failed to parse"},
		{"no type", codec.MediaTypeJSON, "", []byte(`{"framework_id":{"value":"fw"},"executor_id":{"value":"ex"}}`), 400, "'type'"},
		{"unknown type", codec.MediaTypeJSON, "", []byte(`{"type":"LAUNCH","framework_id":{"value":"fw"},"executor_id":{"value":"ex"}}`), 400, "'type'"},
		{"no framework", codec.MediaTypeProtobuf, "", enc(noFramework), 400, "framework_id"},
		{"no uuid", codec.MediaTypeProtobuf, "", enc(noStatus), 400, "'uuid'"},
		{"agent source", codec.MediaTypeProtobuf, "", enc(badSource), 400, "SOURCE_EXECUTOR"},
		{"staging", codec.MediaTypeProtobuf, "", enc(staging), 400, "TASK_STAGING"},
		{"other executor", codec.MediaTypeProtobuf, "", enc(otherExecutor), 400, "does not match"},
		{"subscribe without subscribe", codec.MediaTypeProtobuf, "", enc(noSubscribe), 400, "'subscribe'"},
		{"accepted protobuf", codec.MediaTypeProtobuf, "", good, 202, ""},
		{"accepted json", codec.MediaTypeJSON + "; charset=utf-8", "", jsonGood, 202, ""},
	}
	for _, c := range cases {
		resp := post(t, srv, c.ct, c.accept, c.body)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.status || !strings.Contains(string(body), c.want) {
			t.Errorf("%s: %s %q, want %d naming %q", c.name, resp.Status, body, c.status, c.want)
		}
	}
	if n := len(b.calls); n != 2 {
		t.Errorf("backend saw %d calls, want the 2 valid ones", n)
	}

	// Refusals from the backend keep their status.
	b.err = Forbidden("Executor is not subscribed")
	resp = post(t, srv, codec.MediaTypeProtobuf, "", good)
	if body, _ := io.ReadAll(resp.Body); resp.StatusCode != 403 || !strings.Contains(string(body), "not subscribed") {
		t.Errorf("forbidden: %s %q", resp.Status, body)
	}
	resp.Body.Close()

	h := New(b, nil)
	h.SetMaxBodyBytes(10)
	small := httptest.NewServer(h)
	defer small.Close()
	resp = post(t, small, codec.MediaTypeProtobuf, "", good)
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("large body: %s", resp.Status)
	}
	resp.Body.Close()
}

func TestSubscribeStreams(t *testing.T) {
	for _, c := range []codec.Codec{codec.JSON, codec.Protobuf} {
		t.Run(c.MediaType(), func(t *testing.T) {
			b := newFakeBackend()
			srv := httptest.NewServer(New(b, nil))
			defer srv.Close()
			fid, eid := ids()
			body, _ := c.Marshal(&executor.Call{
				Type: executor.Call_SUBSCRIBE.Enum(), FrameworkId: fid, ExecutorId: eid, Subscribe: &executor.Call_Subscribe{},
			})
			b.stream.Events.Push(&executor.Event{Type: executor.Event_HEARTBEAT.Enum()})
			resp := post(t, srv, c.MediaType(), c.MediaType(), body)
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != c.MediaType() {
				t.Fatalf("SUBSCRIBE: %s, Content-Type %q", resp.Status, resp.Header.Get("Content-Type"))
			}
			r := recordio.NewReader(resp.Body, 1<<20)
			read := func() *executor.Event {
				t.Helper()
				rec, err := r.ReadRecord()
				if err != nil {
					t.Fatal(err)
				}
				e := &executor.Event{}
				if err := c.Unmarshal(rec, e); err != nil {
					t.Fatal(err)
				}
				return e
			}
			if e := read(); e.GetType() != executor.Event_HEARTBEAT {
				t.Fatalf("first event %v", e)
			}
			b.stream.Events.Push(&executor.Event{Type: executor.Event_MESSAGE.Enum(), Message: &executor.Event_Message{Data: []byte("hi")}})
			if e := read(); string(e.GetMessage().GetData()) != "hi" {
				t.Fatalf("second event %v", e)
			}
			// The client goes away: the backend hears of it.
			resp.Body.Close()
			select {
			case <-b.closed:
			case <-time.After(5 * time.Second):
				t.Fatal("Closed not called after the client left")
			}
		})
	}
}
