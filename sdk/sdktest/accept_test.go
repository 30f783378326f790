package sdktest_test

import (
	"context"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	schedpb "github.com/agoraproject/agora/proto/mesos/v1/scheduler"
	"github.com/agoraproject/agora/sdk/offers"
	"github.com/agoraproject/agora/sdk/scheduler"
	"github.com/agoraproject/agora/sdk/sdktest"
)

// TestAcceptIsChecked launches, on one offer, a task that fits, one that
// does not, and then one on the consumed offer: the master reports the
// last two as Mesos does, without a uuid.
func TestAcceptIsChecked(t *testing.T) {
	m := startMaster(t, sdktest.Options{Agents: []sdktest.Agent{{Resources: "cpus:1;mem:100"}}})
	updates := make(chan *mesos.TaskStatus, 16)
	offered := make(chan *mesos.Offer, 1)
	c, err := scheduler.New(scheduler.Config{
		Master:    m.Addr(),
		Framework: &mesos.FrameworkInfo{User: proto.String("u"), Name: proto.String("check")},
	}, scheduler.Callbacks{
		Offers: func(_ context.Context, _ *scheduler.Client, os []*mesos.Offer) error {
			offered <- os[0]
			return nil
		},
		Update: func(_ context.Context, _ *scheduler.Client, st *mesos.TaskStatus) error {
			updates <- st
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	go func() { _ = c.Run(ctx) }()
	if err := m.Wait(ctx, m.Subscribed); err != nil {
		t.Fatal(err)
	}
	m.OfferAll()
	o := <-offered
	task := func(id string, rs []*mesos.Resource) *mesos.TaskInfo {
		return &mesos.TaskInfo{Name: proto.String(id), TaskId: &mesos.TaskID{Value: proto.String(id)},
			AgentId: o.GetAgentId(), Resources: rs}
	}
	ids := []*mesos.OfferID{o.GetId()}
	if err := c.Launch(ctx, ids, []*mesos.TaskInfo{
		task("fits", offers.Scalars(0.5, 50, 0)),
		task("too-big", offers.Scalars(0.6, 10, 0)), // 0.5 cpus are left
	}, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Launch(ctx, ids, []*mesos.TaskInfo{task("stale", offers.Scalars(0.1, 1, 0))}, nil); err != nil {
		t.Fatal(err)
	}

	want := []struct {
		id    string
		state mesos.TaskState
		uuid  bool
	}{
		{"fits", mesos.TaskState_TASK_RUNNING, true},
		{"fits", mesos.TaskState_TASK_FINISHED, true},
		{"too-big", mesos.TaskState_TASK_ERROR, false},
		{"stale", mesos.TaskState_TASK_LOST, false},
	}
	for _, w := range want {
		select {
		case st := <-updates:
			if st.GetTaskId().GetValue() != w.id || st.GetState() != w.state || (len(st.GetUuid()) > 0) != w.uuid {
				t.Fatalf("got %s %s uuid=%x (%s), want %s %s", st.GetTaskId().GetValue(), st.GetState(), st.GetUuid(), st.GetMessage(), w.id, w.state)
			}
		case <-ctx.Done():
			t.Fatalf("no update for %s", w.id)
		}
	}
	if got := m.Tasks(); len(got) != 1 || got["fits"] != mesos.TaskState_TASK_FINISHED {
		t.Fatalf("tasks %v", got)
	}
	if n := len(m.Calls(schedpb.Call_ACCEPT)); n != 2 {
		t.Fatalf("%d ACCEPTs recorded", n)
	}
}
