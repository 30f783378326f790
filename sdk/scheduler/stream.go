package scheduler

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"time"

	"go.uber.org/zap"

	schedpb "github.com/agoraproject/agora/proto/mesos/v1/scheduler"
	"github.com/agoraproject/agora/proto/recordio"
)

// received is one record from the stream reader goroutine.
type received struct {
	event *schedpb.Event
	err   error
}

// session runs one subscription: SUBSCRIBE, then events until the stream
// breaks, the watchdog fires, ctx ends or ERROR arrives. subscribed reports
// whether SUBSCRIBED was seen, which resets the backoff.
func (c *Client) session(ctx context.Context) (subscribed bool, err error) {
	// The stream outlives ctx by as long as it takes the acknowledgements
	// in flight at Stop to be answered: the master accepts calls only from
	// a subscribed framework. Until the stream is open, ctx cancels it.
	streamCtx, closeStream := context.WithCancel(context.WithoutCancel(ctx))
	defer closeStream()
	detach := context.AfterFunc(ctx, closeStream)
	resp, err := c.openStream(streamCtx)
	if !detach() {
		if err == nil {
			resp.Body.Close()
		}
		return false, ctx.Err()
	}
	if err != nil {
		return false, err
	}
	defer resp.Body.Close() // also unblocks the reader goroutine
	defer func() {
		if c.stop.Stopped() {
			c.acks.wait()
		}
	}()

	streamID := resp.Header.Get("Mesos-Stream-Id")
	c.setStreamID(streamID)
	log := c.log.With(zap.String("stream_id", streamID))
	log.Debug("stream open")

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	events := make(chan received)
	go c.readEvents(ctx, recordio.NewReader(resp.Body, maxEventBytes), events)

	// The watchdog runs only while we wait for the master, not while the
	// handler works, so a slow handler never looks like a dead master.
	timeout := missedHeartbeats * defaultHeartbeat
	watchdog := c.cfg.Clock.NewTimer(timeout)
	defer watchdog.Stop()
	for {
		select {
		case <-ctx.Done():
			return subscribed, ctx.Err()
		case <-watchdog.C():
			return subscribed, errHeartbeatLost
		case r := <-events:
			watchdog.Stop()
			if r.err != nil {
				return subscribed, r.err
			}
			e := r.event
			switch e.GetType() {
			case schedpb.Event_SUBSCRIBED:
				s := e.GetSubscribed()
				c.subscribed(s.GetFrameworkId().GetValue())
				subscribed = true
				if hb := s.GetHeartbeatIntervalSeconds(); hb > 0 {
					timeout = missedHeartbeats * time.Duration(hb*float64(time.Second))
				}
				log.Info("subscribed", zap.String("framework_id", s.GetFrameworkId().GetValue()),
					zap.Duration("heartbeat_timeout", timeout))
			case schedpb.Event_ERROR:
				msg := e.GetError().GetMessage()
				if err := c.handler.HandleEvent(ctx, c, e); err != nil {
					log.Warn("handler failed on ERROR", zap.Error(err))
				}
				return subscribed, &ErrorEvent{Message: msg}
			}
			c.dispatch(ctx, e)
			watchdog.Reset(timeout)
		}
	}
}

// openStream sends SUBSCRIBE and returns the 200 response whose body is the
// event stream.
func (c *Client) openStream(ctx context.Context) (*http.Response, error) {
	call := c.subscribeCall()
	body, err := c.cfg.Codec.Marshal(call)
	if err != nil {
		return nil, fmt.Errorf("scheduler: encode SUBSCRIBE: %w", err)
	}
	resp, err := c.post(ctx, c.streamHTTP, body, "")
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		se := statusError(call.GetType().String(), resp)
		if resp.StatusCode == http.StatusServiceUnavailable {
			c.log.Info("master has no leader yet", zap.String("body", se.Body))
		}
		return nil, se
	}
	// A master answers in the type we asked for; anything else means we
	// are not talking to a scheduler API and decoding would only fail.
	got, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if got != c.cfg.Codec.MediaType() {
		resp.Body.Close()
		return nil, &StatusError{Call: "SUBSCRIBE", Code: resp.StatusCode, Status: resp.Status,
			Body: fmt.Sprintf("unexpected Content-Type %q, want %q", got, c.cfg.Codec.MediaType())}
	}
	return resp, nil
}

// readEvents decodes records until the stream fails; it owns no state, so
// it can simply be abandoned when the session ends (ctx) and the body is
// closed.
func (c *Client) readEvents(ctx context.Context, r *recordio.Reader, out chan<- received) {
	for {
		rec, err := r.ReadRecord()
		var res received
		switch {
		case errors.Is(err, io.EOF):
			res.err = errors.New("scheduler: master closed the event stream")
		case err != nil:
			res.err = fmt.Errorf("scheduler: read event: %w", err)
		default:
			e := &schedpb.Event{}
			if err := c.cfg.Codec.Unmarshal(rec, e); err != nil {
				res.err = fmt.Errorf("scheduler: decode event: %w", err)
			} else {
				res.event = e
			}
		}
		select {
		case out <- res:
		case <-ctx.Done():
			return
		}
		if res.err != nil {
			return
		}
	}
}

// dispatch hands e to the handler and then, unless told not to, acknowledges
// a status update: only after the handler has succeeded, so an update the
// framework failed to record is delivered again. The acknowledgement goes
// out in the background (see acker).
func (c *Client) dispatch(ctx context.Context, e *schedpb.Event) {
	err := c.handler.HandleEvent(ctx, c, e)
	if err != nil {
		c.log.Warn("handler failed", zap.Stringer("event", e.GetType()), zap.Error(err))
		return
	}
	if e.GetType() != schedpb.Event_UPDATE || c.cfg.ManualAcknowledge {
		return
	}
	status := e.GetUpdate().GetStatus()
	if len(status.GetUuid()) == 0 {
		return // master-generated (e.g. reconciliation): nothing to acknowledge
	}
	if c.tornDown.Load() {
		return // the master forgot the framework; it would answer 400
	}
	// The handler may have called Stop after recording the update; the
	// acknowledgement is still owed, so it must not die with Run's context.
	c.acks.send(context.WithoutCancel(ctx), c, status)
}
