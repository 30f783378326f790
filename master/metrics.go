package master

import (
	"context"
	"strings"
	"time"

	"github.com/agoraproject/agora/master/cluster"
	"github.com/agoraproject/agora/master/offers"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	"github.com/agoraproject/agora/proto/mesos/v1/scheduler"
	"github.com/agoraproject/agora/proto/resources"
)

// counters are the loop's cumulative metrics.
type counters struct {
	validStatusUpdates   uint64
	invalidStatusUpdates uint64
	tasksByState         map[mesos.TaskState]uint64
	callsByType          map[scheduler.Call_Type]uint64
	allocationRuns       uint64
	allocationLast       time.Duration
	allocationTotal      time.Duration
}

func (c *counters) countState(s mesos.TaskState) {
	if c.tasksByState == nil {
		c.tasksByState = map[mesos.TaskState]uint64{}
	}
	c.tasksByState[s]++
}

func (c *counters) countCall(t scheduler.Call_Type) {
	if c.callsByType == nil {
		c.callsByType = map[scheduler.Call_Type]uint64{}
	}
	c.callsByType[t]++
}

func (c *counters) observeAllocation(d time.Duration) {
	c.allocationRuns++
	c.allocationLast = d
	c.allocationTotal += d
}

// Metrics returns the master's metrics under Mesos's names
// (master/cpus_total, master/tasks_running, allocator/mesos/...).
func (m *Master) Metrics(ctx context.Context) (map[string]float64, error) {
	out := map[string]float64{}
	err := m.do(ctx, func() { m.fillMetrics(out) })
	return out, err
}

func (m *Master) fillMetrics(out map[string]float64) {
	now := m.cfg.Clock.Now()
	out["master/uptime_secs"] = now.Sub(m.start).Seconds()
	out["master/elected"] = 1

	// Tallies, not resources.Add: a read runs in the event loop, and
	// merging every task's resources into lists cost ~45 ms at 10k tasks.
	names := []string{"cpus", "mem", "disk", "gpus"}
	total, used, offered := resources.NewTally(names...), resources.NewTally(names...), resources.NewTally(names...)
	var active, inactive, connected, disconnected, unreachable float64
	for _, a := range m.agents {
		switch a.state {
		case agentConnected:
			connected++
			active++
		case agentDisconnected:
			disconnected++
			inactive++
		case agentUnreachable:
			unreachable++
			continue
		}
		total.Add(a.total)
		for t := range a.tasks {
			if !cluster.IsTerminal(t.state) {
				used.Add(t.resources)
				used.Add(t.executorResources())
			}
		}
		for _, e := range a.executors {
			used.Add(e.resources)
		}
	}
	m.book.Each(func(o *offers.Offer) { offered.Add(o.Resources) })
	out["master/slaves_active"] = active
	out["master/slaves_inactive"] = inactive
	out["master/slaves_connected"] = connected
	out["master/slaves_disconnected"] = disconnected
	out["master/slaves_unreachable"] = unreachable
	for _, name := range names {
		t := total.Value(name)
		u := used.Value(name)
		out["master/"+name+"_total"] = t
		out["master/"+name+"_used"] = u
		out["master/"+name+"_offered"] = offered.Value(name)
		pct := 0.0
		if t > 0 {
			pct = u / t
		}
		out["master/"+name+"_percent"] = pct
	}

	var fwActive, fwInactive, fwConnected, fwDisconnected float64
	current := map[mesos.TaskState]float64{}
	for _, f := range m.frameworks {
		if f.connected() {
			fwConnected++
			fwActive++
		} else {
			fwDisconnected++
			fwInactive++
		}
		for _, t := range f.tasks {
			current[t.state]++
		}
	}
	out["master/frameworks_active"] = fwActive
	out["master/frameworks_inactive"] = fwInactive
	out["master/frameworks_connected"] = fwConnected
	out["master/frameworks_disconnected"] = fwDisconnected
	out["master/outstanding_offers"] = float64(m.book.Len())

	// Current states are gauges; terminal states are cumulative counters.
	for v, name := range mesos.TaskState_name {
		s := mesos.TaskState(v)
		key := "master/tasks_" + strings.ToLower(strings.TrimPrefix(name, "TASK_"))
		if cluster.IsTerminal(s) {
			out[key] = float64(m.metrics.tasksByState[s])
		} else {
			out[key] = current[s]
		}
	}
	out["master/valid_status_updates"] = float64(m.metrics.validStatusUpdates)
	out["master/invalid_status_updates"] = float64(m.metrics.invalidStatusUpdates)
	for v, name := range scheduler.Call_Type_name {
		out["master/messages_"+strings.ToLower(name)] = float64(m.metrics.callsByType[scheduler.Call_Type(v)])
	}
	out["master/event_queue_dispatches"] = float64(len(m.reqs))
	out["allocator/mesos/allocation_runs"] = float64(m.metrics.allocationRuns)
	out["allocator/mesos/allocation_run_ms"] = float64(m.metrics.allocationLast) / float64(time.Millisecond)
	if m.metrics.allocationRuns > 0 {
		out["allocator/mesos/allocation_run_ms/mean"] = float64(m.metrics.allocationTotal) / float64(time.Millisecond) / float64(m.metrics.allocationRuns)
	}
}

// MetricIsCounter reports whether the named metric of Metrics is
// cumulative (terminal task states, status updates, messages, allocation
// runs); the others are gauges.
func MetricIsCounter(name string) bool {
	switch name {
	case "master/valid_status_updates", "master/invalid_status_updates", "allocator/mesos/allocation_runs":
		return true
	}
	if strings.HasPrefix(name, "master/messages_") {
		return true
	}
	if st, ok := strings.CutPrefix(name, "master/tasks_"); ok {
		if v, ok := mesos.TaskState_value["TASK_"+strings.ToUpper(st)]; ok {
			return cluster.IsTerminal(mesos.TaskState(v))
		}
	}
	return false
}
