package scheduler_test

import (
	"context"
	"fmt"

	"google.golang.org/protobuf/proto"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	schedpb "github.com/agoraproject/agora/proto/mesos/v1/scheduler"
	"github.com/agoraproject/agora/sdk/offers"
	"github.com/agoraproject/agora/sdk/scheduler"
	"github.com/agoraproject/agora/sdk/sdktest"
)

// A framework that runs one command task and tears itself down when the
// task ends. Here it talks to the fake master of package sdktest; against
// a real one, Master would be "127.0.0.1:5050".
func Example() {
	master, err := sdktest.New(sdktest.Options{AutoOffer: true})
	if err != nil {
		panic(err)
	}
	defer master.Close()

	launched := false
	client, err := scheduler.New(scheduler.Config{
		Master: master.Addr(),
		Framework: &mesos.FrameworkInfo{
			User:            proto.String("nobody"),
			Name:            proto.String("hello"),
			FailoverTimeout: proto.Float64(60), // keep tasks across reconnections
		},
	}, scheduler.Callbacks{
		Subscribed: func(_ context.Context, _ *scheduler.Client, _ *schedpb.Event_Subscribed) error {
			fmt.Println("subscribed")
			return nil
		},
		Offers: func(ctx context.Context, c *scheduler.Client, os []*mesos.Offer) error {
			for _, o := range os {
				ids := []*mesos.OfferID{o.GetId()}
				rs, ok := offers.NewPool(o).Take(offers.Scalars(0.5, 128, 0))
				if launched || !ok {
					if err := c.Decline(ctx, ids, nil); err != nil {
						return err
					}
					continue
				}
				launched = true
				task := &mesos.TaskInfo{
					Name:      proto.String("hello"),
					TaskId:    &mesos.TaskID{Value: proto.String("hello-1")},
					AgentId:   o.GetAgentId(),
					Resources: rs,
					Command:   &mesos.CommandInfo{Value: proto.String("echo hello")},
				}
				if err := c.Launch(ctx, ids, []*mesos.TaskInfo{task}, nil); err != nil {
					return err
				}
			}
			return nil
		},
		Update: func(ctx context.Context, c *scheduler.Client, st *mesos.TaskStatus) error {
			fmt.Println(st.GetTaskId().GetValue(), st.GetState())
			if st.GetState() == mesos.TaskState_TASK_FINISHED {
				return c.Teardown(ctx) // also makes Run return nil
			}
			return nil
		},
	})
	if err != nil {
		panic(err)
	}
	if err := client.Run(context.Background()); err != nil {
		panic(err)
	}
	// Output:
	// subscribed
	// hello-1 TASK_RUNNING
	// hello-1 TASK_FINISHED
}
