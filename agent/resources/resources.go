// Package resources works out what an agent offers: it probes the host
// (CPUs, memory, the disk holding the work directory) and combines the
// Mesos defaults with the operator's --resources override.
//
// It is not resource arithmetic (proto/resources does that) and it does not
// isolate anything; it only computes the agent's total at startup.
package resources

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	protores "github.com/agoraproject/agora/proto/resources"
)

const (
	mib = 1 << 20
	gib = 1 << 30
)

// DefaultPorts is the port range an agent offers unless overridden.
const DefaultPorts = "[31000-32000]"

// Host is the capacity of the machine.
type Host struct {
	CPUs      int
	MemBytes  uint64 // total RAM
	DiskBytes uint64 // size of the filesystem holding the work directory
}

// Probe measures the host: NumCPU, MemTotal from /proc/meminfo and the size
// of the filesystem holding workDir (or its nearest existing parent, since
// the work directory may not exist yet).
func Probe(workDir string) (Host, error) {
	h := Host{CPUs: runtime.NumCPU()}
	mem, err := memTotal("/proc/meminfo")
	if err != nil {
		return Host{}, err
	}
	h.MemBytes = mem
	dir, err := filepath.Abs(workDir)
	if err != nil {
		return Host{}, err
	}
	for {
		var st syscall.Statfs_t
		err := syscall.Statfs(dir, &st)
		if err == nil {
			h.DiskBytes = st.Blocks * uint64(st.Bsize)
			return h, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return Host{}, fmt.Errorf("statfs %s: %w", workDir, err)
		}
		dir = parent
	}
}

// memTotal reads MemTotal (in kB) from a meminfo file.
func memTotal(file string) (uint64, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return 0, err
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := bytes.Fields(sc.Bytes())
		if len(f) >= 2 && string(f[0]) == "MemTotal:" {
			kb, err := strconv.ParseUint(string(f[1]), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("%s: MemTotal: %w", file, err)
			}
			return kb * 1024, nil
		}
	}
	return 0, fmt.Errorf("%s: no MemTotal", file)
}

// MemMB is the memory an agent offers by default, in MB: the total less
// 1 GiB for the system when there are at least 2 GiB, else half (Mesos's
// rule).
func MemMB(total uint64) uint64 {
	if total >= 2*gib {
		return (total - gib) / mib
	}
	return total / 2 / mib
}

// DiskMB is the disk an agent offers by default, in MB: the filesystem
// size less min(5 GiB, half of it) (Mesos's rule).
func DiskMB(total uint64) uint64 {
	return (total - min(5*gib, total/2)) / mib
}

// Defaults returns the resources detected on h, all unreserved.
func Defaults(h Host) []*mesos.Resource {
	s := fmt.Sprintf("cpus:%d;mem:%d;disk:%d;ports:%s", h.CPUs, MemMB(h.MemBytes), DiskMB(h.DiskBytes), DefaultPorts)
	rs, err := protores.Parse(s)
	if err != nil {
		panic("resources: cannot parse the defaults " + s + ": " + err.Error()) // a bug, not input
	}
	return rs
}

// Compute returns the agent's total: the defaults detected on h, except
// that every resource name present in override (Mesos --resources syntax or
// JSON) replaces the detected one entirely, reservations included, so
// "cpus(ads):2" means the agent has exactly two CPUs, reserved for ads.
// Names the defaults lack (gpus, custom resources) are added.
func Compute(h Host, override string) ([]*mesos.Resource, error) {
	over, err := protores.Parse(override)
	if err != nil {
		return nil, fmt.Errorf("--resources: %w", err)
	}
	named := map[string]bool{}
	for _, r := range over {
		named[r.GetName()] = true
	}
	var out []*mesos.Resource
	for _, r := range Defaults(h) {
		if !named[r.GetName()] {
			out = append(out, r)
		}
	}
	return append(out, over...), nil
}
