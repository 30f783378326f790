package api

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/agoraproject/agora/master"
	"github.com/agoraproject/agora/proto/agora/agentpb"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

func TestPrometheusMetrics(t *testing.T) {
	srv := startMaster(t, 0)
	ag := registerAgent(t, srv, "cpus:3;mem:1024")
	fw, streamID, _ := subscribeJSON(t, srv, `{"type":"SUBSCRIBE","subscribe":{"framework_info":{"user":"root","name":"metrics"}}}`)
	fwID := dig(fw.next("SUBSCRIBED"), "subscribed", "framework_id", "value").(string)
	offerID := dig(fw.next("OFFERS"), "offers", "offers", 0, "id", "value").(string)
	accept := `{"framework_id":{"value":"` + fwID + `"},"type":"ACCEPT","accept":{"offer_ids":[{"value":"` + offerID + `"}],
	 "operations":[{"type":"LAUNCH","launch":{"task_infos":[{"name":"t","task_id":{"value":"t1"},"agent_id":{"value":"` + ag.id + `"},
	 "resources":[{"name":"cpus","type":"SCALAR","scalar":{"value":1}},{"name":"mem","type":"SCALAR","scalar":{"value":64}}],
	 "command":{"value":"sleep 100"}}]}}]}}`
	if r := post(t, srv.URL+"/api/v1/scheduler", "application/json", "", streamID, []byte(accept)); r.StatusCode != http.StatusAccepted {
		t.Fatalf("ACCEPT: %d", r.StatusCode)
	}
	ag.next(agentpb.Event_RUN_TASK)
	ag.update(fwID, "t1", mesos.TaskState_TASK_RUNNING, bytes.Repeat([]byte{7}, 16))
	fw.next("UPDATE")

	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("/metrics: %d %q\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("/metrics does not parse: %v\n%s", err, body)
	}
	gauge := func(name string) float64 {
		t.Helper()
		f := fams[name]
		if f == nil || len(f.GetMetric()) != 1 || f.GetMetric()[0].GetGauge() == nil {
			t.Fatalf("no gauge %s: %v", name, f)
		}
		return f.GetMetric()[0].GetGauge().GetValue()
	}
	for name, want := range map[string]float64{
		"agora_master_cpus_total": 3, "agora_master_cpus_used": 1, "agora_master_tasks_running": 1,
		"agora_master_slaves_active": 1, "agora_master_frameworks_active": 1,
	} {
		if got := gauge(name); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	if _, ok := fams["agora_allocator_allocation_run_ms"]; !ok {
		t.Error("no agora_allocator_allocation_run_ms")
	}
	for _, name := range []string{"agora_master_tasks_finished", "agora_master_messages_accept", "agora_allocator_allocation_runs"} {
		if f := fams[name]; f == nil || f.GetMetric()[0].GetCounter() == nil {
			t.Errorf("%s should be a counter: %v", name, f)
		}
	}
	if f := fams["agora_master_messages_accept"]; f != nil && f.GetMetric()[0].GetCounter().GetValue() != 1 {
		t.Errorf("agora_master_messages_accept = %v", f)
	}
	for _, name := range []string{"go_goroutines", "process_start_time_seconds"} {
		if fams[name] == nil {
			t.Errorf("no %s", name)
		}
	}
}

func TestLoggingToggle(t *testing.T) {
	m, err := master.New(master.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	h := New(m, nil)
	level := zap.NewAtomicLevelAt(zapcore.InfoLevel)
	h.SetLogLevel(level)
	srv := httptest.NewServer(h)
	defer srv.Close()
	call := func(method, query string) (int, string) {
		req, _ := http.NewRequest(method, srv.URL+"/logging/toggle"+query, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, tc := range []struct{ query, param string }{
		{"", "level"}, {"?level=LOUD", "level"}, {"?level=DEBUG&duration=soon", "duration"}, {"?level=DEBUG&duration=0secs", "duration"},
	} {
		if code, body := call(http.MethodGet, tc.query); code != 400 || !strings.Contains(body, "'"+tc.param+"'") {
			t.Errorf("%q: %d %q, want 400 naming %s", tc.query, code, body, tc.param)
		}
	}
	if level.Level() != zapcore.InfoLevel {
		t.Fatalf("a bad request changed the level to %v", level.Level())
	}
	if code, body := call(http.MethodPost, "?level=ERROR"); code != 200 || level.Level() != zapcore.ErrorLevel {
		t.Fatalf("POST level=ERROR: %d %s, level %v", code, body, level.Level())
	}
	if code, _ := call(http.MethodPut, "?level=INFO"); code != http.StatusMethodNotAllowed {
		t.Errorf("PUT: %d", code)
	}
	// With a duration the level reverts to ERROR, the level before it.
	if code, body := call(http.MethodGet, "?level=debug&duration=100ms"); code != 200 || level.Level() != zapcore.DebugLevel {
		t.Fatalf("GET level=debug: %d %s, level %v", code, body, level.Level())
	}
	waitLevel(t, level, zapcore.ErrorLevel)
}

func waitLevel(t *testing.T, level zap.AtomicLevel, want zapcore.Level) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for level.Level() != want {
		if time.Now().After(deadline) {
			t.Fatalf("level %v, want %v", level.Level(), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
