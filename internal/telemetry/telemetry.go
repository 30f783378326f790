// Package telemetry holds what the master's and the agent's HTTP surfaces
// share for observability: a Prometheus registry per process, a collector
// that exposes a Mesos-named metrics map under Prometheus names, and the
// Mesos-style /logging/toggle endpoint over a zap.AtomicLevel.
//
// Nothing here registers anything globally: each process builds its own
// registry.
package telemetry

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Namespace prefixes every Prometheus metric name Agora exposes.
const Namespace = "agora"

// PromName maps a Mesos metric name to a Prometheus-safe one:
// "master/cpus_total" → "agora_master_cpus_total",
// "allocator/mesos/allocation_run_ms" → "agora_allocator_allocation_run_ms",
// "slave/tasks_running" → "agora_agent_tasks_running". The "mesos" path
// segment is dropped, "slave" reads "agent", and every character outside
// [a-zA-Z0-9_] becomes "_".
func PromName(mesosName string) string {
	parts := strings.Split(mesosName, "/")
	var b strings.Builder
	b.WriteString(Namespace)
	for i, p := range parts {
		if p == "" || (p == "mesos" && i > 0) {
			continue
		}
		if i == 0 && p == "slave" {
			p = "agent"
		}
		b.WriteByte('_')
		for _, r := range p {
			if r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
				b.WriteRune(r)
			} else {
				b.WriteByte('_')
			}
		}
	}
	return b.String()
}

// NewRegistry returns a fresh registry with the Go runtime and process
// collectors and cs. Besides the classic memstats, the Go collector exports
// the live heap after the last collection (go_gc_heap_live_bytes) and the
// GC's targets, which tell an operator how much of the resident set is the
// collector's headroom rather than state.
func NewRegistry(cs ...prometheus.Collector) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	goCollector := collectors.NewGoCollector(collectors.WithGoCollectorRuntimeMetrics(
		collectors.GoRuntimeMetricsRule{Matcher: regexp.MustCompile(`^/gc/(heap/live|heap/goal|gogc|gomemlimit):`)}))
	reg.MustRegister(goCollector, collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reg.MustRegister(cs...)
	return reg
}

// Handler serves reg in the Prometheus text exposition format.
func Handler(reg *prometheus.Registry) http.Handler {
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})
}

// MapCollector exposes a Mesos-named metrics map, read afresh on every
// scrape, under PromName names. It is an unchecked collector: the set of
// names may change between scrapes.
type MapCollector struct {
	// Read returns the metrics; it is called once per scrape.
	Read func(ctx context.Context) (map[string]float64, error)
	// Counter reports whether a name is cumulative (a counter); the rest
	// are gauges. Nil: all gauges.
	Counter func(name string) bool
	// Timeout bounds Read (default 5s).
	Timeout time.Duration
}

// Describe implements prometheus.Collector; it sends nothing, which makes
// the collector unchecked.
func (c *MapCollector) Describe(chan<- *prometheus.Desc) {}

// Collect implements prometheus.Collector.
func (c *MapCollector) Collect(ch chan<- prometheus.Metric) {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	m, err := c.Read(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(prometheus.NewDesc(Namespace+"_metrics_error", "reading metrics failed", nil, nil), err)
		return
	}
	seen := map[string]bool{}
	for name, v := range m {
		pn := PromName(name)
		if seen[pn] { // two Mesos names mapping to one: keep the first
			continue
		}
		seen[pn] = true
		typ := prometheus.GaugeValue
		if c.Counter != nil && c.Counter(name) {
			typ = prometheus.CounterValue
		}
		desc := prometheus.NewDesc(pn, "Mesos metric "+name+".", nil, nil)
		ch <- prometheus.MustNewConstMetric(desc, typ, v)
	}
}
