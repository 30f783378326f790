package cgroups

import (
	"path/filepath"

	"github.com/containerd/cgroups/v3/cgroup1"
	"google.golang.org/protobuf/proto"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// stats fills s from the v1 hierarchies the way Mesos's cgroups isolators
// do: CPU times from cpuacct.stat, throttling from cpu.stat, memory from
// memory.stat's hierarchical totals, processes and threads from the
// freezer's cgroup.procs and tasks.
func (g *v1Group) stats(s *mesos.ResourceStatistics) error {
	freezer := g.dir(cgroup1.Freezer)
	n, err := countLines(filepath.Join(freezer, "cgroup.procs"))
	if err != nil {
		return err
	}
	s.Processes = proto.Uint32(n)
	if n, err := countLines(filepath.Join(freezer, "tasks")); err == nil {
		s.Threads = proto.Uint32(n)
	}
	if dir, ok := g.b.dirs[cgroup1.Cpuacct]; ok {
		if kv, err := readKV(filepath.Join(dir+g.path, "cpuacct.stat")); err == nil {
			s.CpusUserTimeSecs = proto.Float64(float64(kv["user"]) / userHZ)
			s.CpusSystemTimeSecs = proto.Float64(float64(kv["system"]) / userHZ)
		}
	}
	if dir, ok := g.b.dirs[cgroup1.Cpu]; ok {
		if kv, err := readKV(filepath.Join(dir+g.path, "cpu.stat")); err == nil {
			s.CpusNrPeriods = proto.Uint32(uint32(kv["nr_periods"]))
			s.CpusNrThrottled = proto.Uint32(uint32(kv["nr_throttled"]))
			s.CpusThrottledTimeSecs = proto.Float64(float64(kv["throttled_time"]) / 1e9)
		}
	}
	if dir, ok := g.b.dirs[cgroup1.Memory]; ok {
		dir += g.path
		s.MemTotalBytes = proto.Uint64(readUint(filepath.Join(dir, "memory.usage_in_bytes")))
		if g.b.memsw {
			s.MemTotalMemswBytes = proto.Uint64(readUint(filepath.Join(dir, "memory.memsw.usage_in_bytes")))
		}
		if s.MemLimitBytes != nil {
			s.MemSoftLimitBytes = proto.Uint64(readUint(filepath.Join(dir, "memory.soft_limit_in_bytes")))
		}
		if kv, err := readKV(filepath.Join(dir, "memory.stat")); err == nil {
			memoryStat(s, kv["total_rss"], kv["total_cache"], kv["total_mapped_file"], kv["total_swap"], kv["total_unevictable"])
		}
	}
	return nil
}

// memoryStat sets the memory.stat figures Mesos reports: anonymous memory
// is the RSS, page cache the file memory.
func memoryStat(s *mesos.ResourceStatistics, rss, cache, mapped, swap, unevictable uint64) {
	s.MemRssBytes, s.MemAnonBytes = proto.Uint64(rss), proto.Uint64(rss)
	s.MemCacheBytes, s.MemFileBytes = proto.Uint64(cache), proto.Uint64(cache)
	s.MemMappedFileBytes = proto.Uint64(mapped)
	s.MemSwapBytes = proto.Uint64(swap)
	s.MemUnevictableBytes = proto.Uint64(unevictable)
}
