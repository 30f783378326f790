package containerizer

import (
	"fmt"
	"strings"
)

// FormatBytes writes a byte count the way Mesos's Bytes does: in the
// largest unit that loses no information ("64MB", "1536KB", "100B").
func FormatBytes(b uint64) string {
	for _, u := range []string{"B", "KB", "MB", "GB"} {
		if b == 0 || b%1024 != 0 {
			return fmt.Sprintf("%d%s", b, u)
		}
		b /= 1024
	}
	return fmt.Sprintf("%dTB", b)
}

// MemoryLimitMessage is Mesos's description of an OOM kill inside a
// memory limit: "Memory limit exceeded: Requested: <limit> Maximum Used:
// <peak>" followed by the memory statistics, each part left out when it is
// zero or empty. All containerizers report OOM kills with it.
func MemoryLimitMessage(limit, peak uint64, stat string) string {
	var sb strings.Builder
	sb.WriteString("Memory limit exceeded: ")
	if limit > 0 {
		sb.WriteString("Requested: " + FormatBytes(limit) + " ")
	}
	if peak > 0 {
		sb.WriteString("Maximum Used: " + FormatBytes(peak) + "\n")
	}
	if stat != "" {
		sb.WriteString("\nMEMORY STATISTICS: \n")
		sb.WriteString(stat)
	}
	return strings.TrimRight(sb.String(), " \n")
}
