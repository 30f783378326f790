package agent

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

func TestMetricsEndpoints(t *testing.T) {
	m := newFakeMaster(t)
	a := startAgent(t, testConfig(t, m))
	level := zap.NewAtomicLevelAt(zapcore.InfoLevel)
	a.SetLogLevel(level)
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()
	get := func(path string) (int, string) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	snapshot := func() map[string]float64 {
		code, body := get("/metrics/snapshot")
		var out map[string]float64
		if code != 200 || json.Unmarshal([]byte(body), &out) != nil {
			t.Fatalf("/metrics/snapshot: %d %s", code, body)
		}
		return out
	}

	s := m.subscribe("M-S0", 30)
	fw := frameworkInfo("fw")
	s.events <- runTask(fw, shellTask("t1", "exec sleep 30"))
	seen := map[string]bool{}
	m.expectUpdate(s, "fw", "t1", mesos.TaskState_TASK_STARTING, seen)
	m.expectUpdate(s, "fw", "t1", mesos.TaskState_TASK_RUNNING, seen)
	waitFor(t, "the running task in /metrics/snapshot", func() bool {
		s := snapshot()
		return s["slave/registered"] == 1 && s["slave/tasks_running"] == 1 && s["slave/status_updates_pending"] == 0
	}, func() string { _, b := get("/metrics/snapshot"); return b })
	snap := snapshot()
	for name, want := range map[string]float64{"slave/executors_running": 1, "slave/containers_running": 1, "slave/tasks_staging": 0} {
		if snap[name] != want {
			t.Errorf("%s = %v, want %v", name, snap[name], want)
		}
	}
	if snap["slave/status_updates_sent"] < 2 || snap["slave/cpus_total"] <= 0 {
		t.Errorf("snapshot: %v", snap)
	}
	if code, _ := get("/slave(1)/metrics/snapshot"); code != 200 {
		t.Errorf("/slave(1)/metrics/snapshot: %d", code)
	}

	code, body := get("/metrics")
	if code != 200 {
		t.Fatalf("/metrics: %d %s", code, body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("/metrics does not parse: %v\n%s", err, body)
	}
	for name, want := range map[string]float64{"agora_agent_registered": 1, "agora_agent_tasks_running": 1} {
		f := fams[name]
		if f == nil || f.GetMetric()[0].GetGauge().GetValue() != want {
			t.Errorf("%s = %v, want %v", name, f, want)
		}
	}
	if f := fams["agora_agent_status_updates_sent"]; f == nil || f.GetMetric()[0].GetCounter().GetValue() < 2 {
		t.Errorf("agora_agent_status_updates_sent = %v", f)
	}
	for _, name := range []string{"go_goroutines", "process_start_time_seconds"} {
		if fams[name] == nil {
			t.Errorf("no %s", name)
		}
	}

	if code, body := get("/logging/toggle?level=DEBUG"); code != 200 || level.Level() != zapcore.DebugLevel {
		t.Errorf("toggle: %d %s, level %v", code, body, level.Level())
	}
	if code, body := get("/logging/toggle?level=LOUD"); code != 400 || !strings.Contains(body, "level") {
		t.Errorf("bad level: %d %s", code, body)
	}
}
