package master

import (
	"time"

	"github.com/agoraproject/agora/proto/agora/agentpb"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	"github.com/agoraproject/agora/proto/mesos/v1/scheduler"
)

// The records below are owned by the event loop. Pointers to protobuf
// messages inside them are never mutated after they are stored, so snapshots
// may share them with HTTP goroutines.

type frameworkRecord struct {
	id             string
	info           *mesos.FrameworkInfo
	roles          []string
	multiRole      bool
	partitionAware bool
	killingState   bool

	conn           *frameworkConn
	registeredAt   time.Time
	reregisteredAt time.Time
	disconnectedAt time.Time
	// recovered frameworks were learned from a reregistering agent and have
	// not subscribed to this master yet.
	recovered bool
	// unregisteredAt is set when the framework is torn down.
	unregisteredAt time.Time

	suppressed map[string]bool
	tasks      map[string]*taskRecord
	completed  []*taskRecord // oldest first, bounded
}

func (f *frameworkRecord) connected() bool { return f.conn != nil }

type agentState int

const (
	agentConnected agentState = iota
	agentDisconnected
	agentUnreachable
)

type agentRecord struct {
	id    string
	info  *mesos.AgentInfo
	total []*mesos.Resource
	pid   string

	state          agentState
	conn           *agentConn
	registeredAt   time.Time
	reregisteredAt time.Time
	unreachableAt  time.Time
	version        string

	nextPing     time.Time
	awaitingPong bool
	pingsMissed  int

	tasks map[taskKey]*taskRecord
}

type taskKey struct{ framework, task string }

type taskRecord struct {
	id          string
	name        string
	frameworkID string
	agentID     string
	executorID  string
	role        string
	info        *mesos.TaskInfo
	// resources carry allocation_info.role, as the allocator accounts them.
	resources []*mesos.Resource
	state     mesos.TaskState
	statuses  []*mesos.TaskStatus
	latest    *mesos.TaskStatus
}

// frameworkConn is one scheduler subscription. The loop sends on events
// without blocking; a full buffer ends the subscription.
type frameworkConn struct {
	streamID string
	events   chan *scheduler.Event
	done     chan struct{}
	closed   bool
}

func newFrameworkConn(streamID string, buffer int) *frameworkConn {
	return &frameworkConn{streamID: streamID, events: make(chan *scheduler.Event, buffer), done: make(chan struct{})}
}

func (c *frameworkConn) send(e *scheduler.Event) bool {
	if c.closed {
		return false
	}
	select {
	case c.events <- e:
		return true
	default:
		return false
	}
}

func (c *frameworkConn) close() {
	if !c.closed {
		c.closed = true
		close(c.done)
	}
}

// agentConn is one agent subscription, with the same discipline.
type agentConn struct {
	streamID string
	events   chan *agentpb.Event
	done     chan struct{}
	closed   bool
}

func newAgentConn(streamID string, buffer int) *agentConn {
	return &agentConn{streamID: streamID, events: make(chan *agentpb.Event, buffer), done: make(chan struct{})}
}

func (c *agentConn) send(e *agentpb.Event) bool {
	if c.closed {
		return false
	}
	select {
	case c.events <- e:
		return true
	default:
		return false
	}
}

func (c *agentConn) close() {
	if !c.closed {
		c.closed = true
		close(c.done)
	}
}
