package master

import (
	"context"
	"testing"
	"time"

	"github.com/agoraproject/agora/proto/codec"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	"github.com/agoraproject/agora/proto/mesos/v1/scheduler"
)

// FuzzSchedulerCall decodes arbitrary bodies as scheduler calls (JSON and
// protobuf) and feeds what decodes to a live master with one subscribed
// framework and one agent: whatever the call, the master answers with an
// error or takes it, and never panics or wedges its loop.
func FuzzSchedulerCall(f *testing.F) {
	seeds := []string{
		`{"type":"DECLINE","decline":{"offer_ids":[{"value":"x"}]}}`,
		`{"type":"ACCEPT","accept":{"offer_ids":[{"value":"O0"}],"operations":[{"type":"LAUNCH","launch":{"task_infos":[{"name":"t","task_id":{"value":"t"},"agent_id":{"value":"a"},"resources":[{"name":"cpus","type":"SCALAR","scalar":{"value":1}}],"command":{"value":"true"}}]}}]}}`,
		`{"type":"KILL","kill":{"task_id":{"value":"t"}}}`,
		`{"type":"RECONCILE","reconcile":{"tasks":[{"task_id":{"value":"t"}}]}}`,
		`{"type":"ACKNOWLEDGE","acknowledge":{"agent_id":{"value":"a"},"task_id":{"value":"t"},"uuid":"AAAAAAAAAAAAAAAAAAAAAA=="}}`,
		`{"type":"SUPPRESS","suppress":{"roles":["*"]}}`,
		`{"type":"REVIVE"}`,
		`{"type":"UPDATE_FRAMEWORK","update_framework":{"framework_info":{"user":"u","name":"n","roles":["a"]}}}`,
		`{"type":"ACCEPT","accept":{"offer_ids":[],"operations":[{"type":"LAUNCH_GROUP","launch_group":{"executor":{"executor_id":{"value":"e"}},"task_group":{"tasks":[]}}}]}}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s), false)
	}
	f.Add([]byte{0x10, 0x03, 0x22, 0x00}, true)

	cfg := DefaultConfig()
	cfg.TickInterval = time.Millisecond
	m, err := New(cfg)
	if err != nil {
		f.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	f.Cleanup(cancel)
	go m.Run(ctx)
	fw, err := m.SubscribeFramework(ctx, &scheduler.Call{Type: scheduler.Call_SUBSCRIBE.Enum(), Subscribe: &scheduler.Call_Subscribe{
		FrameworkInfo: &mesos.FrameworkInfo{User: strPtr("u"), Name: strPtr("fuzz"), FailoverTimeout: float64Ptr(1e9)},
	}})
	if err != nil {
		f.Fatal(err)
	}

	f.Fuzz(func(t *testing.T, body []byte, protobuf bool) {
		c := codec.JSON
		if protobuf {
			c = codec.Protobuf
		}
		call := &scheduler.Call{}
		if c.Unmarshal(body, call) != nil {
			return
		}
		if call.GetType() == scheduler.Call_SUBSCRIBE || call.GetType() == scheduler.Call_TEARDOWN {
			return // these replace the framework under test
		}
		call.FrameworkId = &mesos.FrameworkID{Value: strPtr(fw.FrameworkID)}
		callCtx, done := context.WithTimeout(ctx, 5*time.Second)
		defer done()
		err := m.FrameworkCall(callCtx, fw.StreamID, call)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("call %v: unexpected error %v", call, err)
			}
		}
		fw.Events.Drain(nil)
		if _, err := m.State(callCtx); err != nil {
			t.Fatalf("master stopped answering after %v: %v", call, err)
		}
	})
}
