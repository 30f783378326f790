package integration

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
)

// longSleep returns a shell command that sleeps about a minute and a marker
// unique to it: the sleep's own argument (60.<random digits>), so it shows
// in the command line of both the shell and the sleep, whether or not the
// shell execs it. Cleanup kills whatever still carries the marker — task
// processes outlive an agent killed with SIGKILL.
func longSleep(t *testing.T) (cmd, marker string) {
	marker = fmt.Sprintf("60.%09d", rand.IntN(1e9))
	t.Cleanup(func() {
		for _, pid := range pidsWith(marker) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	return "sleep " + marker, marker
}

// pidsWith lists the live processes whose command line contains s.
func pidsWith(s string) []int {
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	var pids []int
	for _, d := range dirs {
		pid, err := strconv.Atoi(filepath.Base(d))
		if err != nil || pid == os.Getpid() {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join(d, "cmdline"))
		if err != nil {
			continue // gone meanwhile; zombies have an empty cmdline
		}
		if bytes.Contains(cmdline, []byte(s)) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// sleepPID finds the sleep process (not its shell) carrying marker.
func sleepPID(marker string) (int, error) {
	for _, pid := range pidsWith(marker) {
		cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		argv0, _, _ := bytes.Cut(cmdline, []byte{0})
		if err == nil && filepath.Base(string(argv0)) == "sleep" {
			return pid, nil
		}
	}
	return 0, fmt.Errorf("no sleep process with %q", marker)
}
