package mesosjson

import (
	"google.golang.org/protobuf/proto"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	"github.com/agoraproject/agora/proto/mesos/v1/scheduler"
)

func scalar(name string, v float64) *mesos.Resource {
	return &mesos.Resource{
		Name:   proto.String(name),
		Type:   mesos.Value_SCALAR.Enum(),
		Scalar: &mesos.Value_Scalar{Value: proto.Float64(v)},
	}
}

func ports(begin, end uint64) *mesos.Resource {
	return &mesos.Resource{
		Name: proto.String("ports"),
		Type: mesos.Value_RANGES.Enum(),
		Ranges: &mesos.Value_Ranges{Range: []*mesos.Value_Range{
			{Begin: proto.Uint64(begin), End: proto.Uint64(end)},
		}},
		AllocationInfo: &mesos.Resource_AllocationInfo{Role: proto.String("web")},
	}
}

func offer(i int) *mesos.Offer {
	return &mesos.Offer{
		Id:          &mesos.OfferID{Value: proto.String("5d4c3b2a-O" + string(rune('0'+i%10)))},
		FrameworkId: &mesos.FrameworkID{Value: proto.String("5d4c3b2a-0000")},
		AgentId:     &mesos.AgentID{Value: proto.String("5d4c3b2a-S1")},
		Hostname:    proto.String("agent1.example.com"),
		Resources:   []*mesos.Resource{scalar("cpus", 4), scalar("mem", 15872), scalar("disk", 102400), ports(31000, 32000)},
		Attributes: []*mesos.Attribute{{
			Name: proto.String("rack"),
			Type: mesos.Value_TEXT.Enum(),
			Text: &mesos.Value_Text{Value: proto.String("r1")},
		}},
		AllocationInfo: &mesos.Resource_AllocationInfo{Role: proto.String("web")},
	}
}

func offersEvent(n int) *scheduler.Event {
	ev := &scheduler.Event{Type: scheduler.Event_OFFERS.Enum(), Offers: &scheduler.Event_Offers{}}
	for i := range n {
		ev.Offers.Offers = append(ev.Offers.Offers, offer(i))
	}
	return ev
}

func updateEvent() *scheduler.Event {
	return &scheduler.Event{
		Type: scheduler.Event_UPDATE.Enum(),
		Update: &scheduler.Event_Update{Status: &mesos.TaskStatus{
			TaskId:    &mesos.TaskID{Value: proto.String("web.1f0e")},
			State:     mesos.TaskState_TASK_RUNNING.Enum(),
			Source:    mesos.TaskStatus_SOURCE_EXECUTOR.Enum(),
			Reason:    mesos.TaskStatus_REASON_TASK_HEALTH_CHECK_STATUS_UPDATED.Enum(),
			AgentId:   &mesos.AgentID{Value: proto.String("5d4c3b2a-S1")},
			Timestamp: proto.Float64(1712345678.125),
			Uuid:      []byte{0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11},
			Healthy:   proto.Bool(true),
			Message:   proto.String("health \"ok\""),
			Data:      []byte("payload"),
			ContainerStatus: &mesos.ContainerStatus{
				ContainerId: &mesos.ContainerID{Value: proto.String("c1")},
				ExecutorPid: proto.Uint32(4242),
			},
			UnreachableTime: &mesos.TimeInfo{Nanoseconds: proto.Int64(1712345678125000000)},
		}},
	}
}

func acceptCall() *scheduler.Call {
	return &scheduler.Call{
		FrameworkId: &mesos.FrameworkID{Value: proto.String("5d4c3b2a-0000")},
		Type:        scheduler.Call_ACCEPT.Enum(),
		Accept: &scheduler.Call_Accept{
			OfferIds: []*mesos.OfferID{{Value: proto.String("5d4c3b2a-O1")}},
			Operations: []*mesos.Offer_Operation{{
				Type: mesos.Offer_Operation_LAUNCH.Enum(),
				Launch: &mesos.Offer_Operation_Launch{TaskInfos: []*mesos.TaskInfo{{
					Name:      proto.String("web"),
					TaskId:    &mesos.TaskID{Value: proto.String("web.1f0e")},
					AgentId:   &mesos.AgentID{Value: proto.String("5d4c3b2a-S1")},
					Resources: []*mesos.Resource{scalar("cpus", 0.5), scalar("mem", 128)},
					Command: &mesos.CommandInfo{
						Value: proto.String("python3 -m http.server $PORT0"),
						Uris:  []*mesos.CommandInfo_URI{{Value: proto.String("http://repo/app.tgz")}},
						Environment: &mesos.Environment{Variables: []*mesos.Environment_Variable{
							{Name: proto.String("PORT0"), Value: proto.String("31000")},
						}},
					},
					Container: &mesos.ContainerInfo{
						Type: mesos.ContainerInfo_DOCKER.Enum(),
						Docker: &mesos.ContainerInfo_DockerInfo{
							Image:   proto.String("busybox"),
							Network: mesos.ContainerInfo_DockerInfo_BRIDGE.Enum(),
							PortMappings: []*mesos.ContainerInfo_DockerInfo_PortMapping{
								{HostPort: proto.Uint32(31000), ContainerPort: proto.Uint32(8080), Protocol: proto.String("tcp")},
							},
						},
					},
					KillPolicy: &mesos.KillPolicy{GracePeriod: &mesos.DurationInfo{Nanoseconds: proto.Int64(5e9)}},
					Limits:     map[string]*mesos.Value_Scalar{"mem": {Value: proto.Float64(256)}, "cpus": {Value: proto.Float64(1)}},
				}}},
			}},
			Filters: &mesos.Filters{RefuseSeconds: proto.Float64(30)},
		},
	}
}

func subscribeCall() *scheduler.Call {
	return &scheduler.Call{
		Type: scheduler.Call_SUBSCRIBE.Enum(),
		Subscribe: &scheduler.Call_Subscribe{
			FrameworkInfo: &mesos.FrameworkInfo{
				User:            proto.String("root"),
				Name:            proto.String("batch"),
				Roles:           []string{"web"},
				FailoverTimeout: proto.Float64(604800),
				Capabilities: []*mesos.FrameworkInfo_Capability{
					{Type: mesos.FrameworkInfo_Capability_MULTI_ROLE.Enum()},
					{Type: mesos.FrameworkInfo_Capability_PARTITION_AWARE.Enum()},
				},
			},
			SuppressedRoles: []string{"batch"},
		},
	}
}
