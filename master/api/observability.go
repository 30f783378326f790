package api

import (
	"net/http"

	"go.uber.org/zap"

	"github.com/agoraproject/agora/internal/telemetry"
	"github.com/agoraproject/agora/master"
)

// newMetricsHandler serves /metrics: the master's Mesos-named metrics
// under Prometheus names, read through the event loop on each scrape,
// plus the Go runtime and process collectors, on a registry of its own.
func newMetricsHandler(m *master.Master) http.Handler {
	return telemetry.Handler(telemetry.NewRegistry(&telemetry.MapCollector{
		Read:    m.Metrics,
		Counter: master.MetricIsCounter,
	}))
}

// SetLogLevel enables /logging/toggle over level, the process logger's
// level. Without it the endpoint answers 503.
func (h *Handler) SetLogLevel(level zap.AtomicLevel) {
	h.logToggle = telemetry.NewLogToggle(level)
	h.logLevel = &level
}

func (h *Handler) loggingToggle(w http.ResponseWriter, r *http.Request) {
	if h.logToggle == nil {
		http.Error(w, "the logging level cannot be changed in this process", http.StatusServiceUnavailable)
		return
	}
	h.logToggle.ServeHTTP(w, r)
}
