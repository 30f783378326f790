package executor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"mime"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	execpb "github.com/agoraproject/agora/proto/mesos/v1/executor"
	"github.com/agoraproject/agora/proto/recordio"
	"github.com/agoraproject/agora/sdk/internal/stopper"
)

// Errors Run returns when the agent is lost for good.
var (
	// ErrDisconnected: the subscription broke and the framework does not
	// checkpoint, so the executor must not wait for the agent (Mesos's
	// rule); the executor should exit.
	ErrDisconnected = errors.New("executor: lost the agent and the framework does not checkpoint")
	// ErrRecoveryTimeout: resubscribing failed for the whole recovery
	// timeout.
	ErrRecoveryTimeout = errors.New("executor: could not resubscribe within the recovery timeout")
	// ErrNotSubscribed is returned by calls that need a subscription.
	ErrNotSubscribed = errors.New("executor: not subscribed to the agent")
)

// StatusError is an unexpected HTTP answer from the agent.
type StatusError struct {
	Call   string // the call's type
	Code   int
	Status string
	Body   string // the agent's explanation
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("executor: %s: %s: %s", e.Call, e.Status, e.Body)
}

// permanent reports whether retrying the same call cannot help: the agent
// refused it as malformed or for an executor it does not know.
func (e *StatusError) permanent() bool {
	return e.Code >= 400 && e.Code < 500 && e.Code != http.StatusForbidden && e.Code != http.StatusRequestTimeout
}

// maxEventBytes bounds one RecordIO record so that a corrupt length prefix
// cannot make the executor allocate without limit.
const maxEventBytes = 64 << 20

// minBackoff is the first resubscription delay, doubled up to
// Config.SubscriptionBackoffMax.
const minBackoff = 100 * time.Millisecond

// Client is one executor's connection to its agent. Create it with New,
// drive it with Run; Update, Message and the accessors are safe for
// concurrent use.
type Client struct {
	cfg     Config
	url     string
	handler Handler
	log     *zap.Logger
	// stream carries the subscription (no timeout: it lives as long as the
	// executor); calls carry the other calls.
	stream *http.Client
	calls  *http.Client

	running atomic.Bool
	stop    *stopper.Stopper

	mu         sync.Mutex
	subscribed bool
	agentID    *mesos.AgentID
	updates    []*mesos.TaskStatus        // unacknowledged, oldest first
	tasks      map[string]*mesos.TaskInfo // launched, no update acknowledged yet
	acked      chan struct{}              // closed and replaced when updates shrink
}

// New checks cfg and returns a Client that has not subscribed yet.
func New(cfg Config, h Handler) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if h == nil {
		return nil, errors.New("executor: nil Handler")
	}
	cfg = cfg.WithDefaults()
	url, _ := endpointURL(cfg.AgentEndpoint) // checked by Validate
	stream := *cfg.HTTPClient
	stream.Timeout = 0
	return &Client{
		cfg: cfg, url: url, handler: h,
		log: cfg.Logger.Named("executor").With(zap.String("framework_id", cfg.FrameworkID),
			zap.String("executor_id", cfg.ExecutorID)),
		stream: &stream, calls: cfg.HTTPClient,
		stop:  stopper.New(),
		tasks: map[string]*mesos.TaskInfo{},
		acked: make(chan struct{}),
	}, nil
}

// Config returns the client's configuration, defaults applied.
func (c *Client) Config() Config { return c.cfg }

// AgentID is the agent's ID from the last SUBSCRIBED, or nil before it.
func (c *Client) AgentID() *mesos.AgentID {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.agentID
}

// Unacknowledged returns copies of the updates and tasks the client would
// report if it resubscribed now.
func (c *Client) Unacknowledged() ([]*mesos.TaskStatus, []*mesos.TaskInfo) {
	c.mu.Lock()
	defer c.mu.Unlock()
	updates := append([]*mesos.TaskStatus(nil), c.updates...)
	tasks := make([]*mesos.TaskInfo, 0, len(c.tasks))
	for _, t := range c.tasks {
		tasks = append(tasks, t)
	}
	return updates, tasks
}

// Stop makes Run return nil. Safe to call more than once, from any
// goroutine, including a handler.
func (c *Client) Stop() { c.stop.Stop() }

// Run subscribes and hands events to the handler until ctx is done (it
// returns ctx.Err()), Stop is called (nil), or the agent is lost for good:
// ErrDisconnected when the framework does not checkpoint,
// ErrRecoveryTimeout when resubscribing failed for Config.RecoveryTimeout,
// or a *StatusError when the agent refuses the subscription as invalid.
// Run may be called only once.
func (c *Client) Run(ctx context.Context) error {
	if !c.running.CompareAndSwap(false, true) {
		return errors.New("executor: Run called twice")
	}
	ctx, cancel := c.stop.Context(ctx)
	defer cancel()
	var lostAt time.Time
	attempt := 0
	for {
		subscribed, err := c.session(ctx)
		c.setSubscribed(false)
		switch {
		case c.stop.Stopped():
			return nil
		case ctx.Err() != nil:
			return ctx.Err()
		}
		var se *StatusError
		if errors.As(err, &se) && se.permanent() {
			c.log.Error("the agent refused the subscription", zap.Error(err))
			return err
		}
		if subscribed {
			if !c.cfg.Checkpoint {
				return fmt.Errorf("%w: %v", ErrDisconnected, err)
			}
			lostAt, attempt = time.Now(), 0
		}
		if lostAt.IsZero() {
			lostAt = time.Now() // the first subscription failed
		}
		if time.Since(lostAt) >= c.cfg.RecoveryTimeout {
			return fmt.Errorf("%w (%v): %v", ErrRecoveryTimeout, c.cfg.RecoveryTimeout, err)
		}
		d := c.backoff(attempt)
		attempt++
		c.log.Warn("subscription lost; resubscribing", zap.Error(err), zap.Duration("backoff", d))
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			if c.stop.Stopped() {
				return nil
			}
			return ctx.Err()
		case <-t.C:
		}
	}
}

// backoff doubles from minBackoff up to SubscriptionBackoffMax, with half
// of it random so that executors of a restarted agent spread out.
func (c *Client) backoff(attempt int) time.Duration {
	d := minBackoff
	for i := 0; i < attempt && d < c.cfg.SubscriptionBackoffMax; i++ {
		d *= 2
	}
	d = min(d, c.cfg.SubscriptionBackoffMax)
	if half := d / 2; half > 0 {
		return half + time.Duration(rand.Int64N(int64(half)+1))
	}
	return d
}

func (c *Client) setSubscribed(b bool) {
	c.mu.Lock()
	c.subscribed = b
	c.mu.Unlock()
}

// session runs one subscription: SUBSCRIBE with everything still
// unacknowledged, then events until the stream breaks or ctx ends.
func (c *Client) session(ctx context.Context) (subscribed bool, err error) {
	resp, err := c.post(ctx, c.stream, c.subscribeCall())
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false, statusError("SUBSCRIBE", resp)
	}
	if got, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); got != c.cfg.Codec.MediaType() {
		return false, &StatusError{Call: "SUBSCRIBE", Code: resp.StatusCode, Status: resp.Status,
			Body: fmt.Sprintf("unexpected Content-Type %q, want %q", got, c.cfg.Codec.MediaType())}
	}
	r := recordio.NewReader(resp.Body, maxEventBytes)
	for {
		rec, err := r.ReadRecord()
		if errors.Is(err, io.EOF) {
			return subscribed, errors.New("executor: the agent closed the event stream")
		}
		if err != nil {
			return subscribed, fmt.Errorf("executor: read event: %w", err)
		}
		e := &execpb.Event{}
		if err := c.cfg.Codec.Unmarshal(rec, e); err != nil {
			return subscribed, fmt.Errorf("executor: decode event: %w", err)
		}
		if e.GetType() == execpb.Event_SUBSCRIBED {
			subscribed = true
			c.log.Info("subscribed", zap.String("agent_id", e.GetSubscribed().GetAgentInfo().GetId().GetValue()))
		}
		c.track(e)
		if err := c.handler.HandleEvent(ctx, c, e); err != nil {
			c.log.Warn("handler failed", zap.Stringer("event", e.GetType()), zap.Error(err))
		}
	}
}

// track does the client's bookkeeping for an event before the handler
// sees it.
func (c *Client) track(e *execpb.Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch e.GetType() {
	case execpb.Event_SUBSCRIBED:
		c.subscribed = true
		if id := e.GetSubscribed().GetAgentInfo().GetId(); id != nil {
			c.agentID = id
		}
	case execpb.Event_LAUNCH:
		t := e.GetLaunch().GetTask()
		c.tasks[t.GetTaskId().GetValue()] = t
	case execpb.Event_LAUNCH_GROUP:
		for _, t := range e.GetLaunchGroup().GetTaskGroup().GetTasks() {
			c.tasks[t.GetTaskId().GetValue()] = t
		}
	case execpb.Event_ACKNOWLEDGED:
		a := e.GetAcknowledged()
		delete(c.tasks, a.GetTaskId().GetValue())
		c.dropUpdate(a.GetUuid())
	}
}

// dropUpdate forgets an update; c.mu is held.
func (c *Client) dropUpdate(uuid []byte) {
	for i, u := range c.updates {
		if string(u.GetUuid()) == string(uuid) {
			c.updates = append(c.updates[:i:i], c.updates[i+1:]...)
			close(c.acked)
			c.acked = make(chan struct{})
			return
		}
	}
}

func (c *Client) subscribeCall() *execpb.Call {
	updates, tasks := c.Unacknowledged()
	sub := &execpb.Call_Subscribe{UnacknowledgedTasks: tasks}
	for _, u := range updates {
		sub.UnacknowledgedUpdates = append(sub.UnacknowledgedUpdates, &execpb.Call_Update{Status: u})
	}
	return c.call(execpb.Call_SUBSCRIBE, func(call *execpb.Call) { call.Subscribe = sub })
}

func (c *Client) call(t execpb.Call_Type, fill func(*execpb.Call)) *execpb.Call {
	call := &execpb.Call{
		Type:        t.Enum(),
		FrameworkId: &mesos.FrameworkID{Value: proto.String(c.cfg.FrameworkID)},
		ExecutorId:  &mesos.ExecutorID{Value: proto.String(c.cfg.ExecutorID)},
	}
	fill(call)
	return call
}
