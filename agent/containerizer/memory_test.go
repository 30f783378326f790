package containerizer

import "testing"

func TestFormatBytes(t *testing.T) {
	for in, want := range map[uint64]string{
		0: "0B", 100: "100B", 1536: "1536B", 3 << 10: "3KB", 1536 << 10: "1536KB",
		64 << 20: "64MB", 2 << 30: "2GB", 1 << 40: "1TB",
	} {
		if got := FormatBytes(in); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", in, got, want)
		}
	}
}

func TestMemoryLimitMessage(t *testing.T) {
	for _, c := range []struct {
		limit, peak uint64
		stat, want  string
	}{
		{32 << 20, 0, "", "Memory limit exceeded: Requested: 32MB"},
		{64 << 20, 65 << 20, "", "Memory limit exceeded: Requested: 64MB Maximum Used: 65MB"},
		{64 << 20, 65 << 20, "cache 0\nrss 1\n", "Memory limit exceeded: Requested: 64MB Maximum Used: 65MB\n\nMEMORY STATISTICS: \ncache 0\nrss 1"},
		{0, 0, "", "Memory limit exceeded:"},
	} {
		if got := MemoryLimitMessage(c.limit, c.peak, c.stat); got != c.want {
			t.Errorf("MemoryLimitMessage(%d, %d, %q) = %q, want %q", c.limit, c.peak, c.stat, got, c.want)
		}
	}
}
