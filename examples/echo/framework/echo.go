package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path"
	"strings"
	"time"

	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	schedpb "github.com/agoraproject/agora/proto/mesos/v1/scheduler"
	"github.com/agoraproject/agora/sdk/offers"
	"github.com/agoraproject/agora/sdk/scheduler"
)

type config struct {
	master, executor, data, message, user string
	tasks                                 int
	cpus, mem                             float64
	timeout                               time.Duration
	log                                   *zap.Logger
	out                                   io.Writer
}

const executorID = "echo-executor"

// echo is the framework's state; the SDK calls its handlers one at a time.
type echo struct {
	cfg      config
	launched bool
	agentID  *mesos.AgentID
	states   map[string]mesos.TaskState
	sent     bool   // the message went out
	reply    string // the executor's answer
	failed   []string
}

func runEcho(ctx context.Context, cfg config) error {
	e := &echo{cfg: cfg, states: map[string]mesos.TaskState{}}
	client, err := scheduler.New(scheduler.Config{
		Master: cfg.master,
		Framework: &mesos.FrameworkInfo{
			User: proto.String(cfg.user), Name: proto.String("echo"),
			// Checkpointing makes the executor resubscribe after a broken
			// connection instead of exiting.
			Checkpoint:      proto.Bool(true),
			FailoverTimeout: proto.Float64(60),
		},
		Logger: cfg.log,
	}, scheduler.Callbacks{Offers: e.offers, Update: e.update, Message: e.onMessage, Failure: e.failure})
	if err != nil {
		return err
	}
	go func() {
		<-ctx.Done()
		tctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := client.Teardown(tctx); err != nil {
			client.Stop()
		}
	}()
	if err := client.Run(context.WithoutCancel(ctx)); err != nil {
		return err
	}
	switch {
	case ctx.Err() != nil && !e.done():
		return fmt.Errorf("not done after %v: tasks %v, reply %q", cfg.timeout, e.states, e.reply)
	case len(e.failed) > 0:
		return fmt.Errorf("tasks did not finish: %s", strings.Join(e.failed, ", "))
	}
	return nil
}

// executorInfo runs the executor binary from its path, or fetches it first
// when it is given as a URI.
func (e *echo) executorInfo() *mesos.ExecutorInfo {
	cmd := &mesos.CommandInfo{Shell: proto.Bool(false), Value: proto.String(e.cfg.executor), Arguments: []string{e.cfg.executor}}
	if u, err := url.Parse(e.cfg.executor); err == nil && u.Scheme != "" {
		name := "./" + path.Base(u.Path)
		cmd = &mesos.CommandInfo{
			Shell: proto.Bool(false), Value: proto.String(name), Arguments: []string{name},
			Uris: []*mesos.CommandInfo_URI{{Value: proto.String(e.cfg.executor), Executable: proto.Bool(true), Extract: proto.Bool(false)}},
		}
	}
	return &mesos.ExecutorInfo{
		Type:       mesos.ExecutorInfo_CUSTOM.Enum(),
		ExecutorId: &mesos.ExecutorID{Value: proto.String(executorID)},
		Name:       proto.String("echo executor"),
		Command:    cmd,
		Resources:  offers.Scalars(e.cfg.cpus, e.cfg.mem, 0),
	}
}

// offers launches every task on the first offer with room for them and
// the executor, and declines the rest for a long while.
func (e *echo) offers(ctx context.Context, c *scheduler.Client, os []*mesos.Offer) error {
	long := &mesos.Filters{RefuseSeconds: proto.Float64(3600)}
	for _, o := range os {
		if e.launched {
			_ = c.Decline(ctx, []*mesos.OfferID{o.GetId()}, long)
			continue
		}
		pool := offers.NewPool(o)
		if _, ok := pool.Take(offers.Scalars(e.cfg.cpus, e.cfg.mem, 0)); !ok { // the executor's share
			_ = c.Decline(ctx, []*mesos.OfferID{o.GetId()}, nil)
			continue
		}
		ex := e.executorInfo()
		var tasks []*mesos.TaskInfo
		for i := range e.cfg.tasks {
			rs, ok := pool.Take(offers.Scalars(e.cfg.cpus, e.cfg.mem, 0))
			if !ok {
				break
			}
			id := fmt.Sprintf("echo-%d", i)
			tasks = append(tasks, &mesos.TaskInfo{
				Name: proto.String(id), TaskId: &mesos.TaskID{Value: proto.String(id)}, AgentId: o.GetAgentId(),
				Resources: rs, Executor: ex, Data: []byte(e.cfg.data),
			})
		}
		if len(tasks) < e.cfg.tasks {
			_ = c.Decline(ctx, []*mesos.OfferID{o.GetId()}, nil)
			continue
		}
		if err := c.Launch(ctx, []*mesos.OfferID{o.GetId()}, tasks, long); err != nil {
			return err
		}
		e.launched, e.agentID = true, o.GetAgentId()
		for _, t := range tasks {
			e.states[t.GetTaskId().GetValue()] = mesos.TaskState_TASK_STAGING
		}
		fmt.Fprintf(e.cfg.out, "launched %d tasks on agent %s\n", len(tasks), o.GetHostname())
	}
	if e.launched {
		return c.Suppress(ctx)
	}
	return nil
}

// update records a task's state; the first TASK_RUNNING means the executor
// is subscribed, so the message goes then.
func (e *echo) update(ctx context.Context, c *scheduler.Client, st *mesos.TaskStatus) error {
	id := st.GetTaskId().GetValue()
	if _, ok := e.states[id]; !ok {
		return nil
	}
	e.states[id] = st.GetState()
	fmt.Fprintf(e.cfg.out, "task %s %s\n", id, st.GetState())
	switch st.GetState() {
	case mesos.TaskState_TASK_RUNNING:
		if !e.sent {
			e.sent = true
			if err := c.Message(ctx, e.agentID, &mesos.ExecutorID{Value: proto.String(executorID)}, []byte(e.cfg.message)); err != nil {
				return err
			}
		}
	case mesos.TaskState_TASK_FINISHED:
	default:
		if terminal(st.GetState()) {
			e.failed = append(e.failed, fmt.Sprintf("%s %s (%s)", id, st.GetState(), st.GetMessage()))
		}
	}
	e.finishIfDone(ctx, c)
	return nil
}

func (e *echo) onMessage(ctx context.Context, c *scheduler.Client, m *schedpb.Event_Message) error {
	e.reply = string(m.GetData())
	fmt.Fprintf(e.cfg.out, "message from executor %s: %s\n", m.GetExecutorId().GetValue(), e.reply)
	e.finishIfDone(ctx, c)
	return nil
}

func (e *echo) failure(_ context.Context, _ *scheduler.Client, f *schedpb.Event_Failure) error {
	if f.GetExecutorId() != nil {
		fmt.Fprintf(e.cfg.out, "executor %s on agent %s exited with status %d\n",
			f.GetExecutorId().GetValue(), f.GetAgentId().GetValue(), f.GetStatus())
	}
	return nil
}

func (e *echo) done() bool {
	if !e.launched || e.reply == "" && len(e.failed) == 0 {
		return false
	}
	for _, s := range e.states {
		if !terminal(s) {
			return false
		}
	}
	return true
}

// finishIfDone tears the framework down (which shuts the executor down
// and ends Run) once every task ended and the answer came.
func (e *echo) finishIfDone(ctx context.Context, c *scheduler.Client) {
	if !e.done() {
		return
	}
	if err := c.Teardown(ctx); err != nil && !errors.Is(err, context.Canceled) {
		e.cfg.log.Warn("teardown failed", zap.Error(err))
		c.Stop()
	}
}

func terminal(s mesos.TaskState) bool {
	switch s {
	case mesos.TaskState_TASK_FINISHED, mesos.TaskState_TASK_FAILED, mesos.TaskState_TASK_KILLED,
		mesos.TaskState_TASK_ERROR, mesos.TaskState_TASK_LOST, mesos.TaskState_TASK_DROPPED,
		mesos.TaskState_TASK_GONE, mesos.TaskState_TASK_GONE_BY_OPERATOR:
		return true
	}
	return false
}
