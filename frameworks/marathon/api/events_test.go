package api

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agoraproject/agora/frameworks/marathon/state"
)

// sseFrame is one event read off the stream, or a comment line.
type sseFrame struct {
	event, data string
	comment     bool
}

// readFrame reads the next event or comment of an SSE stream.
func readFrame(t *testing.T, r *bufio.Reader) sseFrame {
	t.Helper()
	var f sseFrame
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("reading the stream: %v (partial %+v)", err, f)
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "" && (f.event != "" || f.data != ""):
			return f
		case line == "":
		case strings.HasPrefix(line, ":"):
			if f.event == "" && f.data == "" {
				return sseFrame{comment: true}
			}
		case strings.HasPrefix(line, "event: "):
			f.event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			if f.data != "" {
				f.data += "\n"
			}
			f.data += strings.TrimPrefix(line, "data: ")
		default:
			t.Fatalf("unexpected SSE line %q", line)
		}
	}
}

func nextEvent(t *testing.T, r *bufio.Reader) sseFrame {
	t.Helper()
	for {
		if f := readFrame(t, r); !f.comment {
			return f
		}
	}
}

func openStream(t *testing.T, srv *httptest.Server, query string) (*bufio.Reader, *http.Response, context.CancelFunc) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/v2/events"+query, nil)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := srv.Client().Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); resp.Body.Close() })
	return bufio.NewReader(resp.Body), resp, cancel
}

func event(typ string, fields string) state.Event {
	return state.Event{Type: typ, Body: []byte(`{"eventType":"` + typ + `","timestamp":"2024-03-01T12:00:00.000Z"` + fields + `}`)}
}

func TestEventStreamFramingFilterAndKeepAlive(t *testing.T) {
	f := newFake()
	s := newTestServer(t, f, Config{KeepAlive: 20 * time.Millisecond})
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close) // after the streams' cleanups, which end them

	all, resp, _ := openStream(t, srv, "")
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" || resp.StatusCode != 200 {
		t.Fatalf("%d %q", resp.StatusCode, ct)
	}
	ev := nextEvent(t, all)
	if ev.event != "event_stream_attached" {
		t.Fatalf("first event %+v, want event_stream_attached", ev)
	}
	var body map[string]any
	if err := json.Unmarshal([]byte(ev.data), &body); err != nil || body["eventType"] != "event_stream_attached" || body["remoteAddress"] != "127.0.0.1" {
		t.Errorf("attached data %q (%v)", ev.data, err)
	}

	filtered, _, cancelFiltered := openStream(t, srv, "?event_type=deployment_info&event_type=deployment_success")
	// The first stream sees the second one attach.
	if ev := nextEvent(t, all); ev.event != "event_stream_attached" {
		t.Fatalf("%+v", ev)
	}
	f.Publish(event("status_update_event", `,"taskId":"a.1"`))
	f.Publish(event("deployment_info", `,"plan":{"id":"d1","original":{"id":"/"},"target":{"id":"/"},"steps":[]}`))
	if ev := nextEvent(t, all); ev.event != "status_update_event" || !strings.Contains(ev.data, `"taskId":"a.1"`) {
		t.Errorf("%+v", ev)
	}
	if ev := nextEvent(t, all); ev.event != "deployment_info" {
		t.Errorf("%+v", ev)
	}
	if ev := nextEvent(t, filtered); ev.event != "deployment_info" || !strings.Contains(ev.data, `"original"`) {
		t.Errorf("filtered stream got %+v, want only deployment_info", ev)
	}

	// An idle stream gets keep-alive comments.
	if fr := readFrame(t, filtered); !fr.comment {
		t.Errorf("idle stream got %+v, want a ':' comment", fr)
	}

	// A client that leaves is unsubscribed.
	cancelFiltered()
	deadline := time.Now().Add(5 * time.Second)
	for f.subscribers() != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("%d subscribers after a client left, want 1", f.subscribers())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestEventStreamLightPlan(t *testing.T) {
	f := newFake()
	s := newTestServer(t, f, Config{})
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close) // after the streams' cleanups, which end them
	r, _, _ := openStream(t, srv, "?plan-format=light&event_type=deployment_info")
	// Subscribed before the handler flushed its headers: publishing now reaches it.
	f.Publish(event("deployment_info", `,"plan":{"id":"d1","original":{"id":"/"},"target":{"id":"/"},"steps":[]}`))
	ev := nextEvent(t, r)
	var m struct{ Plan map[string]any }
	if err := json.Unmarshal([]byte(ev.data), &m); err != nil {
		t.Fatal(err)
	}
	if _, ok := m.Plan["original"]; ok || m.Plan["id"] != "d1" {
		t.Errorf("light plan %v", m.Plan)
	}
}

func TestWriteSSEMultiLineBody(t *testing.T) {
	var b strings.Builder
	var buf = new(bytesBuffer)
	writeSSE(&buf.Buffer, "x", []byte("{\n\"a\": 1\n}"))
	b.WriteString(buf.String())
	if got, want := b.String(), "event: x\ndata: {\ndata: \"a\": 1\ndata: }\n\n"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
}

// receiver is a callback endpoint collecting what it is sent.
type receiver struct {
	srv    *httptest.Server
	got    chan map[string]any
	status atomic.Int32
	hits   atomic.Int32
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{got: make(chan map[string]any, 100)}
	rc.status.Store(200)
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc.hits.Add(1)
		b, _ := io.ReadAll(r.Body)
		if r.Method != "POST" || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("callback got %s with Content-Type %q", r.Method, r.Header.Get("Content-Type"))
		}
		code := int(rc.status.Load())
		if code == 200 {
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil {
				t.Errorf("callback body %q: %v", b, err)
			}
			rc.got <- m
		}
		w.WriteHeader(code)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) next(t *testing.T) map[string]any {
	t.Helper()
	select {
	case m := <-rc.got:
		return m
	case <-time.After(5 * time.Second):
		t.Fatal("callback received nothing within 5 s")
		return nil
	}
}

func TestEventCallbacks(t *testing.T) {
	f := newFake()
	s := newTestServer(t, f, Config{CallbackAttempts: 3, CallbackBackoff: 5 * time.Millisecond, CallbackTimeout: 10 * time.Second})

	// A callback that never answers.
	release := make(chan struct{})
	dead := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer dead.Close()
	defer close(release)
	live := newReceiver(t)

	for _, u := range []string{live.srv.URL + "/cb", dead.URL + "/cb"} {
		w := call(t, s, "POST", "/v2/eventSubscriptions?callbackUrl="+url.QueryEscape(u), "")
		wantStatus(t, w, 200, w.Body.String())
		if m := decode(t, w.Body.Bytes()); m["eventType"] != "subscribe_event" || m["callbackUrl"] != u {
			t.Errorf("subscribe answer %v", m)
		}
	}
	// The live callback hears both registrations, its own first.
	for _, u := range []string{live.srv.URL + "/cb", dead.URL + "/cb"} {
		if m := live.next(t); m["eventType"] != "subscribe_event" || m["callbackUrl"] != u {
			t.Errorf("live callback got %v, want the subscribe_event of %s", m, u)
		}
	}
	for i := 0; i < 5; i++ {
		f.Publish(event("status_update_event", `,"n":`+itoa(i)))
	}
	for i := 0; i < 5; i++ {
		if m := live.next(t); m["eventType"] != "status_update_event" || m["n"] != float64(i) {
			t.Errorf("event %d: %v", i, m)
		}
	}

	w := call(t, s, "GET", "/v2/eventSubscriptions", "")
	urls := decode(t, w.Body.Bytes())["callbackUrls"].([]any)
	if len(urls) != 2 {
		t.Errorf("callbackUrls %v", urls)
	}
	w = call(t, s, "DELETE", "/v2/eventSubscriptions?callbackUrl="+url.QueryEscape(dead.URL+"/cb"), "")
	wantStatus(t, w, 200, w.Body.String())
	if m := live.next(t); m["eventType"] != "unsubscribe_event" {
		t.Errorf("live got %v, want unsubscribe_event", m)
	}
	w = call(t, s, "GET", "/v2/eventSubscriptions", "")
	if urls := decode(t, w.Body.Bytes())["callbackUrls"].([]any); !reflect.DeepEqual(urls, []any{live.srv.URL + "/cb"}) {
		t.Errorf("after unsubscribe %v", urls)
	}

	// A failing callback is retried CallbackAttempts times, then the event
	// is dropped and the next one delivered.
	live.status.Store(500)
	before := live.hits.Load()
	f.Publish(event("deployment_info", ""))
	deadline := time.Now().Add(5 * time.Second)
	for live.hits.Load()-before < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("%d attempts, want 3", live.hits.Load()-before)
		}
		time.Sleep(5 * time.Millisecond)
	}
	live.status.Store(200)
	f.Publish(event("deployment_success", ""))
	if m := live.next(t); m["eventType"] != "deployment_success" {
		t.Errorf("after a dropped event got %v", m)
	}
	if n := live.hits.Load() - before; n != 4 {
		t.Errorf("%d POSTs, want 3 failed attempts and 1 success", n)
	}

	for _, bad := range []string{"", "ftp://x/y", "not a url"} {
		w := call(t, s, "POST", "/v2/eventSubscriptions?callbackUrl="+url.QueryEscape(bad), "")
		if w.Code != 400 && w.Code != 422 {
			t.Errorf("callbackUrl %q: %d", bad, w.Code)
		}
	}
}
