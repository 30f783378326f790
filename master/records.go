package master

import (
	"time"

	"github.com/agoraproject/agora/internal/queue"

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
	// executors are the framework's running custom executors (executors.go).
	executors map[executorOnAgent]*executorRecord
	// pub are the live tasks' views as the last State copied them
	// (snapshot_publish.go).
	pub frameworkPub
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
	workDir        string // the agent's --work_dir: sandboxes are below it

	nextPing     time.Time
	awaitingPong bool
	pingsMissed  int

	// tasks are the agent's tasks in their frameworks' records: a set of
	// pointers, which costs a quarter of a map keyed by framework and
	// task ID, one entry per task of the cluster.
	tasks map[*taskRecord]struct{}
	// pendingKills are KILLs asked for while the agent was not connected;
	// they are sent when it reregisters.
	pendingKills map[taskKey]*mesos.KillPolicy
	// executors are the custom executors running on the agent.
	executors map[executorKey]*executorRecord
}

type taskKey struct{ framework, task string }

// executorShare is the resources of an executor its task carries.
type executorShare struct{ resources []*mesos.Resource }

// executorResources are the executor resources the task carries.
func (t *taskRecord) executorResources() []*mesos.Resource {
	if t.executor == nil {
		return nil
	}
	return t.executor.resources
}

// latest is the task's last kept status, or nil.
func (t *taskRecord) latest() *KeptStatus {
	if n := len(t.statuses); n > 0 {
		return &t.statuses[n-1]
	}
	return nil
}

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
	// executor holds the resources of the task's executor (task groups),
	// carried by one live task of that executor at a time and released
	// with the executor's last task; nil for every other task, which is
	// most of them (see executorResources).
	executor *executorShare
	state    mesos.TaskState
	// statuses is the task's history as kept (taskkeep.go), latest last.
	statuses []KeptStatus
	// view is the task as the last State copied it, shared with readers
	// and never modified; it is replaced when the task has changed
	// (snapshot.go).
	view *TaskView
	// pub is the task's place among its framework's published views
	// (snapshot_publish.go).
	pub taskPub
}

// conn is one subscription (a framework's or an agent's). The loop pushes
// without blocking; a full queue ends the subscription.
type conn[E any] struct {
	streamID string
	events   *queue.Queue[E]
	done     chan struct{}
	closed   bool
}

type (
	frameworkConn = conn[*scheduler.Event]
	agentConn     = conn[*agentpb.Event]
)

func newConn[E any](streamID string, buffer int) *conn[E] {
	return &conn[E]{streamID: streamID, events: queue.New[E](buffer), done: make(chan struct{})}
}

func (c *conn[E]) send(e E) bool { return !c.closed && c.events.Push(e) }

func (c *conn[E]) close() {
	if !c.closed {
		c.closed = true
		c.events.Close()
		close(c.done)
	}
}
