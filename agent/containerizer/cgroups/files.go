package cgroups

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/agoraproject/agora/agent/containerizer"
)

// rmdir removes a cgroup directory, retrying briefly while the kernel
// still counts a dying process in it (EBUSY); a missing one is fine.
func rmdir(dir string) error {
	err := os.Remove(dir)
	for i := 0; errors.Is(err, unix.EBUSY) && i < 6; i++ {
		time.Sleep(5 * time.Millisecond << i)
		err = os.Remove(dir)
	}
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

// userHZ is the unit of cpuacct.stat (USER_HZ, 100 on every Linux ABI).
const userHZ = 100

// readPids parses a cgroup.procs or tasks file.
func readPids(file string) ([]int, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, f := range bytes.Fields(b) {
		if pid, err := strconv.Atoi(string(f)); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// countLines counts the entries of a cgroup.procs, tasks or threads file.
func countLines(file string) (uint32, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return 0, err
	}
	return uint32(bytes.Count(b, []byte{'\n'})), nil
}

// readKV parses a flat keyed file ("key value" lines: memory.stat,
// cpu.stat, memory.oom_control, memory.events).
func readKV(file string) (map[string]uint64, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]uint64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		if n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64); err == nil {
			out[k] = n
		}
	}
	return out, sc.Err()
}

// readUint reads a single-number file; "max" (v2's unlimited) and errors
// read as 0.
func readUint(file string) uint64 {
	b, err := os.ReadFile(file)
	if err != nil {
		return 0
	}
	n, _ := strconv.ParseUint(string(trimSpace(b)), 10, 64)
	return n
}

func trimSpace(b []byte) []byte { return bytes.TrimSpace(b) }

// oomMessage is Mesos's description of an OOM kill: the limit, the peak
// use and the memory statistics of the cgroup.
func oomMessage(limit, maxUsed uint64, statFile string) string {
	stat, _ := os.ReadFile(statFile)
	return containerizer.MemoryLimitMessage(limit, maxUsed, string(stat))
}
