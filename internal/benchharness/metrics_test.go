package benchharness

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// The master's figures come from its Prometheus /metrics: CPU, heap (live
// where exported, else allocated), stacks and resident memory.
func TestScraperReadsProcessFigures(t *testing.T) {
	for _, c := range []struct {
		name, text string
		heap       float64
	}{
		{"live heap", "go_gc_heap_live_bytes 2e+06\ngo_memstats_heap_alloc_bytes 3e+06\n", 2e6},
		{"allocated heap", "go_memstats_heap_alloc_bytes 3e+06\n", 3e6},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/metrics" {
					http.NotFound(w, r)
					return
				}
				w.Write([]byte("# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes 5.24288e+07\n" +
					"process_cpu_seconds_total 1.5\ngo_memstats_stack_inuse_bytes 655360\n" + c.text))
			}))
			defer srv.Close()
			p, err := newScraper(strings.TrimPrefix(srv.URL, "http://")).process(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			want := process{cpuSeconds: 1.5, heapBytes: c.heap, stackBytes: 655360, rssBytes: 50 << 20}
			if p != want {
				t.Fatalf("got %+v, want %+v", p, want)
			}
		})
	}
}

func TestFormatPrintsMemory(t *testing.T) {
	r := Result{Agents: 10, RSSPerAgent: 12 << 10, RSSPerTask: 1536, RSSStart: 20 << 20, RSSAgents: 30 << 20, RSSEnd: 40 << 20,
		HeapPerAgent: 6 << 10, StackPerAgent: 4 << 10, HeapPerTask: 1 << 10}
	var b bytes.Buffer
	r.Format(&b)
	for _, want := range []string{
		"master RSS:        12.0 KiB per agent, 1.5 KiB per task (20 MiB → 30 MiB with the agents → 40 MiB with the tasks)",
		"master heap:       6.0 KiB per agent (+ 4.0 KiB of stacks), 1.0 KiB per task",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("missing %q in:\n%s", want, b.String())
		}
	}
}

func TestFormatSaysWhenRegistrationDidNotComplete(t *testing.T) {
	r := Result{Agents: 10}
	r.Sim.Subscribed = 7
	var b bytes.Buffer
	r.Format(&b)
	if want := "registration:      not completed (7 agents subscribed)"; !strings.Contains(b.String(), want) {
		t.Errorf("missing %q in:\n%s", want, b.String())
	}
	r.Register = 2 * time.Second
	b.Reset()
	r.Format(&b)
	if want := "registration:      2s for 10 agents (5 agents/s)"; !strings.Contains(b.String(), want) {
		t.Errorf("missing %q in:\n%s", want, b.String())
	}
}
