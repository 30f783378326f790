package agent

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"time"

	"github.com/gorilla/mux"
	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/agent/containerizer"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	"github.com/agoraproject/agora/proto/mesosjson"
)

// statsTimeout bounds the collection of resource statistics for one
// request.
const statsTimeout = 5 * time.Second

// liveContainer is a running container as /monitor/statistics and the
// operator API's GET_CONTAINERS see it. The loop lists them into each
// snapshot it publishes, so that the HTTP handlers read containers'
// statistics on their own goroutines, never holding up the loop.
type liveContainer struct {
	frameworkID, executorID, executorName, source string
	containerID                                   string
	// parentID is the executor's container ID for a container nested
	// under it (a task of a task group); "" for an executor's own
	// container (a command task's, or a custom executor's).
	parentID  string
	container containerizer.Container
}

// top is the ID of the executor container c belongs to.
func (c liveContainer) top() string {
	if c.parentID != "" {
		return c.parentID
	}
	return c.containerID
}

// containerList lists the running containers, by container ID. It runs
// on the loop (from publish).
func (a *Agent) containerList() []liveContainer {
	var out []liveContainer
	for _, t := range a.tasks {
		if t.container == nil || t.exited {
			continue
		}
		ex := t.executor
		lc := liveContainer{
			frameworkID: t.key.framework, executorID: ex.id, executorName: executorName(ex), source: ex.id,
			containerID: t.containerID, container: t.container,
		}
		if ex.info != nil {
			lc.source = ex.info.GetSource()
		}
		if t.containerID != ex.containerID {
			lc.parentID = ex.containerID
		}
		out = append(out, lc)
	}
	for _, fw := range a.frameworks {
		for _, ex := range fw.executors {
			if r := ex.run; r != nil && r.container != nil && !r.exited { // a custom executor's own process
				out = append(out, liveContainer{
					frameworkID: ex.frameworkID, executorID: ex.id, executorName: executorName(ex),
					source: ex.info.GetSource(), containerID: ex.containerID, container: r.container,
				})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].containerID < out[j].containerID })
	return out
}

// executorName is the name Mesos reports for an executor.
func executorName(ex *executor) string {
	if ex.info != nil {
		return ex.info.GetName()
	}
	return "Command Executor (Task: " + ex.id + ")"
}

// usage is the resource use of one executor's containers.
type usage struct {
	liveContainer     // the first of the executor's containers; containerID is the executor's
	pid           int // the executor container's main process, 0 if it has none here
	stats         *mesos.ResourceStatistics
	nested        []nestedUsage // the containers nested under the executor's
}

type nestedUsage struct {
	liveContainer
	stats *mesos.ResourceStatistics
}

// collectUsage reads the statistics of every container in cs that reports
// them and sums them per executor container, as Mesos reports an
// executor's container with its nested containers inside. Containers that
// exit meanwhile are left out.
func collectUsage(ctx context.Context, cs []liveContainer, log *zap.Logger) []*usage {
	byTop := map[string]*usage{}
	var out []*usage
	for _, c := range cs {
		sr, ok := c.container.(containerizer.StatsReporter)
		if !ok {
			continue
		}
		s, err := sr.Stats(ctx)
		if err != nil {
			log.Debug("no statistics for a container", zap.String("container_id", c.containerID), zap.Error(err))
			continue
		}
		u := byTop[c.top()]
		if u == nil {
			u = &usage{liveContainer: c, stats: proto.Clone(s).(*mesos.ResourceStatistics)}
			u.containerID, u.parentID = c.top(), ""
			byTop[c.top()] = u
			out = append(out, u)
		} else {
			addStats(u.stats, s)
		}
		if c.parentID != "" {
			u.nested = append(u.nested, nestedUsage{c, s})
		} else {
			u.pid = c.container.Status().PID
		}
	}
	return out
}

// addStats adds the counters of s to sum (the limits too: nested
// containers each have their own).
func addStats(sum, s *mesos.ResourceStatistics) {
	sum.Timestamp = proto.Float64(max(sum.GetTimestamp(), s.GetTimestamp()))
	add(&sum.Processes, s.Processes)
	add(&sum.Threads, s.Threads)
	add(&sum.CpusUserTimeSecs, s.CpusUserTimeSecs)
	add(&sum.CpusSystemTimeSecs, s.CpusSystemTimeSecs)
	add(&sum.CpusLimit, s.CpusLimit)
	add(&sum.CpusNrPeriods, s.CpusNrPeriods)
	add(&sum.CpusNrThrottled, s.CpusNrThrottled)
	add(&sum.CpusThrottledTimeSecs, s.CpusThrottledTimeSecs)
	add(&sum.MemTotalBytes, s.MemTotalBytes)
	add(&sum.MemTotalMemswBytes, s.MemTotalMemswBytes)
	add(&sum.MemLimitBytes, s.MemLimitBytes)
	add(&sum.MemSoftLimitBytes, s.MemSoftLimitBytes)
	add(&sum.MemFileBytes, s.MemFileBytes)
	add(&sum.MemAnonBytes, s.MemAnonBytes)
	add(&sum.MemCacheBytes, s.MemCacheBytes)
	add(&sum.MemRssBytes, s.MemRssBytes)
	add(&sum.MemMappedFileBytes, s.MemMappedFileBytes)
	add(&sum.MemSwapBytes, s.MemSwapBytes)
	add(&sum.MemUnevictableBytes, s.MemUnevictableBytes)
}

// add adds an optional field to another; unset stays unset only if both
// are.
func add[T uint32 | uint64 | float64](dst **T, v *T) {
	if v == nil {
		return
	}
	var cur T
	if *dst != nil {
		cur = **dst
	}
	n := cur + *v
	*dst = &n
}

// monitorRoutes adds /monitor/statistics and the operator API.
func (a *Agent) monitorRoutes(r *mux.Router) {
	for _, prefix := range []string{"", "/slave(1)"} {
		r.HandleFunc(prefix+"/monitor/statistics", a.monitorStatistics).Methods(http.MethodGet)
		r.HandleFunc(prefix+"/monitor/statistics.json", a.monitorStatistics).Methods(http.MethodGet)
		r.HandleFunc(prefix+"/api/v1", a.operatorAPI)
	}
}

// monitorStatistics serves Mesos's /monitor/statistics: one entry per
// executor with the resource statistics of its container.
func (a *Agent) monitorStatistics(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), statsTimeout)
	defer cancel()
	type entry struct {
		ExecutorID   string          `json:"executor_id"`
		ExecutorName string          `json:"executor_name"`
		FrameworkID  string          `json:"framework_id"`
		Source       string          `json:"source"`
		Statistics   json.RawMessage `json:"statistics"`
	}
	out := []entry{}
	for _, u := range collectUsage(ctx, a.snapshot.Load().containers, a.log) {
		b, err := mesosjson.Marshal(u.stats)
		if err != nil {
			a.log.Error("encoding statistics", zap.Error(err))
			continue
		}
		out = append(out, entry{u.executorID, u.executorName, u.frameworkID, u.source, b})
	}
	a.writeJSON(w, out)
}
