package agent

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/agoraproject/agora/agent/containerizer"
)

// A launch queued for a sandbox slot gives up when its task is killed,
// before creating anything; one that gets a slot at once creates the run
// directory, its latest link and every task's sandbox.
func TestCreateSandboxes(t *testing.T) {
	runs := filepath.Join(t.TempDir(), "executors", "e", "runs")
	run := filepath.Join(runs, "c1")
	specs := []containerizer.LaunchSpec{{Sandbox: filepath.Join(run, "tasks", "a")}, {Sandbox: filepath.Join(run, "tasks", "b")}}
	killed, cancel := context.WithCancel(context.Background())
	cancel()

	slots := make(chan struct{}, 1)
	slots <- struct{}{} // busy
	if err := createSandboxes(killed, slots, run, specs); !errors.Is(err, context.Canceled) {
		t.Fatalf("queued and killed: %v, want context.Canceled", err)
	}
	if _, err := os.Stat(run); !os.IsNotExist(err) {
		t.Fatalf("a killed launch created its run directory: %v", err)
	}

	<-slots
	if err := createSandboxes(context.Background(), slots, run, specs); err != nil {
		t.Fatal(err)
	}
	if len(slots) != 0 {
		t.Error("the slot was not given back")
	}
	for _, s := range specs {
		if fi, err := os.Stat(s.Sandbox); err != nil || !fi.IsDir() {
			t.Errorf("sandbox %s: %v", s.Sandbox, err)
		}
	}
	if target, err := os.Readlink(filepath.Join(runs, "latest")); err != nil || target != "c1" {
		t.Errorf("runs/latest -> %q, %v; want c1", target, err)
	}
}
