package benchharness

import (
	"strings"
	"testing"
	"time"
)

func TestSpread(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- { // unsorted on purpose
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	s := spreadOf(ds)
	want := Spread{P50: 50 * time.Millisecond, P90: 90 * time.Millisecond, P99: 99 * time.Millisecond, Max: 100 * time.Millisecond, N: 100}
	if s != want {
		t.Fatalf("spread %+v, want %+v", s, want)
	}
	if one := spreadOf([]time.Duration{time.Second}); one.P50 != time.Second || one.P99 != time.Second {
		t.Fatalf("one sample: %+v", one)
	}
	if none := spreadOf(nil); none != (Spread{}) {
		t.Fatalf("no samples: %+v", none)
	}
}

func TestParseProm(t *testing.T) {
	text := `# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.
# TYPE process_cpu_seconds_total counter
process_cpu_seconds_total 12.5
go_gc_heap_live_bytes 1.048576e+06
go_gc_duration_seconds{quantile="0.5"} 0.001
agora_master_tasks_running 3
`
	got, err := parseProm(strings.NewReader(text), "process_cpu_seconds_total", "go_gc_heap_live_bytes", "go_gc_duration_seconds")
	if err != nil {
		t.Fatal(err)
	}
	if got["process_cpu_seconds_total"] != 12.5 || got["go_gc_heap_live_bytes"] != 1<<20 || len(got) != 2 {
		t.Fatalf("parsed %v", got)
	}
	if _, err := parseProm(strings.NewReader("process_cpu_seconds_total x\n"), "process_cpu_seconds_total"); err == nil ||
		!strings.Contains(err.Error(), "process_cpu_seconds_total") {
		t.Fatalf("a bad value gave %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	c := Config{Frameworks: 2, Tasks: 1}
	err := c.Validate()
	for _, want := range []string{"master: required", "tasks: must be at least one per framework", "agents: at least one agent"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want it to mention %q", err, want)
		}
	}
	c = Config{Master: "127.0.0.1:1", Frameworks: 1, Tasks: 1, WaitFinished: true}
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "task_duration") {
		t.Errorf("WaitFinished without a task duration: %v", err)
	}
}
