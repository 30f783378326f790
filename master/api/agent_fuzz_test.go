package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/agoraproject/agora/internal/acl"
	"github.com/agoraproject/agora/master"
	"github.com/agoraproject/agora/proto/agora/agentpb"
	"github.com/agoraproject/agora/proto/codec"
	masterpb "github.com/agoraproject/agora/proto/mesos/v1/master"
)

// FuzzAgentCall feeds arbitrary bodies, in both encodings, to the agent
// protocol: whatever arrives, the answer is a status, never a panic or a
// 500.
func FuzzAgentCall(f *testing.F) {
	for _, seed := range []string{
		`{"type":"SUBSCRIBE","subscribe":{"agent_info":{"hostname":"h","resources":[{"name":"cpus","type":"SCALAR","scalar":{"value":1}}]}}}`,
		`{"type":"UPDATE","agent_id":{"value":"S1"},"update":{"framework_id":{"value":"F"},"status":{"task_id":{"value":"t"},"state":"TASK_RUNNING","uuid":"AAAAAAAAAAAAAAAAAAAAAA=="}}}`,
		`{"type":"UPDATE","update":{}}`,
		`{"type":"PONG"}`,
		`{"type":"SUBSCRIBE","subscribe":{"agent_info":{"id":{"value":"../x"},"resources":[{"name":"cpus","type":"SCALAR","scalar":{"value":-1}}]}}}`,
		`{"type":999}`,
		`{}`,
	} {
		f.Add(false, []byte(seed), "")
		f.Add(false, []byte(seed), "stream")
		call := &agentpb.Call{}
		if codec.JSON.Unmarshal([]byte(seed), call) == nil {
			if b, err := codec.Protobuf.Marshal(call); err == nil {
				f.Add(true, b, "")
			}
		}
	}
	cfg := master.DefaultConfig()
	cfg.TickInterval = 5 * time.Millisecond
	m, err := master.New(cfg)
	if err != nil {
		f.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go m.Run(ctx)
	h := New(m, nil)
	f.Fuzz(func(t *testing.T, protobuf bool, body []byte, streamID string) {
		c := codec.JSON
		if protobuf {
			c = codec.Protobuf
		}
		// A subscription streams until its client leaves: leave at once.
		done, stop := context.WithCancel(ctx)
		stop()
		r := httptest.NewRequest(http.MethodPost, agentPath, strings.NewReader(string(body))).WithContext(done)
		r.Header.Set("Content-Type", c.MediaType())
		if streamID != "" && !strings.ContainsAny(streamID, "\r\n\x00") {
			r.Header.Set("Mesos-Stream-Id", streamID)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code >= 500 && w.Code != http.StatusServiceUnavailable {
			t.Fatalf("status %d for %q: %s", w.Code, body, w.Body.String())
		}
	})
}

// FuzzEventFilter runs arbitrary operator events through a view filter:
// it decides without panicking, and never shows an event about a task or
// framework it knows nothing of.
func FuzzEventFilter(f *testing.F) {
	for _, seed := range []string{
		`{"type":"TASK_ADDED","task_added":{"task":{"name":"t","task_id":{"value":"t"},"framework_id":{"value":"F"},"agent_id":{"value":"S"},"state":"TASK_STAGING","user":"bob"}}}`,
		`{"type":"TASK_UPDATED","task_updated":{"framework_id":{"value":"F"},"status":{"task_id":{"value":"t"},"state":"TASK_FINISHED"},"state":"TASK_FINISHED"}}`,
		`{"type":"FRAMEWORK_ADDED","framework_added":{"framework":{"framework_info":{"user":"alice","name":"n","id":{"value":"F"}},"active":true,"connected":true,"recovered":false}}}`,
		`{"type":"FRAMEWORK_REMOVED","framework_removed":{"framework_info":{"user":"bob","name":"n"}}}`,
		`{"type":"HEARTBEAT"}`,
	} {
		e := &masterpb.Event{}
		if err := codec.JSON.Unmarshal([]byte(seed), e); err != nil {
			f.Fatal(err)
		}
		b, _ := codec.Protobuf.Marshal(e)
		f.Add(b)
	}
	a, err := acl.Parse([]byte(viewACLs))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		e := &masterpb.Event{}
		if codec.Protobuf.Unmarshal(data, e) != nil {
			return
		}
		filter := newEventFilter(newViewer(a, "alice"), &master.State{})
		keep := filter.keep(e)
		if keep && (e.GetType() == masterpb.Event_TASK_ADDED || e.GetType() == masterpb.Event_TASK_UPDATED) {
			t.Fatalf("a task event of a framework the filter never saw was shown: %v", e)
		}
	})
}
