package executor

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	execpb "github.com/agoraproject/agora/proto/mesos/v1/executor"
)

// Update reports a task's status to the framework, reliably. The client
// completes the status: a uuid (unless set), the timestamp (unless set),
// source SOURCE_EXECUTOR, this executor's ID and the agent's ID; status
// itself is not modified.
//
// The update is kept as unacknowledged before it is sent, and resent with
// the next SUBSCRIBE until the agent acknowledges it, so a caller must not
// call Update again for it: when the client is not subscribed, or the call
// fails in a way a resubscription can fix, Update returns nil. It returns
// an error only for an invalid status or one the agent refused for good.
func (c *Client) Update(ctx context.Context, status *mesos.TaskStatus) error {
	if status.GetTaskId().GetValue() == "" || status.State == nil {
		return errors.New("executor: Update needs a status with task_id and state")
	}
	st := proto.Clone(status).(*mesos.TaskStatus)
	if len(st.Uuid) == 0 {
		st.Uuid = newUUID()
	}
	if st.Timestamp == nil {
		st.Timestamp = proto.Float64(float64(time.Now().UnixNano()) / 1e9)
	}
	st.Source = mesos.TaskStatus_SOURCE_EXECUTOR.Enum()
	st.ExecutorId = &mesos.ExecutorID{Value: proto.String(c.cfg.ExecutorID)}
	c.mu.Lock()
	if st.AgentId == nil {
		st.AgentId = c.agentID
	}
	c.updates = append(c.updates, st)
	subscribed := c.subscribed
	c.mu.Unlock()
	if !subscribed {
		c.log.Info("not subscribed; the update goes with the next SUBSCRIBE", zap.String("task_id", st.GetTaskId().GetValue()))
		return nil
	}
	err := c.send(ctx, c.call(execpb.Call_UPDATE, func(call *execpb.Call) { call.Update = &execpb.Call_Update{Status: st} }))
	var se *StatusError
	if errors.As(err, &se) && se.permanent() {
		c.mu.Lock()
		c.dropUpdate(st.GetUuid())
		c.mu.Unlock()
		return err
	}
	if err != nil {
		c.log.Warn("update not delivered; it goes with the next SUBSCRIBE", zap.String("task_id", st.GetTaskId().GetValue()), zap.Error(err))
	}
	return nil
}

// Message sends data to the framework (best effort: the API guarantees no
// delivery).
func (c *Client) Message(ctx context.Context, data []byte) error {
	c.mu.Lock()
	subscribed := c.subscribed
	c.mu.Unlock()
	if !subscribed {
		return ErrNotSubscribed
	}
	return c.send(ctx, c.call(execpb.Call_MESSAGE, func(call *execpb.Call) { call.Message = &execpb.Call_Message{Data: data} }))
}

// WaitAcknowledged blocks until the agent has acknowledged every update
// sent so far, or ctx ends. Executors call it before exiting, so that their
// last updates are not lost with them. Acknowledgements arrive on Run's
// goroutine: do not call it from a handler.
func (c *Client) WaitAcknowledged(ctx context.Context) error {
	for {
		c.mu.Lock()
		n, acked := len(c.updates), c.acked
		c.mu.Unlock()
		if n == 0 {
			return nil
		}
		select {
		case <-acked:
		case <-ctx.Done():
			return fmt.Errorf("executor: %d updates not acknowledged: %w", n, ctx.Err())
		}
	}
}

// send posts a non-subscribe call and expects 202 Accepted.
func (c *Client) send(ctx context.Context, call *execpb.Call) error {
	if _, ok := ctx.Deadline(); !ok && c.cfg.CallTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.cfg.CallTimeout)
		defer cancel()
	}
	resp, err := c.post(ctx, c.calls, call)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		return statusError(call.GetType().String(), resp)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096)) // lets the connection be reused
	return nil
}

func (c *Client) post(ctx context.Context, hc *http.Client, call *execpb.Call) (*http.Response, error) {
	body, err := c.cfg.Codec.Marshal(call)
	if err != nil {
		return nil, fmt.Errorf("executor: encode %s: %w", call.GetType(), err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", c.cfg.Codec.MediaType())
	req.Header.Set("Accept", c.cfg.Codec.MediaType())
	return hc.Do(req)
}

func statusError(call string, resp *http.Response) *StatusError {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return &StatusError{Call: call, Code: resp.StatusCode, Status: resp.Status, Body: strings.TrimSpace(string(b))}
}

// newUUID returns a random (version 4) UUID's 16 bytes, the form status
// update uuids take on the wire.
func newUUID() []byte {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return b
}
