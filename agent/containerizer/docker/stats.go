package docker

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/docker/docker/api/types/container"
	"google.golang.org/protobuf/proto"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// Stats asks the engine for one snapshot of the container's accounting
// (a one-shot stats call, which does not wait for a second sample) and
// reports it in Mesos's terms, with the limits the container runs under.
func (c *dockerContainer) Stats(ctx context.Context) (*mesos.ResourceStatistics, error) {
	select {
	case <-c.done:
		return nil, fmt.Errorf("container %s has exited", c.id)
	default:
	}
	r, err := c.d.cli.ContainerStatsOneShot(ctx, c.dockerID)
	if err != nil {
		return nil, fmt.Errorf("container %s: %w", c.id, err)
	}
	defer r.Body.Close()
	var s container.StatsResponse
	if err := json.NewDecoder(r.Body).Decode(&s); err != nil {
		return nil, fmt.Errorf("container %s: decoding the engine's statistics: %w", c.id, err)
	}
	cpus, memBytes := c.limits()
	return statistics(&s, cpus, memBytes, time.Now()), nil
}

// statistics converts the engine's figures; memory.stat keys differ
// between cgroup v1 (total_*) and v2, hence the fallbacks.
func statistics(s *container.StatsResponse, cpus float64, memBytes int64, now time.Time) *mesos.ResourceStatistics {
	out := &mesos.ResourceStatistics{
		Timestamp:             proto.Float64(float64(now.UnixNano()) / 1e9),
		Processes:             proto.Uint32(uint32(s.PidsStats.Current)),
		CpusUserTimeSecs:      proto.Float64(float64(s.CPUStats.CPUUsage.UsageInUsermode) / 1e9),
		CpusSystemTimeSecs:    proto.Float64(float64(s.CPUStats.CPUUsage.UsageInKernelmode) / 1e9),
		CpusNrPeriods:         proto.Uint32(uint32(s.CPUStats.ThrottlingData.Periods)),
		CpusNrThrottled:       proto.Uint32(uint32(s.CPUStats.ThrottlingData.ThrottledPeriods)),
		CpusThrottledTimeSecs: proto.Float64(float64(s.CPUStats.ThrottlingData.ThrottledTime) / 1e9),
		MemTotalBytes:         proto.Uint64(s.MemoryStats.Usage),
	}
	if cpus > 0 {
		out.CpusLimit = proto.Float64(cpus)
	}
	if memBytes > 0 {
		out.MemLimitBytes = proto.Uint64(uint64(memBytes))
	}
	stat := func(keys ...string) *uint64 {
		for _, k := range keys {
			if v, ok := s.MemoryStats.Stats[k]; ok {
				return proto.Uint64(v)
			}
		}
		return nil
	}
	out.MemRssBytes = stat("total_rss", "rss", "anon")
	out.MemAnonBytes = out.MemRssBytes
	out.MemCacheBytes = stat("total_cache", "cache", "file")
	out.MemFileBytes = out.MemCacheBytes
	out.MemMappedFileBytes = stat("total_mapped_file", "mapped_file", "file_mapped")
	out.MemSwapBytes = stat("total_swap", "swap")
	out.MemUnevictableBytes = stat("total_unevictable", "unevictable")
	if len(s.Networks) > 0 {
		var rxB, rxP, rxE, rxD, txB, txP, txE, txD uint64
		for _, n := range s.Networks {
			rxB, rxP, rxE, rxD = rxB+n.RxBytes, rxP+n.RxPackets, rxE+n.RxErrors, rxD+n.RxDropped
			txB, txP, txE, txD = txB+n.TxBytes, txP+n.TxPackets, txE+n.TxErrors, txD+n.TxDropped
		}
		out.NetRxBytes, out.NetRxPackets, out.NetRxErrors, out.NetRxDropped = &rxB, &rxP, &rxE, &rxD
		out.NetTxBytes, out.NetTxPackets, out.NetTxErrors, out.NetTxDropped = &txB, &txP, &txE, &txD
	}
	return out
}
