package api

import (
	"context"
	"runtime"
	"sync"
	"time"

	"github.com/agoraproject/agora/master"
)

// Encoded state objects kept between reads. A task's JSON and protobuf
// change only when the task does, so a read of 100,000 tasks encodes the
// few that changed since the previous read and copies the bytes of the
// others. Tasks keep their encodings on their views (master.Encodings),
// which the master replaces when a task changes; agents, whose objects
// hold per-read sums, are kept here by what they render.
//
// Nothing is kept for long without readers: when no state read has come
// for a while, the master drops the views and encodings, and the agents'
// cache is dropped.

// stateCaches are a Handler's state-read caches and statistics.
type stateCaches struct {
	agents    agentObjects
	executors executorCache
	stats     readStats
	idle      idleDropper
	// slots bound how many big reads copy and encode at once: one on two
	// cores, so that clients polling the state back to back leave a core
	// to the event loop and the other requests.
	slots chan struct{}
	// parallelFrom is how many missing task encodings make a read encode
	// them in parallel (append_parallel.go).
	parallelFrom int
	// streamFrom is how many make a JSON read stream them instead
	// (statebody_stream.go), and warmer keep them afterwards.
	streamFrom int
	warmer     warmer
}

func newStateCaches(ttl time.Duration) *stateCaches {
	return &stateCaches{idle: idleDropper{ttl: ttl, drop: func() {}},
		slots: make(chan struct{}, max(1, runtime.GOMAXPROCS(0)-1)), parallelFrom: parallelFrom, streamFrom: parallelFrom}
}

// encodeFailed is an encoding error, as opposed to the master's.
type encodeFailed struct{ error }

// read copies the state and encodes it, in one of the slots. Writing the
// response to the client happens outside them.
func (c *stateCaches) read(ctx context.Context, m *master.Master, encode func(*master.State) (*body, error)) (*body, error) {
	select {
	case c.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-c.slots }()
	s, err := m.State(ctx)
	if err != nil {
		return nil, err
	}
	b, err := encode(s)
	if err != nil {
		return nil, encodeFailed{err}
	}
	return b, nil
}

// DefaultStateCacheTTL is how long encodings are kept after the last
// state read.
const DefaultStateCacheTTL = 2 * time.Minute

// Slots of master.Encodings.
const (
	slotProto    = iota // mesos.Task, protobuf (GET_STATE)
	slotJSON            // mesos.Task, Mesos JSON (GET_STATE)
	slotState           // a task object of /master/state
	slotExecutor        // a command task's executor object of /master/state, tagged with its agent's work directory
)

// taskBytes is a task's encoding from slot, encoded and kept there when
// missing or computed from another tag. encoded counts the tasks encoded.
func taskBytes(t *master.TaskView, slot int, tag string, encoded *int, encode func(*master.TaskView) []byte) []byte {
	e := t.Encodings()
	if e == nil {
		*encoded++
		return encode(t)
	}
	if v := e.Load(slot); v != nil && v.Tag == tag {
		return v.Bytes
	}
	*encoded++
	b := encode(t)
	e.Store(slot, &master.Encoded{Tag: tag, Bytes: b})
	return b
}

// readStats count the objects reads encoded, by kind, since the last
// reset (tests read them).
type readStats struct {
	mu      sync.Mutex
	encoded map[string]int
}

func (r *readStats) record(kind string, n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.encoded == nil {
		r.encoded = map[string]int{}
	}
	r.encoded[kind] += n
}

func (r *readStats) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.encoded = nil
}

func (r *readStats) count(kind string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.encoded[kind]
}

// idleDropper drops the caches once no read has come for ttl.
type idleDropper struct {
	ttl   time.Duration
	drop  func()
	mu    sync.Mutex
	last  time.Time
	timer *time.Timer
}

// read notes a state read.
func (d *idleDropper) read() {
	if d.ttl <= 0 {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.last = time.Now()
	if d.timer == nil {
		d.timer = time.AfterFunc(d.ttl, d.expire)
	}
}

func (d *idleDropper) expire() {
	d.mu.Lock()
	if idle := time.Since(d.last); idle < d.ttl {
		d.timer = time.AfterFunc(d.ttl-idle, d.expire)
		d.mu.Unlock()
		return
	}
	d.timer = nil
	d.mu.Unlock()
	d.drop()
}

// executorCache keeps each framework's executor lists of /master/state
// from one read to the next. They depend only on which tasks the framework
// has (a task's executor, agent, ID and resources never change), its
// custom executors and the agents' work directories, so a read in which
// tasks only changed state reuses them whole.
type executorCache struct {
	mu       sync.Mutex
	cur      map[string]*executorLists
	workDirs map[string]string
}

type executorLists struct {
	taskSet         uint64
	completed       []master.TaskKey
	custom          []master.ExecutorView
	live, completeE []executorEntry
}

type executorGen struct {
	prev, next   map[string]*executorLists
	sameWorkDirs bool
	workDirs     map[string]string
	ranks        *agentRanks // nil: agents are ranked for each framework
}

func (c *executorCache) begin(workDirs map[string]string) *executorGen {
	c.mu.Lock()
	defer c.mu.Unlock()
	same := len(workDirs) == len(c.workDirs)
	for id, dir := range workDirs {
		if !same {
			break
		}
		prev, ok := c.workDirs[id]
		same = ok && prev == dir
	}
	return &executorGen{prev: c.cur, next: map[string]*executorLists{}, sameWorkDirs: same, workDirs: workDirs}
}

// lists returns f's executors, live and completed, from the previous read
// when nothing they depend on changed.
// commands encodes command tasks' executors; lists holding placeholders
// for encodings the read makes later are not kept.
func (g *executorGen) lists(f *master.FrameworkView, workDirs map[string]string, commands *taskFill) (live, completed []executorEntry) {
	if p := g.prev[f.ID]; p != nil && f.TaskSet != 0 && g.sameWorkDirs && p.taskSet == f.TaskSet &&
		sameTaskList(p.completed, f.CompletedTasks) && sameExecutorViews(p.custom, f.Executors) {
		g.next[f.ID] = p
		return p.live, p.completeE
	}
	live, completed, ok := commandExecutors(f, commands, g.ranks) // append_executors.go
	if !ok {
		live, completed = frameworkExecutors(f, workDirs, &commands.encoded)
	}
	if f.TaskSet != 0 && !commands.stream.holds(live) && !commands.stream.holds(completed) {
		keys := make([]master.TaskKey, len(f.CompletedTasks))
		for i := range f.CompletedTasks {
			keys[i] = f.CompletedTasks[i].Key
		}
		g.next[f.ID] = &executorLists{taskSet: f.TaskSet, completed: keys, custom: f.Executors, live: live, completeE: completed}
	}
	return live, completed
}

func (c *executorCache) end(g *executorGen) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cur, c.workDirs = g.next, g.workDirs
}

func (c *executorCache) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cur, c.workDirs = nil, nil
}

func sameTaskList(keys []master.TaskKey, tasks []*master.TaskView) bool {
	if len(keys) != len(tasks) {
		return false
	}
	for i := range keys {
		if !keys[i].SameTask(tasks[i].Key) {
			return false
		}
	}
	return true
}

func sameExecutorViews(a, b []master.ExecutorView) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := &a[i], &b[i]
		if x.ID != y.ID || x.AgentID != y.AgentID || x.FrameworkID != y.FrameworkID || x.Info != y.Info ||
			len(x.Resources) != len(y.Resources) || (len(x.Resources) > 0 && &x.Resources[0] != &y.Resources[0]) {
			return false
		}
	}
	return true
}

// forget is the idle drop: the master's views and encodings, and the
// agents' objects.
func (c *stateCaches) forget(m *master.Master) func() {
	return func() {
		c.warmer.reset()
		c.agents.reset()
		c.executors.reset()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = m.ForgetEncodings(ctx) // a stopped master has nothing to drop
	}
}
