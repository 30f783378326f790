package cgroups

import (
	"os"
	"path/filepath"
	"time"
)

// sweepAge is how old an empty container cgroup must be before New
// removes it: far longer than any launch takes between creating a cgroup
// and starting its first process, so no live agent's container is touched.
const sweepAge = time.Minute

// sweep removes the empty container cgroups under each parent directory
// that a previous agent left behind when it died, and counts those that
// still hold processes (their agent, or its recovery, owns them).
func sweep(parents []string, now time.Time) (removed, busy int) {
	seen := map[string]bool{}
	for _, parent := range parents {
		entries, err := os.ReadDir(parent)
		if err != nil {
			continue
		}
		for _, e := range entries {
			if !e.IsDir() {
				continue
			}
			dir := filepath.Join(parent, e.Name())
			pids, err := readPids(filepath.Join(dir, "cgroup.procs"))
			if err != nil {
				continue
			}
			if len(pids) > 0 {
				if !seen[e.Name()] {
					seen[e.Name()] = true
					busy++
				}
				continue
			}
			fi, err := e.Info()
			if err != nil || now.Sub(fi.ModTime()) < sweepAge {
				continue
			}
			if os.Remove(dir) == nil && !seen[e.Name()] {
				seen[e.Name()] = true
				removed++
			}
		}
	}
	return removed, busy
}
