package agent

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/agoraproject/agora/proto/agora/agentpb"
	"github.com/agoraproject/agora/proto/codec"
	"github.com/agoraproject/agora/proto/recordio"
)

const (
	// maxEventSize bounds one Event record; a RUN_TASK_GROUP with large
	// TaskInfo.data stays well below it.
	maxEventSize = 16 << 20
	// callTimeout bounds a non-streaming call to the master.
	callTimeout = 10 * time.Second
	// maxErrorBody is how much of an error response is quoted in logs.
	maxErrorBody = 4 << 10
)

// masterClient speaks the agent protocol over HTTP. It holds no state
// besides its configuration, so it is safe for concurrent use.
type masterClient struct {
	// endpoint is the agent protocol URL of the master to subscribe to:
	// fixed by --master host:port, or the detected leader's (nil while
	// none is known) with --master zk://.
	endpoint atomic.Pointer[url.URL]
	http     *http.Client
}

func (m *masterClient) setEndpoint(u *url.URL) { m.endpoint.Store(u) }

// target describes the endpoint for logs.
func (m *masterClient) target() string {
	if u := m.endpoint.Load(); u != nil {
		return u.String()
	}
	return "(no leading master known)"
}

func (m *masterClient) hostname() string {
	if u := m.endpoint.Load(); u != nil {
		return u.Hostname()
	}
	return ""
}

func newHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	t.ResponseHeaderTimeout = 30 * time.Second
	// Status updates go out concurrently, one request each: keep enough
	// connections open that a burst does not dial (and leave TIME_WAITs).
	t.MaxIdleConnsPerHost = 64
	// No Client.Timeout: it would cut the subscription stream. Redirects
	// (307 from a non-leading master) are followed with the body replayed,
	// since requests are built from bytes.Reader.
	return &http.Client{Transport: t}
}

// eventStream is one subscription's response.
type eventStream struct {
	body     io.ReadCloser
	records  *recordio.Reader
	streamID string
	// endpoint is where the subscription landed after redirects; the
	// session's other calls go there.
	endpoint *url.URL
}

// subscribe posts SUBSCRIBE and returns the event stream once the master
// has answered 200.
func (m *masterClient) subscribe(ctx context.Context, call *agentpb.Call) (*eventStream, error) {
	endpoint := m.endpoint.Load()
	if endpoint == nil {
		return nil, errors.New("SUBSCRIBE: no leading master known yet")
	}
	resp, err := m.post(ctx, endpoint, "", call)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		return nil, statusError("SUBSCRIBE", resp)
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != codec.Protobuf.MediaType() {
		resp.Body.Close()
		return nil, fmt.Errorf("SUBSCRIBE: unexpected Content-Type %q", resp.Header.Get("Content-Type"))
	}
	id := resp.Header.Get("Mesos-Stream-Id")
	if id == "" {
		resp.Body.Close()
		return nil, fmt.Errorf("SUBSCRIBE: response has no Mesos-Stream-Id")
	}
	return &eventStream{
		body:     resp.Body,
		records:  recordio.NewReader(resp.Body, maxEventSize),
		streamID: id,
		endpoint: resp.Request.URL,
	}, nil
}

// next reads the next event; it blocks until one arrives or the stream
// breaks.
func (s *eventStream) next() (*agentpb.Event, error) {
	rec, err := s.records.ReadRecord()
	if err != nil {
		return nil, err
	}
	ev := &agentpb.Event{}
	if err := codec.Protobuf.Unmarshal(rec, ev); err != nil {
		return nil, fmt.Errorf("decoding event: %w", err)
	}
	return ev, nil
}

func (s *eventStream) close() { s.body.Close() }

// send posts a non-subscribe call on a session and expects 202 Accepted.
func (m *masterClient) send(ctx context.Context, endpoint *url.URL, streamID string, call *agentpb.Call) error {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	resp, err := m.post(ctx, endpoint, streamID, call)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted && resp.StatusCode != http.StatusOK {
		return statusError(call.GetType().String(), resp)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody)) // lets the connection be reused
	return nil
}

func (m *masterClient) post(ctx context.Context, endpoint *url.URL, streamID string, call *agentpb.Call) (*http.Response, error) {
	body, err := codec.Protobuf.Marshal(call)
	if err != nil {
		return nil, fmt.Errorf("encoding %v: %w", call.GetType(), err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint.String(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", codec.Protobuf.MediaType())
	req.Header.Set("Accept", codec.Protobuf.MediaType())
	if streamID != "" {
		req.Header.Set("Mesos-Stream-Id", streamID)
	}
	return m.http.Do(req)
}

func statusError(what string, resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	msg := strings.TrimSpace(string(b))
	if msg == "" {
		return fmt.Errorf("%s: %s", what, resp.Status)
	}
	return fmt.Errorf("%s: %s: %s", what, resp.Status, msg)
}
