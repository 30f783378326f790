package batch

import (
	"context"
	"fmt"
	"strings"

	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	schedpb "github.com/agoraproject/agora/proto/mesos/v1/scheduler"
	"github.com/agoraproject/agora/sdk/offers"
	"github.com/agoraproject/agora/sdk/scheduler"
)

// job is one of the N tasks, across its attempts.
type job struct {
	index    int
	attempts int    // launches so far
	taskID   string // current attempt's Mesos task ID, "" when not launched
	host     string // where the current attempt runs
	done     bool   // finished, or failed with no retries left
}

// batch is the framework's state. The SDK calls its handlers one at a time
// on Run's goroutine, so it needs no locks.
type batch struct {
	cfg        Config
	log        *zap.Logger
	need       []*mesos.Resource
	jobs       []*job
	pending    []*job          // waiting for an offer, in order
	active     map[string]*job // by Mesos task ID, launched and not ended
	finished   int
	failed     int
	suppressed bool
}

func newBatch(cfg Config) *batch {
	b := &batch{
		cfg:    cfg,
		log:    cfg.Logger.Named("batch"),
		need:   offers.Scalars(cfg.Cpus, cfg.Mem, 0),
		active: map[string]*job{},
	}
	for i := range cfg.Tasks {
		j := &job{index: i}
		b.jobs = append(b.jobs, j)
		b.pending = append(b.pending, j)
	}
	return b
}

func (b *batch) callbacks() scheduler.Callbacks {
	return scheduler.Callbacks{
		Subscribed: b.subscribed,
		Offers:     b.offers,
		Update:     b.update,
		Heartbeat:  b.heartbeat,
	}
}

func (b *batch) allDone() bool { return b.finished+b.failed == len(b.jobs) }

// subscribed runs after every (re)subscription. A resubscription without
// suppressed_roles un-suppresses us, and updates may have been missed while
// disconnected, so ask the master about every task still running.
func (b *batch) subscribed(ctx context.Context, c *scheduler.Client, _ *schedpb.Event_Subscribed) error {
	b.suppressed = false
	var tasks []*schedpb.Call_Reconcile_Task
	for id := range b.active {
		tasks = append(tasks, &schedpb.Call_Reconcile_Task{TaskId: &mesos.TaskID{Value: proto.String(id)}})
	}
	if len(tasks) == 0 {
		return nil
	}
	return c.Reconcile(ctx, tasks...)
}

// offers packs waiting tasks into each offer and declines what is left.
func (b *batch) offers(ctx context.Context, c *scheduler.Client, os []*mesos.Offer) error {
	for _, o := range os {
		ids := []*mesos.OfferID{o.GetId()}
		tasks := b.pack(o)
		if len(tasks) == 0 {
			refuse := b.cfg.RefuseSeconds
			if len(b.pending) == 0 {
				refuse = b.cfg.IdleRefuseSeconds
			}
			if err := c.Decline(ctx, ids, &mesos.Filters{RefuseSeconds: proto.Float64(refuse)}); err != nil {
				b.log.Warn("decline failed", zap.String("offer_id", o.GetId().GetValue()), zap.Error(err))
			}
			continue
		}
		// Unused resources of this offer are refused too: other tasks would
		// not fit in them anyway.
		filters := &mesos.Filters{RefuseSeconds: proto.Float64(b.cfg.RefuseSeconds)}
		if err := c.Launch(ctx, ids, tasks, filters); err != nil {
			// The master did not take the tasks: they wait for the next offer.
			b.log.Warn("launch failed", zap.String("offer_id", o.GetId().GetValue()), zap.Error(err))
			b.unlaunch(tasks)
		}
	}
	if len(b.pending) == 0 && !b.suppressed {
		if err := c.Suppress(ctx, b.cfg.Role); err != nil {
			b.log.Warn("suppress failed", zap.Error(err)) // offers will just keep being declined
		} else {
			b.suppressed = true
		}
	}
	return nil
}

// pack takes as many waiting tasks as fit into o.
func (b *batch) pack(o *mesos.Offer) []*mesos.TaskInfo {
	pool := offers.NewPool(o)
	var tasks []*mesos.TaskInfo
	for len(b.pending) > 0 {
		rs, ok := pool.Take(b.need)
		if !ok {
			break
		}
		j := b.pending[0]
		b.pending = b.pending[1:]
		j.attempts++
		j.taskID = fmt.Sprintf("%s-%d-%d", b.cfg.Name, j.index, j.attempts)
		j.host = o.GetHostname()
		b.active[j.taskID] = j
		tasks = append(tasks, &mesos.TaskInfo{
			Name:      proto.String(fmt.Sprintf("%s-%d", b.cfg.Name, j.index)),
			TaskId:    &mesos.TaskID{Value: proto.String(j.taskID)},
			AgentId:   o.GetAgentId(),
			Resources: rs,
			Command:   &mesos.CommandInfo{Value: proto.String(b.cfg.Cmd), Shell: proto.Bool(true)},
		})
	}
	return tasks
}

// unlaunch puts tasks whose launch was not accepted back at the front of
// the queue; the attempt does not count.
func (b *batch) unlaunch(tasks []*mesos.TaskInfo) {
	var back []*job
	for _, t := range tasks {
		j := b.active[t.GetTaskId().GetValue()]
		delete(b.active, t.GetTaskId().GetValue())
		j.attempts--
		j.taskID = ""
		back = append(back, j)
	}
	b.pending = append(back, b.pending...)
}

// update records a task's end; updates for attempts that already ended
// (duplicates, reconciliation answers) are ignored.
func (b *batch) update(ctx context.Context, c *scheduler.Client, st *mesos.TaskStatus) error {
	j := b.active[st.GetTaskId().GetValue()]
	if j == nil || !terminal(st.GetState()) {
		return nil
	}
	delete(b.active, j.taskID)
	j.taskID = ""
	retry := false
	if st.GetState() == mesos.TaskState_TASK_FINISHED {
		j.done = true
		b.finished++
	} else if j.attempts <= b.cfg.Retries {
		retry = true
		b.pending = append(b.pending, j)
	} else {
		j.done = true
		b.failed++
	}
	b.report(j, st, retry)
	if b.allDone() {
		b.finish(ctx, c)
		return nil
	}
	b.wantOffers(ctx, c)
	return nil
}

// heartbeat retries a Revive that failed earlier.
func (b *batch) heartbeat(ctx context.Context, c *scheduler.Client) error {
	b.wantOffers(ctx, c)
	return nil
}

// wantOffers revives offers if tasks wait while we are suppressed. A failed
// Revive is retried on the next update or heartbeat.
func (b *batch) wantOffers(ctx context.Context, c *scheduler.Client) {
	if len(b.pending) == 0 || !b.suppressed {
		return
	}
	if err := c.Revive(ctx, b.cfg.Role); err != nil {
		b.log.Warn("revive failed", zap.Error(err))
		return
	}
	b.suppressed = false
}

// finish tears the framework down, which also ends Run. If the master
// cannot be told, Run ends anyway and the master removes the framework
// after its failover timeout.
func (b *batch) finish(ctx context.Context, c *scheduler.Client) {
	if err := c.Teardown(ctx); err != nil {
		b.log.Warn("teardown failed; leaving it to the failover timeout", zap.Error(err))
		c.Stop()
	}
}

// report prints the one line an ended attempt gets.
func (b *batch) report(j *job, st *mesos.TaskStatus, retry bool) {
	var line strings.Builder
	fmt.Fprintf(&line, "%s-%d %s attempt=%d host=%s", b.cfg.Name, j.index, st.GetState(), j.attempts, j.host)
	if msg := st.GetMessage(); msg != "" && st.GetState() != mesos.TaskState_TASK_FINISHED {
		fmt.Fprintf(&line, " message=%q", msg)
	}
	if retry {
		line.WriteString(" retrying")
	}
	fmt.Fprintln(b.cfg.Out, line.String())
}

// terminal lists the states after which a task attempt will not run again.
// TASK_UNREACHABLE is not among them: the agent may come back.
func terminal(s mesos.TaskState) bool {
	switch s {
	case mesos.TaskState_TASK_FINISHED, mesos.TaskState_TASK_FAILED, mesos.TaskState_TASK_KILLED,
		mesos.TaskState_TASK_ERROR, mesos.TaskState_TASK_LOST, mesos.TaskState_TASK_DROPPED,
		mesos.TaskState_TASK_GONE, mesos.TaskState_TASK_GONE_BY_OPERATOR, mesos.TaskState_TASK_UNKNOWN:
		return true
	}
	return false
}
