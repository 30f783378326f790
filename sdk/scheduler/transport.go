package scheduler

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	schedpb "github.com/agoraproject/agora/proto/mesos/v1/scheduler"
)

// post sends body to the current master, following 307/308 redirects to the
// leader and remembering it, so that later calls go straight there. The
// caller closes the response body.
func (c *Client) post(ctx context.Context, hc *http.Client, body []byte, streamID string) (*http.Response, error) {
	for hop := 0; ; hop++ {
		u, err := c.ep.current()
		if err != nil {
			return nil, err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
		if err != nil {
			return nil, fmt.Errorf("scheduler: %w", err)
		}
		mt := c.cfg.Codec.MediaType()
		req.Header.Set("Content-Type", mt)
		req.Header.Set("Accept", mt)
		if streamID != "" {
			req.Header.Set("Mesos-Stream-Id", streamID)
		}
		resp, err := hc.Do(req)
		if err != nil {
			return nil, fmt.Errorf("scheduler: POST %s: %w", u.Redacted(), err)
		}
		if resp.StatusCode != http.StatusTemporaryRedirect && resp.StatusCode != http.StatusPermanentRedirect {
			return resp, nil
		}
		loc := resp.Header.Get("Location")
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		if hop >= maxRedirects {
			return nil, fmt.Errorf("scheduler: more than %d redirects, last to %q", maxRedirects, loc)
		}
		to, err := c.ep.redirect(u, loc)
		if err != nil {
			return nil, err
		}
		c.log.Info("following redirect to the leading master", zap.String("from", u.Host), zap.String("to", to.Host))
	}
}

// Call sends a call other than SUBSCRIBE on its own request, with the
// subscription's Mesos-Stream-Id, and expects 202 Accepted; any other answer
// is returned as a *StatusError carrying the master's explanation.
// call.framework_id is filled in if unset (call is modified).
func (c *Client) Call(ctx context.Context, call *schedpb.Call) error {
	if call.GetType() == schedpb.Call_SUBSCRIBE {
		return errors.New("scheduler: SUBSCRIBE is sent by Run, not Call")
	}
	c.mu.Lock()
	streamID, fwID := c.streamID, c.frameworkID
	c.mu.Unlock()
	if streamID == "" {
		return ErrNotSubscribed
	}
	if call.FrameworkId == nil {
		call.FrameworkId = &mesos.FrameworkID{Value: proto.String(fwID)}
	}
	body, err := c.cfg.Codec.Marshal(call)
	if err != nil {
		return fmt.Errorf("scheduler: encode %s: %w", call.GetType(), err)
	}
	if _, ok := ctx.Deadline(); !ok && c.cfg.CallTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.cfg.CallTimeout)
		defer cancel()
	}
	resp, err := c.post(ctx, c.callHTTP, body, streamID)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		return statusError(call.GetType().String(), resp)
	}
	// Drain so that the connection can be reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	return nil
}
