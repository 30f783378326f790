package agent

import (
	"strconv"
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
)

// BenchmarkLaunchBurst sends 1,000 RUN_TASKs at once (sleep 600, cpus
// 0.01, mem 32, cgroups) and reports the time until the master has
// received every TASK_RUNNING — a Marathon app scaled from 0 to 1,000
// instances on one agent — then kills them all outside the timing. The
// checkpointing framework (Marathon checkpoints) makes the agent record
// every task with fsync.
func BenchmarkLaunchBurst(b *testing.B) {
	for _, checkpoint := range []bool{false, true} {
		b.Run("checkpoint="+strconv.FormatBool(checkpoint), func(b *testing.B) { benchLaunchBurst(b, checkpoint) })
	}
}

func benchLaunchBurst(b *testing.B, checkpoint bool) {
	rec := newLaunchRecorder()
	m := benchAgent(b, rec)
	fw := frameworkInfo("fw")
	fw.Checkpoint = proto.Bool(checkpoint)
	const total = 1000
	var elapsed, cpu time.Duration
	n := 0
	for b.Loop() {
		start, cpu0 := time.Now(), cpuTime()
		ids := make([]string, 0, total)
		for range total {
			n++
			id := "t" + strconv.Itoa(n)
			ids = append(ids, id)
			rec.runCmd(m, fw, id, "sleep 600")
		}
		for range total {
			<-rec.running
		}
		elapsed += time.Since(start)
		cpu += cpuTime() - cpu0
		b.StopTimer()
		for _, id := range ids {
			m.events <- killTask("fw", id, 0)
		}
		for range ids {
			<-rec.killed
		}
		b.StartTimer()
	}
	p50, p99 := percentiles(rec.latency)
	b.ReportMetric(elapsed.Seconds()/float64(b.N), "s-to-all-running")
	b.ReportMetric(float64(total*b.N)/elapsed.Seconds(), "tasks/s")
	// The agent's CPU time (user and system) per task: on a shared machine
	// steadier than the elapsed time.
	b.ReportMetric(float64(cpu.Microseconds())/1e3/float64(total*b.N), "cpu-ms/task")
	b.ReportMetric(p50, "p50-ms")
	b.ReportMetric(p99, "p99-ms")
	b.ReportMetric(0, "ns/op")
}

// cpuTime is the CPU time the process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
