package executor

import (
	"context"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	execpb "github.com/agoraproject/agora/proto/mesos/v1/executor"
)

// Handler receives every event of the subscription, one at a time, on the
// goroutine running Client.Run; the next event is not read until it
// returns. An error it returns is logged; it does not end Run.
type Handler interface {
	HandleEvent(ctx context.Context, c *Client, e *execpb.Event) error
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, c *Client, e *execpb.Event) error

// HandleEvent calls f.
func (f HandlerFunc) HandleEvent(ctx context.Context, c *Client, e *execpb.Event) error {
	return f(ctx, c, e)
}

// Callbacks is a Handler made of optional functions, one per event type; a
// nil function ignores its event. The client has already done its own
// bookkeeping (unacknowledged tasks and updates) when they run.
type Callbacks struct {
	// Subscribed runs after every (re)subscription.
	Subscribed func(ctx context.Context, c *Client, s *execpb.Event_Subscribed) error
	// Launch asks for a task to be started; report TASK_RUNNING (or a
	// failure) with Update.
	Launch func(ctx context.Context, c *Client, task *mesos.TaskInfo) error
	// LaunchGroup asks for a task group to be started together.
	LaunchGroup func(ctx context.Context, c *Client, group *mesos.TaskGroupInfo) error
	// Kill asks for a task to be killed and reported as TASK_KILLED;
	// policy, when set, overrides the task's kill policy.
	Kill func(ctx context.Context, c *Client, taskID *mesos.TaskID, policy *mesos.KillPolicy) error
	// Acknowledged says the agent has the update with this uuid.
	Acknowledged func(ctx context.Context, c *Client, taskID *mesos.TaskID, uuid []byte) error
	// Message carries data the framework sent (best effort).
	Message func(ctx context.Context, c *Client, data []byte) error
	// Shutdown asks the executor to kill all its tasks, report them and
	// exit (Client.Stop) within Config.ShutdownGracePeriod.
	Shutdown func(ctx context.Context, c *Client) error
	// Error reports a problem the agent found with the executor's calls.
	Error     func(ctx context.Context, c *Client, message string) error
	Heartbeat func(ctx context.Context, c *Client) error
}

// HandleEvent dispatches e to the matching callback.
func (cb Callbacks) HandleEvent(ctx context.Context, c *Client, e *execpb.Event) error {
	switch e.GetType() {
	case execpb.Event_SUBSCRIBED:
		if cb.Subscribed != nil {
			return cb.Subscribed(ctx, c, e.GetSubscribed())
		}
	case execpb.Event_LAUNCH:
		if cb.Launch != nil {
			return cb.Launch(ctx, c, e.GetLaunch().GetTask())
		}
	case execpb.Event_LAUNCH_GROUP:
		if cb.LaunchGroup != nil {
			return cb.LaunchGroup(ctx, c, e.GetLaunchGroup().GetTaskGroup())
		}
	case execpb.Event_KILL:
		if cb.Kill != nil {
			return cb.Kill(ctx, c, e.GetKill().GetTaskId(), e.GetKill().GetKillPolicy())
		}
	case execpb.Event_ACKNOWLEDGED:
		if cb.Acknowledged != nil {
			return cb.Acknowledged(ctx, c, e.GetAcknowledged().GetTaskId(), e.GetAcknowledged().GetUuid())
		}
	case execpb.Event_MESSAGE:
		if cb.Message != nil {
			return cb.Message(ctx, c, e.GetMessage().GetData())
		}
	case execpb.Event_SHUTDOWN:
		if cb.Shutdown != nil {
			return cb.Shutdown(ctx, c)
		}
	case execpb.Event_ERROR:
		if cb.Error != nil {
			return cb.Error(ctx, c, e.GetError().GetMessage())
		}
	case execpb.Event_HEARTBEAT:
		if cb.Heartbeat != nil {
			return cb.Heartbeat(ctx, c)
		}
	}
	return nil
}
