package containerizer

import (
	"context"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// StatsReporter is implemented by containers that account for their
// resource use: the cgroups containerizer from its cgroups, posix on a best
// effort basis from /proc. The agent's /monitor/statistics and the
// operator API's GET_CONTAINERS call it on their own goroutines, so it must
// be safe for concurrent use; it fails once the container is gone.
type StatsReporter interface {
	// Stats returns a snapshot with Timestamp set to the time it was taken
	// and, when the containerizer enforces them, CpusLimit and
	// MemLimitBytes.
	Stats(ctx context.Context) (*mesos.ResourceStatistics, error)
}
