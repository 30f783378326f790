package telemetry

import (
	"testing"
)

// TestRegistryExportsTheLiveHeap checks the runtime figures operators and
// `agora bench` read to tell state from the collector's headroom.
func TestRegistryExportsTheLiveHeap(t *testing.T) {
	families, err := NewRegistry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, f := range families {
		have[f.GetName()] = true
	}
	for _, name := range []string{"go_gc_heap_live_bytes", "go_gc_heap_goal_bytes", "go_gc_gogc_percent",
		"go_gc_gomemlimit_bytes", "go_memstats_heap_alloc_bytes", "process_resident_memory_bytes"} {
		if !have[name] {
			t.Errorf("%s is not exported", name)
		}
	}
}
