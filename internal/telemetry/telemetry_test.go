package telemetry

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

func TestPromName(t *testing.T) {
	for in, want := range map[string]string{
		"master/cpus_total":                      "agora_master_cpus_total",
		"allocator/mesos/allocation_run_ms":      "agora_allocator_allocation_run_ms",
		"allocator/mesos/allocation_run_ms/mean": "agora_allocator_allocation_run_ms_mean",
		"slave/tasks_running":                    "agora_agent_tasks_running",
		"master/odd-name.x":                      "agora_master_odd_name_x",
	} {
		if got := PromName(in); got != want {
			t.Errorf("PromName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMapCollector(t *testing.T) {
	var fail error
	reg := NewRegistry(&MapCollector{
		Read: func(context.Context) (map[string]float64, error) {
			return map[string]float64{"master/a": 1, "master/b_runs": 2}, fail
		},
		Counter: func(n string) bool { return strings.HasSuffix(n, "_runs") },
	})
	srv := httptest.NewServer(Handler(reg))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if f := fams["agora_master_a"]; f.GetMetric()[0].GetGauge().GetValue() != 1 {
		t.Errorf("agora_master_a = %v", f)
	}
	if f := fams["agora_master_b_runs"]; f.GetMetric()[0].GetCounter().GetValue() != 2 {
		t.Errorf("agora_master_b_runs = %v", f)
	}
	fail = errors.New("master stopped")
	resp, err = http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError {
		t.Errorf("failed read: %d, want 500", resp.StatusCode)
	}
}

// fakeTimers replaces time.AfterFunc with timers the test fires.
type fakeTimers struct{ fns []func() }

func (f *fakeTimers) afterFunc(d time.Duration, fn func()) func() bool {
	i := len(f.fns)
	f.fns = append(f.fns, fn)
	return func() bool { f.fns[i] = nil; return true }
}

func TestLogToggleReverts(t *testing.T) {
	level := zap.NewAtomicLevelAt(zapcore.WarnLevel)
	tg := NewLogToggle(level)
	timers := &fakeTimers{}
	tg.AfterFunc = timers.afterFunc

	tg.Set(zapcore.DebugLevel, 10*time.Minute)
	tg.Set(zapcore.InfoLevel, 10*time.Minute) // replaces the first; still reverts to WARN
	if level.Level() != zapcore.InfoLevel || timers.fns[0] != nil {
		t.Fatalf("level %v, first timer stopped: %v", level.Level(), timers.fns[0] == nil)
	}
	timers.fns[1]()
	if level.Level() != zapcore.WarnLevel {
		t.Fatalf("after the duration: %v, want WARN", level.Level())
	}
	tg.Set(zapcore.ErrorLevel, time.Minute)
	tg.Set(zapcore.DebugLevel, 0) // no duration: stays, and cancels the pending revert
	if timers.fns[2] != nil || level.Level() != zapcore.DebugLevel {
		t.Fatalf("level %v", level.Level())
	}
}

func TestLogToggleHTTP(t *testing.T) {
	level := zap.NewAtomicLevelAt(zapcore.InfoLevel)
	srv := httptest.NewServer(NewLogToggle(level))
	defer srv.Close()
	// In order: the last accepted toggle (ERROR) decides the final level.
	for _, c := range []struct {
		q    string
		want int
	}{
		{"?level=WARNING&duration=10mins", 200}, {"?level=ERROR", 200}, {"?level=x", 400}, {"?level=INFO&duration=10", 400}, {"", 400},
	} {
		q, want := c.q, c.want
		resp, err := http.Get(srv.URL + q)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%q: %d, want %d", q, resp.StatusCode, want)
		}
	}
	if level.Level() != zapcore.ErrorLevel {
		t.Errorf("level %v", level.Level())
	}
}
