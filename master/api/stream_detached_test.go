package api

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/proto/agora/agentpb"
	"github.com/agoraproject/agora/proto/codec"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	"github.com/agoraproject/agora/proto/recordio"
	"github.com/agoraproject/agora/proto/resources"
)

// captureConn is a net.Conn that keeps what is written to it.
type captureConn struct {
	net.Conn
	buf    bytes.Buffer
	writes int
}

func (c *captureConn) Write(b []byte) (int, error)      { c.writes++; return c.buf.Write(b) }
func (c *captureConn) SetWriteDeadline(time.Time) error { return nil }

func pingEvent(pad int) *agentpb.Event {
	return &agentpb.Event{Type: agentpb.Event_ERROR.Enum(), Error: &agentpb.Event_Error{Message: proto.String(strings.Repeat("x", pad))}}
}

// The bytes a detached stream writes are an HTTP/1.1 response a standard
// client reads: the head, RecordIO events in chunks, the chunked end.
func TestDetachedStreamWritesAnHTTPResponse(t *testing.T) {
	for _, c := range []codec.Codec{codec.Protobuf, codec.JSON} {
		t.Run(c.MediaType(), func(t *testing.T) {
			conn := &captureConn{}
			s := &detachedStream[*agentpb.Event]{conn: conn, codec: c,
				header: []byte("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: " + c.MediaType() + "\r\nMesos-Stream-Id: s-1\r\nTransfer-Encoding: chunked\r\n\r\n")}
			batches := [][]*agentpb.Event{
				{pingEvent(1)},
				nil, // nothing to write: no empty chunk, which would end the body
				{pingEvent(10), pingEvent(0), pingEvent(100 << 10)}, // beyond a pooled buffer's keep limit
				{pingEvent(3)},
			}
			var want []string
			for i, b := range batches {
				if err := s.write(b, i == len(batches)-1); err != nil {
					t.Fatal(err)
				}
				for _, e := range b {
					want = append(want, e.GetError().GetMessage())
				}
			}
			if conn.writes != 3 {
				t.Errorf("%d writes to the connection, want 3 (one per non-empty batch)", conn.writes)
			}
			resp, err := http.ReadResponse(bufio.NewReader(&conn.buf), nil)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != 200 || !resp.Close || resp.Header.Get("Mesos-Stream-Id") != "s-1" || resp.Header.Get("Content-Type") != c.MediaType() {
				t.Fatalf("response head: %d close=%v %v", resp.StatusCode, resp.Close, resp.Header)
			}
			r := recordio.NewReader(resp.Body, 1<<20)
			var got []string
			for {
				rec, err := r.ReadRecord()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatalf("after %d events: %v", len(got), err)
				}
				e := &agentpb.Event{}
				if err := c.Unmarshal(rec, e); err != nil {
					t.Fatal(err)
				}
				got = append(got, e.GetError().GetMessage())
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("events differ: got %d, want %d", len(got), len(want))
			}
			if conn.buf.Len() != 0 {
				t.Fatalf("%d bytes after the chunked end", conn.buf.Len())
			}
		})
	}
}

// rawSubscribe opens an agent's stream over a bare connection with
// agentID (empty: a new agent) and returns it with the response head read.
func rawSubscribe(t *testing.T, addr, agentID string) (net.Conn, *bufio.Reader, *http.Response) {
	t.Helper()
	res, _ := resources.Parse("cpus:1;mem:128")
	info := &mesos.AgentInfo{Hostname: proto.String("agent-1"), Port: proto.Int32(5051), Resources: res}
	if agentID != "" {
		info.Id = &mesos.AgentID{Value: &agentID}
	}
	body, _ := proto.Marshal(&agentpb.Call{Type: agentpb.Call_SUBSCRIBE.Enum(), Subscribe: &agentpb.Call_Subscribe{AgentInfo: info}})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	fmt.Fprintf(c, "POST /agora/v1/agent HTTP/1.1\r\nHost: master\r\nContent-Type: application/x-protobuf\r\n"+
		"Accept: application/x-protobuf\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	br := bufio.NewReader(c)
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("subscribe: %s", resp.Status)
	}
	return c, br, resp
}

func nextAgentEvent(t *testing.T, r *recordio.Reader) *agentpb.Event {
	t.Helper()
	rec, err := r.ReadRecord()
	if err != nil {
		t.Fatal(err)
	}
	e := &agentpb.Event{}
	if err := proto.Unmarshal(rec, e); err != nil {
		t.Fatal(err)
	}
	return e
}

// waitDisconnected polls /metrics/snapshot until the master counts n
// disconnected agents.
func waitDisconnected(t *testing.T, url string, n float64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(url + "/metrics/snapshot")
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]float64{}
		err = json.NewDecoder(resp.Body).Decode(&m)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if m["master/slaves_disconnected"] == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("master/slaves_disconnected = %v, want %v", m["master/slaves_disconnected"], n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// An agent that closes its stream is disconnected at once, not when its
// pings go unanswered; one that resubscribes gets an ERROR on its old
// stream, which then ends cleanly.
func TestAgentStreamLifecycle(t *testing.T) {
	srv := startMaster(t, 0)
	addr := strings.TrimPrefix(srv.URL, "http://")
	c1, br1, resp1 := rawSubscribe(t, addr, "")
	if resp1.Header.Get("Mesos-Stream-Id") == "" || resp1.Header.Get("Content-Type") != codec.MediaTypeProtobuf || !resp1.Close {
		t.Fatalf("response head: %v", resp1.Header)
	}
	r1 := recordio.NewReader(resp1.Body, 1<<20)
	id := nextAgentEvent(t, r1).GetSubscribed().GetAgentId().GetValue()
	if id == "" {
		t.Fatal("no SUBSCRIBED first")
	}

	// Resubscribing elsewhere ends the first stream with an ERROR.
	c2, _, resp2 := rawSubscribe(t, addr, id)
	r2 := recordio.NewReader(resp2.Body, 1<<20)
	if got := nextAgentEvent(t, r2).GetSubscribed().GetAgentId().GetValue(); got != id {
		t.Fatalf("resubscribed as %q, want %q", got, id)
	}
	if e := nextAgentEvent(t, r1); e.GetType() != agentpb.Event_ERROR {
		t.Fatalf("old stream got %v, want ERROR", e.GetType())
	}
	if _, err := r1.ReadRecord(); !errors.Is(err, io.EOF) {
		t.Fatalf("old stream after ERROR: %v, want a clean end", err)
	}
	if _, err := br1.ReadByte(); !errors.Is(err, io.EOF) {
		t.Fatalf("old connection after the stream: %v, want closed", err)
	}
	c1.Close()
	waitDisconnected(t, srv.URL, 0) // the old stream's end did not disconnect the agent

	// The client leaving is noticed without any write to the stream.
	c2.Close()
	waitDisconnected(t, srv.URL, 1)
}

// flushOnly hides every optional interface of a ResponseWriter but Flush,
// as a middleware that knows nothing of hijacking would.
type flushOnly struct{ w http.ResponseWriter }

func (f flushOnly) Header() http.Header         { return f.w.Header() }
func (f flushOnly) Write(b []byte) (int, error) { return f.w.Write(b) }
func (f flushOnly) WriteHeader(status int)      { f.w.WriteHeader(status) }
func (f flushOnly) Flush()                      { f.w.(http.Flusher).Flush() }

// Where the connection cannot be taken over, the stream is served through
// net/http as before.
func TestAgentStreamWithoutHijack(t *testing.T) {
	srv := startMaster(t, 0)
	h := srv.Config.Handler
	wrapped := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(flushOnly{w}, r) }))
	t.Cleanup(func() { wrapped.CloseClientConnections(); wrapped.Close() })
	c, _, resp := rawSubscribe(t, strings.TrimPrefix(wrapped.URL, "http://"), "")
	if resp.Close || resp.Header.Get("Date") == "" {
		t.Fatalf("not net/http's response: %v", resp.Header)
	}
	if nextAgentEvent(t, recordio.NewReader(resp.Body, 1<<20)).GetSubscribed() == nil {
		t.Fatal("no SUBSCRIBED first")
	}
	c.Close()
	waitDisconnected(t, srv.URL, 1)
}

func tcpPair(t *testing.T) (server, client net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server, err = ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { server.Close(); client.Close() })
	return server, client
}

func TestWatchCloseNoticesThePeerLeaving(t *testing.T) {
	for name, watch := range map[string]func(net.Conn) (<-chan struct{}, func()){
		"watchClose": watchClose, "watchByReading": watchByReading,
	} {
		t.Run(name, func(t *testing.T) {
			srvA, cliA := tcpPair(t)
			goneA, unwatchA := watch(srvA)
			if _, err := cliA.Write([]byte("stray bytes")); err != nil {
				t.Fatal(err)
			}
			select {
			case <-goneA:
				t.Fatal("bytes from the client taken for its departure")
			case <-time.After(50 * time.Millisecond):
			}
			// A watch given up before its connection closes reports
			// nothing to the stream that reuses the descriptor number.
			unwatchA()
			srvA.Close()
			srvB, cliB := tcpPair(t)
			goneB, unwatchB := watch(srvB)
			defer unwatchB()
			cliA.Close()
			select {
			case <-goneB:
				t.Fatal("another connection's end reported")
			case <-time.After(50 * time.Millisecond):
			}
			cliB.Close()
			select {
			case <-goneB:
			case <-time.After(5 * time.Second):
				t.Fatal("the client's close went unnoticed")
			}
		})
	}
}
