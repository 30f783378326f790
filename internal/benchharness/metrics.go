package benchharness

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// scraper reads the master's /metrics/snapshot (Mesos names) and /metrics
// (Prometheus, for the process's CPU time, heap, stacks and resident
// memory).
type scraper struct {
	base string
	http *http.Client
}

func newScraper(master string) *scraper {
	base := master
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	return &scraper{base: strings.TrimSuffix(base, "/"), http: &http.Client{Timeout: 10 * time.Second}}
}

func (s *scraper) get(ctx context.Context, path string) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.base+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	return resp.Body, nil
}

// snapshot returns /metrics/snapshot.
func (s *scraper) snapshot(ctx context.Context) (map[string]float64, error) {
	body, err := s.get(ctx, "/metrics/snapshot")
	if err != nil {
		return nil, err
	}
	defer body.Close()
	out := map[string]float64{}
	if err := json.NewDecoder(body).Decode(&out); err != nil {
		return nil, fmt.Errorf("decoding /metrics/snapshot: %w", err)
	}
	return out, nil
}

// process holds the master process's figures from /metrics.
type process struct {
	cpuSeconds float64
	heapBytes  float64 // live heap after the last GC, else allocated heap
	stackBytes float64 // goroutine stacks in use
	rssBytes   float64 // resident set: what the machine pays
}

func (s *scraper) process(ctx context.Context) (process, error) {
	body, err := s.get(ctx, "/metrics")
	if err != nil {
		return process{}, err
	}
	defer body.Close()
	vals, err := parseProm(body, "process_cpu_seconds_total", "go_gc_heap_live_bytes", "go_memstats_heap_alloc_bytes",
		"go_memstats_stack_inuse_bytes", "process_resident_memory_bytes")
	if err != nil {
		return process{}, err
	}
	p := process{cpuSeconds: vals["process_cpu_seconds_total"], heapBytes: vals["go_gc_heap_live_bytes"],
		stackBytes: vals["go_memstats_stack_inuse_bytes"], rssBytes: vals["process_resident_memory_bytes"]}
	if p.heapBytes == 0 {
		p.heapBytes = vals["go_memstats_heap_alloc_bytes"]
	}
	return p, nil
}

// parseProm picks unlabelled samples out of the Prometheus text format.
func parseProm(r io.Reader, names ...string) (map[string]float64, error) {
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok || !want[name] {
			continue
		}
		v, err := strconv.ParseFloat(strings.Fields(value)[0], 64)
		if err != nil {
			return nil, fmt.Errorf("metric %s: %v", name, err)
		}
		out[name] = v
	}
	return out, sc.Err()
}
