package deploy

import (
	"sort"

	"github.com/agoraproject/agora/frameworks/marathon/app"
)

// SelectKills picks n instances to kill when scaling down: instances not
// yet running first, then unhealthy ones, then by start time — the latest
// started first for YOUNGEST_FIRST (the default), the earliest for
// OLDEST_FIRST. Ties go by ID, so the choice is deterministic.
func SelectKills(instances []Instance, n int, selection string) []string {
	if n <= 0 {
		return nil
	}
	sorted := append([]Instance(nil), instances...)
	oldestFirst := selection == app.OldestFirst
	sort.SliceStable(sorted, func(i, j int) bool {
		a, b := sorted[i], sorted[j]
		if a.Running != b.Running {
			return !a.Running
		}
		if a.Healthy != b.Healthy {
			return !a.Healthy
		}
		if !a.StartedAt.Equal(b.StartedAt) {
			if oldestFirst {
				return a.StartedAt.Before(b.StartedAt)
			}
			return a.StartedAt.After(b.StartedAt)
		}
		return a.ID < b.ID
	})
	n = min(n, len(sorted))
	out := make([]string, n)
	for i := range n {
		out[i] = sorted[i].ID
	}
	return out
}
