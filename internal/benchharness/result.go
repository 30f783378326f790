package benchharness

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/agoraproject/agora/agent/sim"
)

// Result is what one run measured.
type Result struct {
	Agents, Frameworks, Tasks int
	// Register is the time from starting the agents to all subscribed.
	Register time.Duration
	// Launched tasks were sent in ACCEPT calls; Running were seen RUNNING
	// by their framework; LaunchErrors counts ACCEPT calls refused.
	Launched, Running, LaunchErrors int
	// Elapsed runs from the first launch request to the last RUNNING seen;
	// TasksPerSecond is Running over it.
	Elapsed        time.Duration
	TasksPerSecond float64
	// Latency is launch request → RUNNING seen by the framework.
	Latency Spread
	// Allocation spreads allocator/mesos/allocation_run_ms sampled during
	// the launch phase; AllocationMean is the mean over all of its
	// AllocationRuns cycles.
	Allocation     Spread
	AllocationRuns int
	AllocationMean time.Duration
	// MasterCPU is the master process's CPU time during the launch phase.
	MasterCPU time.Duration
	// HeapPerAgent and HeapPerTask are the growth of the master's heap
	// per agent registered and per task running, in bytes: the live heap
	// as of its last GC where the master exports it, else the allocated
	// heap (live plus garbage not yet collected), so approximate; 0 when
	// not measured. StackPerAgent is the growth of its goroutine stacks
	// per agent.
	HeapPerAgent, HeapPerTask, StackPerAgent float64
	// RSSPerAgent and RSSPerTask are the growth of the master process's
	// resident memory (process_resident_memory_bytes) per agent and per
	// task: heap, stacks, the runtime's and the kernel's share of the
	// process alike. RSS* are the master's totals in bytes before the
	// agents, after them and after the tasks.
	RSSPerAgent, RSSPerTask     float64
	RSSStart, RSSAgents, RSSEnd float64
	// States counts the first RUNNING and the terminal update of each task.
	States map[string]int
	Sim    sim.Stats
	// StateReads are the state reads of the loaded master, with
	// Config.StateReads.
	StateReads []StateRead
}

// Format prints r for a human, one figure a line.
func (r Result) Format(w io.Writer) {
	fmt.Fprintf(w, "agents %d, frameworks %d, tasks %d\n", r.Agents, r.Frameworks, r.Tasks)
	if r.Register > 0 {
		fmt.Fprintf(w, "registration:      %v for %d agents (%.0f agents/s)\n", r.Register.Round(time.Millisecond), r.Agents, float64(r.Agents)/r.Register.Seconds())
	} else {
		fmt.Fprintf(w, "registration:      not completed (%d agents subscribed)\n", r.Sim.Subscribed)
	}
	fmt.Fprintf(w, "throughput:        %.0f tasks/s (%d RUNNING of %d launched in %v)\n", r.TasksPerSecond, r.Running, r.Launched, r.Elapsed.Round(time.Millisecond))
	fmt.Fprintf(w, "launch→RUNNING:    p50 %v  p90 %v  p99 %v  max %v\n", ms(r.Latency.P50), ms(r.Latency.P90), ms(r.Latency.P99), ms(r.Latency.Max))
	fmt.Fprintf(w, "allocation cycle:  mean %v over %d runs; sampled p50 %v  p99 %v  max %v\n", ms(r.AllocationMean), r.AllocationRuns, ms(r.Allocation.P50), ms(r.Allocation.P99), ms(r.Allocation.Max))
	perTask := time.Duration(0)
	if r.Running > 0 {
		perTask = r.MasterCPU / time.Duration(r.Running)
	}
	fmt.Fprintf(w, "master CPU:        %v during launches (%v per task)\n", r.MasterCPU.Round(time.Millisecond), perTask.Round(time.Microsecond))
	fmt.Fprintf(w, "master RSS:        %s per agent, %s per task (%s → %s with the agents → %s with the tasks)\n",
		kib(r.RSSPerAgent), kib(r.RSSPerTask), mib(r.RSSStart), mib(r.RSSAgents), mib(r.RSSEnd))
	fmt.Fprintf(w, "master heap:       %s per agent (+ %s of stacks), %s per task\n", kib(r.HeapPerAgent), kib(r.StackPerAgent), kib(r.HeapPerTask))
	var states []string
	for s, n := range r.States {
		states = append(states, fmt.Sprintf("%s=%d", s, n))
	}
	sort.Strings(states)
	fmt.Fprintf(w, "task states:       %s\n", strings.Join(states, " "))
	s := r.Sim
	fmt.Fprintf(w, "agents' updates:   %d sent, %d resent, %d acknowledged, %d pending; %d call errors, %d stream failures\n",
		s.UpdatesSent, s.UpdatesResent, s.Acks, s.UpdatesPending(), s.CallErrors, s.StreamFailures)
	for _, sr := range r.StateReads {
		fmt.Fprintf(w, "state read:        %-19s cold %v  steady %v  (%s)\n", sr.Name, ms(sr.Cold), ms(sr.Steady), mib(float64(sr.ResponseBytes)))
	}
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
}

func mib(b float64) string {
	if b <= 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.0f MiB", b/(1<<20))
}

func kib(b float64) string {
	if b <= 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f KiB", b/1024)
}
