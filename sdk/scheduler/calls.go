package scheduler

import (
	"context"
	"errors"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	schedpb "github.com/agoraproject/agora/proto/mesos/v1/scheduler"
)

// Accept applies operations to the resources of the given offers (all from
// one agent). Resources of the offers that no operation uses go back to the
// allocator with filters; with no operations this is a decline.
func (c *Client) Accept(ctx context.Context, offerIDs []*mesos.OfferID, ops []*mesos.Offer_Operation, filters *mesos.Filters) error {
	return c.Call(ctx, &schedpb.Call{
		Type:   schedpb.Call_ACCEPT.Enum(),
		Accept: &schedpb.Call_Accept{OfferIds: offerIDs, Operations: ops, Filters: filters},
	})
}

// Launch is Accept with one LAUNCH operation for tasks.
func (c *Client) Launch(ctx context.Context, offerIDs []*mesos.OfferID, tasks []*mesos.TaskInfo, filters *mesos.Filters) error {
	op := &mesos.Offer_Operation{
		Type:   mesos.Offer_Operation_LAUNCH.Enum(),
		Launch: &mesos.Offer_Operation_Launch{TaskInfos: tasks},
	}
	return c.Accept(ctx, offerIDs, []*mesos.Offer_Operation{op}, filters)
}

// LaunchGroup is Accept with one LAUNCH_GROUP operation: the tasks of group
// start together under executor (of type DEFAULT for most uses).
func (c *Client) LaunchGroup(ctx context.Context, offerIDs []*mesos.OfferID, executor *mesos.ExecutorInfo, group *mesos.TaskGroupInfo, filters *mesos.Filters) error {
	op := &mesos.Offer_Operation{
		Type:        mesos.Offer_Operation_LAUNCH_GROUP.Enum(),
		LaunchGroup: &mesos.Offer_Operation_LaunchGroup{Executor: executor, TaskGroup: group},
	}
	return c.Accept(ctx, offerIDs, []*mesos.Offer_Operation{op}, filters)
}

// Decline returns the offers' resources, not to be offered again to this
// framework for filters.refuse_seconds (default 5 s).
func (c *Client) Decline(ctx context.Context, offerIDs []*mesos.OfferID, filters *mesos.Filters) error {
	return c.Call(ctx, &schedpb.Call{
		Type:    schedpb.Call_DECLINE.Enum(),
		Decline: &schedpb.Call_Decline{OfferIds: offerIDs, Filters: filters},
	})
}

// Kill asks for a task to be killed; agentID may be nil if unknown. The
// outcome arrives as a status update (TASK_KILLED, or TASK_LOST/TASK_UNKNOWN
// if the master does not know the task).
func (c *Client) Kill(ctx context.Context, taskID *mesos.TaskID, agentID *mesos.AgentID) error {
	return c.Call(ctx, &schedpb.Call{
		Type: schedpb.Call_KILL.Enum(),
		Kill: &schedpb.Call_Kill{TaskId: taskID, AgentId: agentID},
	})
}

// Acknowledge acknowledges a status update that carries a uuid. The client
// does this itself unless Config.ManualAcknowledge is set.
func (c *Client) Acknowledge(ctx context.Context, status *mesos.TaskStatus) error {
	if len(status.GetUuid()) == 0 {
		return errors.New("scheduler: status update without uuid needs no acknowledgement")
	}
	return c.Call(ctx, &schedpb.Call{
		Type: schedpb.Call_ACKNOWLEDGE.Enum(),
		Acknowledge: &schedpb.Call_Acknowledge{
			AgentId: status.GetAgentId(),
			TaskId:  status.GetTaskId(),
			Uuid:    status.GetUuid(),
		},
	})
}

// Reconcile asks the master for the latest status of the given tasks
// (explicit reconciliation) or, with none, of all the framework's tasks it
// knows (implicit). Answers arrive as UPDATE events without a uuid.
func (c *Client) Reconcile(ctx context.Context, tasks ...*schedpb.Call_Reconcile_Task) error {
	return c.Call(ctx, &schedpb.Call{
		Type:      schedpb.Call_RECONCILE.Enum(),
		Reconcile: &schedpb.Call_Reconcile{Tasks: tasks},
	})
}

// Suppress stops offers for the given roles (all of the framework's roles
// when none are given) until Revive.
func (c *Client) Suppress(ctx context.Context, roles ...string) error {
	return c.Call(ctx, &schedpb.Call{
		Type:     schedpb.Call_SUPPRESS.Enum(),
		Suppress: &schedpb.Call_Suppress{Roles: roles},
	})
}

// Revive clears the framework's offer filters and un-suppresses the given
// roles (all when none are given).
func (c *Client) Revive(ctx context.Context, roles ...string) error {
	return c.Call(ctx, &schedpb.Call{
		Type:   schedpb.Call_REVIVE.Enum(),
		Revive: &schedpb.Call_Revive{Roles: roles},
	})
}

// Teardown removes the framework: the master kills all its tasks and ends
// the subscription. On success the client is stopped, so Run returns nil.
// Automatic acknowledgements still in flight are answered first: after
// TEARDOWN the master would refuse them.
func (c *Client) Teardown(ctx context.Context) error {
	c.acks.wait()
	if err := c.Call(ctx, &schedpb.Call{Type: schedpb.Call_TEARDOWN.Enum()}); err != nil {
		return err
	}
	c.tornDown.Store(true)
	c.Stop()
	return nil
}

// Message sends data to an executor through the master (best effort: the
// API gives no delivery guarantee).
func (c *Client) Message(ctx context.Context, agentID *mesos.AgentID, executorID *mesos.ExecutorID, data []byte) error {
	return c.Call(ctx, &schedpb.Call{
		Type:    schedpb.Call_MESSAGE.Enum(),
		Message: &schedpb.Call_Message{AgentId: agentID, ExecutorId: executorID, Data: data},
	})
}

// Shutdown asks the agent to shut an executor down, killing its tasks.
func (c *Client) Shutdown(ctx context.Context, executorID *mesos.ExecutorID, agentID *mesos.AgentID) error {
	return c.Call(ctx, &schedpb.Call{
		Type:     schedpb.Call_SHUTDOWN.Enum(),
		Shutdown: &schedpb.Call_Shutdown{ExecutorId: executorID, AgentId: agentID},
	})
}
