package agent

import (
	"context"
	"net/http"
	"strings"

	"github.com/gorilla/mux"
	"go.uber.org/zap"

	"github.com/agoraproject/agora/internal/telemetry"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// SetLogLevel enables /logging/toggle over level, the process logger's
// level. Call it before Handler; without it the endpoint answers 503.
func (a *Agent) SetLogLevel(level zap.AtomicLevel) {
	a.logToggle = telemetry.NewLogToggle(level)
}

// observabilityRoutes adds /metrics (Prometheus), /metrics/snapshot (Mesos
// names) and /logging/toggle. The metrics come from the published
// snapshot, so scrapes never wait for the loop.
func (a *Agent) observabilityRoutes(r *mux.Router) {
	reg := telemetry.NewRegistry(&telemetry.MapCollector{Read: a.metrics, Counter: agentMetricIsCounter})
	r.Handle("/metrics", telemetry.Handler(reg)).Methods(http.MethodGet, http.MethodHead)
	for _, prefix := range []string{"", "/slave(1)"} {
		r.HandleFunc(prefix+"/metrics/snapshot", a.metricsSnapshot).Methods(http.MethodGet, http.MethodHead)
	}
	r.HandleFunc("/logging/toggle", a.loggingToggle)
}

func (a *Agent) metricsSnapshot(w http.ResponseWriter, r *http.Request) {
	m, _ := a.metrics(r.Context())
	a.writeJSON(w, m)
}

func (a *Agent) loggingToggle(w http.ResponseWriter, r *http.Request) {
	if a.logToggle == nil {
		http.Error(w, "the logging level cannot be changed in this process", http.StatusServiceUnavailable)
		return
	}
	a.logToggle.ServeHTTP(w, r)
}

// agentMetricIsCounter reports whether a metric of metrics is cumulative.
func agentMetricIsCounter(name string) bool { return name == "slave/status_updates_sent" }

// metrics returns the agent's metrics under Mesos's names (slave/...),
// from the latest snapshot. Task counts are of the tasks the agent runs
// now, by state.
func (a *Agent) metrics(context.Context) (map[string]float64, error) {
	s := a.snapshot.Load()
	out := map[string]float64{
		"slave/uptime_secs":            a.clock.Now().Sub(a.startTime).Seconds(),
		"slave/registered":             0,
		"slave/frameworks_active":      float64(len(s.Frameworks)),
		"slave/containers_running":     float64(len(s.containers)),
		"slave/status_updates_pending": float64(s.pendingUpdates),
		"slave/status_updates_sent":    float64(a.updatesSent.Load()),
	}
	if s.registered {
		out["slave/registered"] = 1
	}
	for _, st := range []mesos.TaskState{mesos.TaskState_TASK_STAGING, mesos.TaskState_TASK_STARTING,
		mesos.TaskState_TASK_RUNNING, mesos.TaskState_TASK_KILLING} {
		out[taskMetric(st.String())] = 0
	}
	var executors float64
	for _, fw := range s.Frameworks {
		executors += float64(len(fw.Executors))
		for _, ex := range fw.Executors {
			for _, t := range ex.Tasks {
				out[taskMetric(t.State)]++
			}
			for _, t := range ex.QueuedTasks {
				out[taskMetric(t.State)]++
			}
		}
	}
	out["slave/executors_running"] = executors
	for _, name := range []string{"cpus", "mem", "disk", "gpus"} {
		if v, ok := s.Resources[name].(float64); ok {
			out["slave/"+name+"_total"] = v
		}
	}
	return out, nil
}

func taskMetric(state string) string {
	return "slave/tasks_" + strings.ToLower(strings.TrimPrefix(state, "TASK_"))
}
