package sdktest_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/proto/codec"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	schedpb "github.com/agoraproject/agora/proto/mesos/v1/scheduler"
	"github.com/agoraproject/agora/proto/recordio"
	"github.com/agoraproject/agora/sdk/sdktest"
)

func startMaster(t *testing.T, opts sdktest.Options) *sdktest.Master {
	t.Helper()
	m, err := sdktest.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return m
}

func post(t *testing.T, m *sdktest.Master, header http.Header, body []byte) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, m.URL()+"/api/v1/scheduler", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = header
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func subscribeCall() *schedpb.Call {
	return &schedpb.Call{
		Type: schedpb.Call_SUBSCRIBE.Enum(),
		Subscribe: &schedpb.Call_Subscribe{FrameworkInfo: &mesos.FrameworkInfo{
			User: proto.String("u"), Name: proto.String("raw"),
		}},
	}
}

func TestBoundaryChecks(t *testing.T) {
	m := startMaster(t, sdktest.Options{})
	body, _ := codec.JSON.Marshal(subscribeCall())
	for _, tc := range []struct {
		name   string
		header http.Header
		want   int
	}{
		{"no content type", http.Header{}, http.StatusBadRequest},
		{"unsupported content type", http.Header{"Content-Type": {"text/plain"}}, http.StatusUnsupportedMediaType},
		{"unacceptable", http.Header{"Content-Type": {"application/json"}, "Accept": {"text/html"}}, http.StatusNotAcceptable},
	} {
		if got := post(t, m, tc.header, body).StatusCode; got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
	resp, err := http.Get(m.URL() + "/api/v1/scheduler")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d", resp.StatusCode)
	}
	revive, _ := codec.JSON.Marshal(&schedpb.Call{Type: schedpb.Call_REVIVE.Enum()})
	resp = post(t, m, http.Header{"Content-Type": {"application/json"}}, revive)
	if msg, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(msg), "Mesos-Stream-Id") {
		t.Errorf("call without stream ID: %d %s", resp.StatusCode, msg)
	}
}

func TestSubscribeStream(t *testing.T) {
	for _, c := range []codec.Codec{codec.JSON, codec.Protobuf} {
		t.Run(c.MediaType(), func(t *testing.T) {
			m := startMaster(t, sdktest.Options{})
			body, _ := c.Marshal(subscribeCall())
			resp := post(t, m, http.Header{"Content-Type": {c.MediaType()}, "Accept": {c.MediaType()}}, body)
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != c.MediaType() || resp.Header.Get("Mesos-Stream-Id") == "" {
				t.Fatalf("SUBSCRIBE answered %d, headers %v", resp.StatusCode, resp.Header)
			}
			rec, err := recordio.NewReader(resp.Body, 1<<20).ReadRecord()
			if err != nil {
				t.Fatal(err)
			}
			e := &schedpb.Event{}
			if err := c.Unmarshal(rec, e); err != nil {
				t.Fatal(err)
			}
			if e.GetType() != schedpb.Event_SUBSCRIBED || e.GetSubscribed().GetFrameworkId().GetValue() != m.FrameworkID() {
				t.Fatalf("first event %v", e)
			}

			// Calls need this stream's ID.
			revive, _ := c.Marshal(&schedpb.Call{Type: schedpb.Call_REVIVE.Enum(), FrameworkId: e.GetSubscribed().GetFrameworkId()})
			h := http.Header{"Content-Type": {c.MediaType()}, "Mesos-Stream-Id": {"not-it"}}
			if got := post(t, m, h, revive).StatusCode; got != http.StatusBadRequest {
				t.Fatalf("wrong stream ID: %d", got)
			}
			h.Set("Mesos-Stream-Id", resp.Header.Get("Mesos-Stream-Id"))
			if got := post(t, m, h, revive).StatusCode; got != http.StatusAccepted {
				t.Fatalf("REVIVE: %d", got)
			}
		})
	}
}

func TestRedirectAndUnavailable(t *testing.T) {
	m := startMaster(t, sdktest.Options{})
	m.RedirectTo("leader.test:5050")
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest(http.MethodPost, m.URL()+"/master/api/v1/scheduler", nil)
	resp, err := noFollow.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTemporaryRedirect || resp.Header.Get("Location") != "//leader.test:5050/master/api/v1/scheduler" {
		t.Fatalf("%d Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	m.SetUnavailable(true)
	if got := post(t, m, http.Header{}, nil).StatusCode; got != http.StatusServiceUnavailable {
		t.Fatalf("unavailable: %d", got)
	}
}

func TestClock(t *testing.T) {
	c := sdktest.NewClock(time.Unix(100, 0))
	a, b := c.NewTimer(time.Second), c.NewTimer(2*time.Second)
	if c.Timers() != 2 {
		t.Fatalf("%d timers", c.Timers())
	}
	c.Advance(time.Second)
	select {
	case now := <-a.C():
		if !now.Equal(time.Unix(101, 0)) {
			t.Fatalf("fired at %v", now)
		}
	default:
		t.Fatal("due timer did not fire")
	}
	if !b.Stop() || c.Timers() != 0 {
		t.Fatal("Stop of an armed timer")
	}
	c.Advance(time.Hour)
	select {
	case <-b.C():
		t.Fatal("stopped timer fired")
	default:
	}
	a.Reset(time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := c.WaitTimers(ctx, 1); err != nil {
		t.Fatal(err)
	}
	c.Advance(time.Minute)
	<-a.C()
}
