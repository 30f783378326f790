package executor_test

import (
	"context"
	"log"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	"github.com/agoraproject/agora/sdk/executor"
)

// An executor that "runs" each task by reporting it running and then
// finished, answers messages, and exits on SHUTDOWN once the agent has its
// last updates. The agent's MESOS_* environment configures it.
func Example() {
	cfg, err := executor.FromEnv()
	if err != nil {
		log.Fatal(err)
	}
	c, err := executor.New(cfg, executor.Callbacks{
		Launch: func(ctx context.Context, c *executor.Client, t *mesos.TaskInfo) error {
			for _, s := range []mesos.TaskState{mesos.TaskState_TASK_RUNNING, mesos.TaskState_TASK_FINISHED} {
				if err := c.Update(ctx, &mesos.TaskStatus{TaskId: t.TaskId, State: s.Enum()}); err != nil {
					return err
				}
			}
			return nil
		},
		Message: func(ctx context.Context, c *executor.Client, data []byte) error {
			return c.Message(ctx, append([]byte("got: "), data...))
		},
		Shutdown: func(_ context.Context, c *executor.Client) error {
			// Acknowledgements arrive on Run's goroutine: wait elsewhere.
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), cfg.WithDefaults().ShutdownGracePeriod/2)
				defer cancel()
				_ = c.WaitAcknowledged(ctx)
				c.Stop()
			}()
			return nil
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := c.Run(context.Background()); err != nil {
		log.Fatal(err)
	}
}
