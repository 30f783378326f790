package posix

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/agent/containerizer"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

var _ containerizer.StatsReporter = (*process)(nil)

// userHZ is the unit of CPU times in /proc/<pid>/stat.
const userHZ = 100

// Stats sums what /proc says of the processes in the container's process
// group: CPU times (including those of reaped children), resident memory,
// processes and threads. It is best effort: a process that left the group
// is not counted, and no limits are reported since none are enforced.
func (p *process) Stats(context.Context) (*mesos.ResourceStatistics, error) {
	p.mu.Lock()
	exited := p.exited
	p.mu.Unlock()
	if exited {
		return nil, fmt.Errorf("container %s has exited", p.id)
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	var procs, threads uint32
	var userTicks, systemTicks, rssPages uint64
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		f, ok := procStatFields(pid)
		if !ok || f.pgid != p.pgid || f.state == 'Z' {
			continue
		}
		procs++
		threads += f.threads
		userTicks += f.utime + f.cutime
		systemTicks += f.stime + f.cstime
		rssPages += f.rss
	}
	rss := rssPages * uint64(os.Getpagesize())
	return &mesos.ResourceStatistics{
		Timestamp:          proto.Float64(float64(time.Now().UnixNano()) / 1e9),
		Processes:          proto.Uint32(procs),
		Threads:            proto.Uint32(threads),
		CpusUserTimeSecs:   proto.Float64(float64(userTicks) / userHZ),
		CpusSystemTimeSecs: proto.Float64(float64(systemTicks) / userHZ),
		MemRssBytes:        proto.Uint64(rss),
		MemTotalBytes:      proto.Uint64(rss),
	}, nil
}

type statFields struct {
	state                        byte
	pgid                         int
	utime, stime, cutime, cstime uint64
	threads                      uint32
	rss                          uint64 // pages
}

// procStatFields parses /proc/<pid>/stat, counting fields from the last
// ')' since the command name may contain anything.
func procStatFields(pid int) (statFields, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return statFields{}, false
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return statFields{}, false
	}
	f := bytes.Fields(b[i+1:]) // state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime prio nice threads itreal start vsize rss
	if len(f) < 22 || len(f[0]) != 1 {
		return statFields{}, false
	}
	n := func(k int) uint64 { v, _ := strconv.ParseUint(string(f[k]), 10, 64); return v }
	g, err := strconv.Atoi(string(f[2]))
	if err != nil {
		return statFields{}, false
	}
	return statFields{
		state: f[0][0], pgid: g,
		utime: n(11), stime: n(12), cutime: n(13), cstime: n(14),
		threads: uint32(n(17)), rss: n(21),
	}, true
}
