package scheduler

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	schedpb "github.com/agoraproject/agora/proto/mesos/v1/scheduler"
	"github.com/agoraproject/agora/sdk/internal/stopper"
)

// Client is one framework's connection to the master. Create it with New,
// drive it with Run; its call methods are safe for concurrent use.
type Client struct {
	cfg     Config
	handler Handler
	log     *zap.Logger
	ep      *endpoints
	// streamHTTP carries the subscription (no timeout: it lives for hours);
	// callHTTP carries calls (the user's timeout). Neither follows
	// redirects by itself: post does, to learn the leader.
	streamHTTP *http.Client
	callHTTP   *http.Client

	running  atomic.Bool
	tornDown atomic.Bool
	stop     *stopper.Stopper
	acks     *acker

	mu          sync.Mutex
	framework   *mesos.FrameworkInfo // our copy; id is filled in on SUBSCRIBED
	frameworkID string
	streamID    string // empty while not subscribed
}

// New checks cfg and returns a Client that has not connected yet.
func New(cfg Config, h Handler) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if h == nil {
		return nil, errors.New("scheduler: nil Handler")
	}
	// WithDefaults folds TLS into the HTTP client: decide before it.
	https := cfg.TLS != nil || (cfg.HTTPClient != nil && speaksTLS(cfg.HTTPClient.Transport))
	cfg = cfg.WithDefaults()
	masters, zk, _ := parseMasters(cfg.Master) // checked by Validate
	ep := newEndpoints(masters)
	if zk != "" {
		ep = newDetectedEndpoints(https)
	}
	noFollow := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	callHTTP := *cfg.HTTPClient
	callHTTP.CheckRedirect = noFollow
	streamHTTP := callHTTP
	streamHTTP.Timeout = 0

	fw := proto.Clone(cfg.Framework).(*mesos.FrameworkInfo)
	return &Client{
		cfg:         cfg,
		handler:     h,
		log:         cfg.Logger.Named("scheduler"),
		ep:          ep,
		streamHTTP:  &streamHTTP,
		callHTTP:    &callHTTP,
		stop:        stopper.New(),
		acks:        newAcker(cfg.AckConcurrency),
		framework:   fw,
		frameworkID: fw.GetId().GetValue(),
	}, nil
}

// FrameworkID is the ID the master assigned (or the one configured), or ""
// before the first subscription.
func (c *Client) FrameworkID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.frameworkID
}

// Stop makes Run return nil. It does not tear the framework down: the
// master keeps its tasks for failover_timeout. Safe to call more than once,
// from any goroutine, including a handler.
func (c *Client) Stop() { c.stop.Stop() }

// Run subscribes and hands events to the handler until ctx is done (it
// returns ctx.Err()), Stop is called (nil), the master sends ERROR (an
// *ErrorEvent), or the master rejects the subscription in a way retrying
// cannot fix (a *StatusError such as 400 or 401). Lost streams, missed
// heartbeats, 503s and network errors are retried with backoff; a
// resubscription carries the framework ID, so the framework keeps its tasks.
// Run may be called only once.
func (c *Client) Run(ctx context.Context) error {
	if !c.running.CompareAndSwap(false, true) {
		return errors.New("scheduler: Run called twice")
	}
	// Acknowledgements still in flight are owed even when Run ends.
	defer c.acks.wait()
	ctx, cancel := c.stop.Context(ctx)
	defer cancel()
	if err := c.detectLeader(ctx); err != nil {
		return err
	}

	b := backoff{min: c.cfg.MinBackoff, max: c.cfg.MaxBackoff, rand: c.cfg.Rand}
	for {
		subscribed, err := c.session(ctx)
		c.setStreamID("")
		switch {
		case c.stop.Stopped():
			return nil
		case ctx.Err() != nil:
			return ctx.Err()
		}
		var ee *ErrorEvent
		var se *StatusError
		if errors.As(err, &ee) || errors.As(err, &se) && !se.Temporary() {
			c.log.Error("subscription ended for good", zap.Error(err))
			return err
		}
		if subscribed {
			b.reset()
		}
		// The master we were talking to is gone, lost leadership or has
		// none: start over from the configured list.
		c.ep.failover()
		d := b.next()
		c.log.Warn("subscription lost, reconnecting", zap.Error(err), zap.Duration("backoff", d))
		if err := c.sleep(ctx, d); err != nil {
			if c.stop.Stopped() {
				return nil
			}
			return err
		}
	}
}

func (c *Client) sleep(ctx context.Context, d time.Duration) error {
	t := c.cfg.Clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C():
		return nil
	case <-c.ep.changed: // a new leader: no point waiting longer
		return nil
	}
}

func (c *Client) setStreamID(id string) {
	c.mu.Lock()
	c.streamID = id
	c.mu.Unlock()
}

// subscribed records what SUBSCRIBED told us, so that calls carry the
// framework ID and a later resubscription resumes the same framework.
func (c *Client) subscribed(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.frameworkID = id
	c.framework.Id = &mesos.FrameworkID{Value: proto.String(id)}
}

// subscribeCall builds SUBSCRIBE from the current framework info.
func (c *Client) subscribeCall() *schedpb.Call {
	c.mu.Lock()
	defer c.mu.Unlock()
	call := &schedpb.Call{
		Type:      schedpb.Call_SUBSCRIBE.Enum(),
		Subscribe: &schedpb.Call_Subscribe{FrameworkInfo: proto.Clone(c.framework).(*mesos.FrameworkInfo)},
	}
	if c.frameworkID != "" {
		call.FrameworkId = &mesos.FrameworkID{Value: proto.String(c.frameworkID)}
	}
	return call
}

// backoff doubles from min to max, with "equal jitter": half the delay is
// fixed, half random, so retries spread out but never come too soon.
type backoff struct {
	min, max time.Duration
	n        int
	rand     *rand.Rand
}

func (b *backoff) reset() { b.n = 0 }

func (b *backoff) next() time.Duration {
	d := b.min
	for i := 0; i < b.n && d < b.max; i++ {
		d *= 2
	}
	d = min(d, b.max)
	b.n++
	half := d / 2
	if half <= 0 {
		return d
	}
	return half + time.Duration(b.rand.Int64N(int64(half)+1))
}

var errHeartbeatLost = fmt.Errorf("scheduler: no event for %d heartbeat intervals", missedHeartbeats)
