package resources

import (
	"os"
	"path/filepath"
	"testing"

	protores "github.com/agoraproject/agora/proto/resources"
)

func TestMesosRules(t *testing.T) {
	for _, tc := range []struct {
		total, mem uint64
	}{
		{8 * gib, 7 * 1024},
		{2 * gib, 1024},
		{1 * gib, 512},
		{2*gib - mib, 1023},
	} {
		if got := MemMB(tc.total); got != tc.mem {
			t.Errorf("MemMB(%d MiB) = %d, want %d", tc.total/mib, got, tc.mem)
		}
	}
	for _, tc := range []struct {
		total, disk uint64
	}{
		{100 * gib, 95 * 1024},
		{10 * gib, 5 * 1024},
		{4 * gib, 2 * 1024},
	} {
		if got := DiskMB(tc.total); got != tc.disk {
			t.Errorf("DiskMB(%d GiB) = %d, want %d", tc.total/gib, got, tc.disk)
		}
	}
}

func TestCompute(t *testing.T) {
	h := Host{CPUs: 4, MemBytes: 8 * gib, DiskBytes: 100 * gib}
	for _, tc := range []struct {
		override string
		want     string
	}{
		{"", "cpus:4;mem:7168;disk:97280;ports:[31000-32000]"},
		{"cpus:2;gpus:1", "cpus:2;mem:7168;disk:97280;ports:[31000-32000];gpus:1"},
		// A reservation replaces the detected amount of its name entirely.
		{"cpus(ads):2;ports:[8000-8100]", "cpus(ads):2;mem:7168;disk:97280;ports:[8000-8100]"},
		{"mem:100;mem(ads):50", "cpus:4;mem:100;mem(ads):50;disk:97280;ports:[31000-32000]"},
	} {
		got, err := Compute(h, tc.override)
		if err != nil {
			t.Fatalf("%q: %v", tc.override, err)
		}
		want, err := protores.Parse(tc.want)
		if err != nil {
			t.Fatal(err)
		}
		if !protores.Equal(got, want) {
			t.Errorf("Compute(%q) = %s, want %s", tc.override, protores.String(got), protores.String(want))
		}
	}
	if _, err := Compute(h, "cpus:lots"); err == nil {
		t.Error("bad override accepted")
	}
}

func TestProbe(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "not", "yet")
	h, err := Probe(dir)
	if err != nil {
		t.Fatal(err)
	}
	if h.CPUs < 1 || h.MemBytes < 64*mib || h.DiskBytes == 0 {
		t.Errorf("implausible host %+v", h)
	}
}

func TestMemTotal(t *testing.T) {
	f := filepath.Join(t.TempDir(), "meminfo")
	os.WriteFile(f, []byte("MemFree: 1 kB\nMemTotal:       2048 kB\n"), 0o644)
	if got, err := memTotal(f); err != nil || got != 2048*1024 {
		t.Errorf("memTotal = %d, %v", got, err)
	}
	os.WriteFile(f, []byte("MemFree: 1 kB\n"), 0o644)
	if _, err := memTotal(f); err == nil {
		t.Error("missing MemTotal accepted")
	}
}
