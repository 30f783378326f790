package batch

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/proto/codec"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	"github.com/agoraproject/agora/sdk/scheduler"
)

// ErrTasksFailed is returned (wrapped) by Run when some task failed on
// every attempt.
var ErrTasksFailed = errors.New("batch: tasks failed")

// Result counts how the batch's tasks ended.
type Result struct {
	Finished, Failed int
}

// failoverTimeout is how long the master keeps the framework's tasks while
// the batch is disconnected (a master failover, a network cut).
const failoverTimeout = 60 * time.Second

// teardownTimeout bounds the Teardown sent when ctx is cancelled.
const teardownTimeout = 5 * time.Second

// Run runs the batch to completion. It returns nil when every task
// finished, an error wrapping ErrTasksFailed when some failed on every
// attempt, and ctx.Err() when interrupted, after tearing the framework
// down so that its tasks do not outlive it.
func Run(ctx context.Context, cfg Config) (Result, error) {
	if err := cfg.Validate(); err != nil {
		return Result{}, err
	}
	cfg = cfg.WithDefaults()
	b := newBatch(cfg)

	sc := scheduler.Config{
		Master: cfg.Master,
		Framework: &mesos.FrameworkInfo{
			User:            proto.String(cfg.User),
			Name:            proto.String(cfg.Name),
			Roles:           []string{cfg.Role},
			FailoverTimeout: proto.Float64(failoverTimeout.Seconds()),
			Capabilities: []*mesos.FrameworkInfo_Capability{
				{Type: mesos.FrameworkInfo_Capability_MULTI_ROLE.Enum()},
			},
		},
		Logger: cfg.Logger,
	}
	if cfg.JSON {
		sc.Codec = codec.JSON
	}
	client, err := scheduler.New(sc, b.callbacks())
	if err != nil {
		return Result{}, err
	}

	// Run's own context is not ctx: on interruption the framework is torn
	// down first, which needs the subscription still open; Teardown then
	// stops Run.
	ran := make(chan struct{})
	defer close(ran)
	go func() {
		select {
		case <-ctx.Done():
			tctx, cancel := context.WithTimeout(context.Background(), teardownTimeout)
			defer cancel()
			if err := client.Teardown(tctx); err != nil {
				client.Stop()
			}
		case <-ran:
		}
	}()
	err = client.Run(context.WithoutCancel(ctx))
	res := Result{Finished: b.finished, Failed: b.failed}
	switch {
	case err != nil:
		return res, err
	case ctx.Err() != nil:
		return res, ctx.Err()
	case res.Failed > 0:
		return res, fmt.Errorf("%w: %d of %d failed", ErrTasksFailed, res.Failed, len(b.jobs))
	}
	return res, nil
}
