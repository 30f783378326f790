package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/agoraproject/agora/master"
	"github.com/agoraproject/agora/proto/codec"
	masterpb "github.com/agoraproject/agora/proto/mesos/v1/master"
)

// FuzzOperatorCall feeds arbitrary bodies, in both encodings, to the
// master's /api/v1: whatever arrives, the answer is a status the API
// documents, never a panic.
func FuzzOperatorCall(f *testing.F) {
	for _, seed := range []string{
		`{"type":"GET_STATE"}`,
		`{"type":"UPDATE_WEIGHTS","update_weights":{"weight_infos":[{"role":"web","weight":2.5}]}}`,
		`{"type":"UPDATE_WEIGHTS","update_weights":{"weight_infos":[{"role":"","weight":-1}]}}`,
		`{"type":"SET_LOGGING_LEVEL","set_logging_level":{"level":1,"duration":{"nanoseconds":-5}}}`,
		`{"type":"READ_FILE","read_file":{"path":"/master/log","offset":18446744073709551615}}`,
		`{"type":"TEARDOWN","teardown":{"framework_id":{"value":"x"}}}`,
		`{"type":"MARK_AGENT_GONE","mark_agent_gone":{"agent_id":{}}}`,
		`{"type":"GET_METRICS","get_metrics":{"timeout":{"nanoseconds":1}}}`,
		`{"type":"SUBSCRIBE"}`,
		`{"type":12345}`,
		`[]`,
	} {
		f.Add(false, []byte(seed))
		call := &masterpb.Call{}
		if codec.JSON.Unmarshal([]byte(seed), call) == nil {
			if b, err := codec.Protobuf.Marshal(call); err == nil {
				f.Add(true, b)
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
	allowed := map[int]bool{200: true, 400: true, 404: true, 501: true, 503: true}
	f.Fuzz(func(t *testing.T, protobuf bool, body []byte) {
		c := codec.JSON
		if protobuf {
			c = codec.Protobuf
		}
		rctx := ctx
		if probe := (&masterpb.Call{}); c.Unmarshal(body, probe) == nil && probe.GetType() == masterpb.Call_SUBSCRIBE {
			// A subscription streams until its client leaves: leave at once.
			done, stop := context.WithCancel(ctx)
			stop()
			rctx = done
		}
		r := httptest.NewRequest(http.MethodPost, "/api/v1", strings.NewReader(string(body))).WithContext(rctx)
		r.Header.Set("Content-Type", c.MediaType())
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if !allowed[w.Code] {
			t.Fatalf("status %d for %q: %s", w.Code, body, w.Body.String())
		}
	})
}
