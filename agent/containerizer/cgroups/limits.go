package cgroups

import (
	"math"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	protores "github.com/agoraproject/agora/proto/resources"
)

// Bounds Mesos's cgroups isolators apply, so that tasks sized for Mesos
// get the same limits here.
const (
	cpuSharesPerCPU = 1024
	minCPUShares    = 2
	cfsPeriodUS     = 100_000 // 100 ms
	minCFSQuotaUS   = 1_000   // 1 ms
	minMemoryBytes  = 32 << 20
	// DefaultPidsLimit bounds the processes and threads of a container
	// when Config.PidsLimit is zero.
	DefaultPidsLimit = 32768
)

// limits is what a container's cgroups enforce; zero fields enforce
// nothing.
type limits struct {
	cpus     float64 // the cpus resource, also reported as cpus_limit
	shares   uint64
	quotaUS  int64 // CFS quota per period
	periodUS uint64
	memBytes int64
	pids     int64
}

// limitsFor turns a container's resources into limits, as Mesos does:
// shares = cpus × 1024 (at least 2), a CFS quota of cpus × 100 ms per
// 100 ms period (at least 1 ms) when enabled, a memory limit of mem MB (at
// least 32 MB), and the configured pids limit. A resource the container
// did not ask for is not limited.
func limitsFor(rs []*mesos.Resource, cfg Config) limits {
	var l limits
	if cpus := protores.Scalar(rs, "cpus"); cpus > 0 {
		l.cpus = cpus
		if cfg.CPU {
			l.shares = max(uint64(math.Round(cpus*cpuSharesPerCPU)), minCPUShares)
			if cfg.CFS {
				l.periodUS = cfsPeriodUS
				l.quotaUS = max(int64(math.Round(cpus*cfsPeriodUS)), minCFSQuotaUS)
			}
		}
	}
	if mem := protores.Scalar(rs, "mem"); mem > 0 && cfg.Memory {
		l.memBytes = max(int64(math.Round(mem*(1<<20))), minMemoryBytes)
	}
	if cfg.Pids {
		l.pids = cfg.PidsLimit
	}
	return l
}
