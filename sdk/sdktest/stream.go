package sdktest

import (
	"fmt"
	"io"
	"net/http"
	"sync"

	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/proto/codec"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	schedpb "github.com/agoraproject/agora/proto/mesos/v1/scheduler"
	"github.com/agoraproject/agora/proto/recordio"
)

// streamBuffer is how many encoded events may wait for a slow framework
// before the fake gives up on it and drops the stream, as a real master
// would drop a connection that does not drain.
const streamBuffer = 4096

// subscription is one SUBSCRIBE connection.
type subscription struct {
	id     string
	codec  codec.Codec
	events chan []byte
	done   chan struct{}
	once   sync.Once
}

func (s *subscription) close() { s.once.Do(func() { close(s.done) }) }

func readBody(r *http.Request) []byte {
	b, _ := io.ReadAll(io.LimitReader(r.Body, 16<<20))
	return b
}

// serveSubscribe registers (or re-registers) the framework and then streams
// events until the subscription is replaced, dropped or the client leaves.
func (m *Master) serveSubscribe(w http.ResponseWriter, r *http.Request, call *schedpb.Call, out codec.Codec) {
	fi := call.GetSubscribe().GetFrameworkInfo()
	switch {
	case fi == nil:
		http.Error(w, "Expecting 'subscribe.framework_info' to be present", http.StatusBadRequest)
		return
	case fi.GetUser() == "" || fi.GetName() == "":
		http.Error(w, "FrameworkInfo.user and FrameworkInfo.name are required", http.StatusBadRequest)
		return
	case call.FrameworkId != nil && call.GetFrameworkId().GetValue() != fi.GetId().GetValue():
		http.Error(w, "'framework_id' differs from 'subscribe.framework_info.id'", http.StatusBadRequest)
		return
	}
	sub := m.subscribe(call, out)

	w.Header().Set("Content-Type", out.MediaType())
	w.Header().Set("Mesos-Stream-Id", sub.id)
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	_ = rc.Flush()
	rw := recordio.NewWriter(w)
	for {
		select {
		case b := <-sub.events:
			if rw.WriteRecord(b) != nil || rc.Flush() != nil {
				m.endSubscription(sub)
				return
			}
		case <-sub.done:
			return
		case <-r.Context().Done():
			m.endSubscription(sub)
			return
		}
	}
}

// subscribe records the framework and queues SUBSCRIBED, the updates still
// unacknowledged, and (with AutoOffer) offers.
func (m *Master) subscribe(call *schedpb.Call, out codec.Codec) *subscription {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.subscribes = append(m.subscribes, proto.Clone(call).(*schedpb.Call))
	if m.sub != nil {
		m.sub.close() // a resubscription replaces the old stream, as in Mesos
	}
	sub := &subscription{
		id:     newUUID(),
		codec:  out,
		events: make(chan []byte, streamBuffer),
		done:   make(chan struct{}),
	}
	m.sub = sub
	defer m.notifyLocked()

	fi := proto.Clone(call.GetSubscribe().GetFrameworkInfo()).(*mesos.FrameworkInfo)
	if m.removed[fi.GetId().GetValue()] {
		// Mesos answers a removed framework on the stream, with ERROR.
		m.sendLocked(&schedpb.Event{
			Type:  schedpb.Event_ERROR.Enum(),
			Error: &schedpb.Event_Error{Message: proto.String("Framework has been removed")},
		})
		return sub
	}
	if fi.GetId().GetValue() == "" {
		// A new framework: this fake serves one at a time, so the previous
		// one's tasks and offers are forgotten.
		fi.Id = &mesos.FrameworkID{Value: proto.String(fmt.Sprintf("%s-%04d", m.id, m.fwSeq))}
		m.fwSeq++
		m.resetLocked()
	}
	m.fw = fi
	m.log.Info("framework subscribed", zap.String("framework_id", fi.GetId().GetValue()), zap.String("stream_id", sub.id))
	m.sendLocked(&schedpb.Event{
		Type: schedpb.Event_SUBSCRIBED.Enum(),
		Subscribed: &schedpb.Event_Subscribed{
			FrameworkId:              fi.GetId(),
			HeartbeatIntervalSeconds: proto.Float64(m.opts.HeartbeatInterval.Seconds()),
		},
	})
	for _, st := range m.unacked {
		m.sendLocked(updateEvent(st))
	}
	// Offers outstanding on the old stream are rescinded by a real master
	// when the framework fails over; here they simply become free again.
	m.offers = map[string]*mesos.Offer{}
	for _, a := range m.agents {
		a.offer = ""
	}
	m.autoOfferLocked()
	return sub
}

// endSubscription forgets sub if it is still the current one.
func (m *Master) endSubscription(sub *subscription) {
	m.mu.Lock()
	defer m.mu.Unlock()
	sub.close()
	if m.sub == sub {
		m.sub = nil
		m.notifyLocked()
	}
}

// sendLocked queues e on the current stream, if any. Events are encoded
// here, under the lock, so they reach the framework in the order they were
// decided.
func (m *Master) sendLocked(e *schedpb.Event) bool {
	sub := m.sub
	if sub == nil {
		return false
	}
	b, err := sub.codec.Marshal(e)
	if err != nil {
		m.log.Error("encode event", zap.Error(err))
		return false
	}
	select {
	case sub.events <- b:
		return true
	default:
		m.log.Warn("framework does not drain its stream; dropping it")
		sub.close()
		m.sub = nil
		return false
	}
}

func updateEvent(st *mesos.TaskStatus) *schedpb.Event {
	return &schedpb.Event{
		Type:   schedpb.Event_UPDATE.Enum(),
		Update: &schedpb.Event_Update{Status: st},
	}
}

// notifyLocked wakes Wait callers.
func (m *Master) notifyLocked() {
	close(m.changed)
	m.changed = make(chan struct{})
}
