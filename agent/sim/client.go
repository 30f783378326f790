package sim

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/agoraproject/agora/proto/agora/agentpb"
	"github.com/agoraproject/agora/proto/codec"
	"github.com/agoraproject/agora/proto/recordio"
)

const (
	// maxEventSize bounds one Event record, as the real agent does.
	maxEventSize = 16 << 20
	// callTimeout bounds a non-streaming call.
	callTimeout  = 10 * time.Second
	maxErrorBody = 4 << 10
)

// client speaks the agent protocol for every simulated agent. All share
// one http.Transport: one connection per subscription stream, plus a pool
// of idle ones, as many as there are senders, for the other calls.
type client struct {
	endpoint *url.URL
	http     *http.Client
}

func newClient(master string, senders int) (*client, error) {
	u, err := masterURL(master)
	if err != nil {
		return nil, err
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	// A master registering thousands of agents answers SUBSCRIBE slowly.
	t.ResponseHeaderTimeout = 60 * time.Second
	t.MaxIdleConns = senders + 16
	t.MaxIdleConnsPerHost = senders + 16
	t.DisableCompression = true
	return &client{endpoint: u, http: &http.Client{Transport: t}}, nil
}

// masterURL turns "host:port" or a URL into the agent endpoint's URL.
func masterURL(master string) (*url.URL, error) {
	if master == "" {
		return nil, fmt.Errorf("master: required (host:port or URL)")
	}
	s := master
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("master: %q is not host:port or an http URL", master)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("master: scheme %q is not http or https", u.Scheme)
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + "/agora/v1/agent"
	return u, nil
}

// stream is one subscription's event stream.
type stream struct {
	body     io.ReadCloser
	records  *recordio.Reader
	streamID string
	endpoint *url.URL // where it landed after redirects
}

func (c *client) subscribe(ctx context.Context, call *agentpb.Call) (*stream, error) {
	resp, err := c.post(ctx, c.endpoint, "", call)
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
	return &stream{body: resp.Body, records: recordio.NewReader(resp.Body, maxEventSize), streamID: id, endpoint: resp.Request.URL}, nil
}

func (s *stream) next() (*agentpb.Event, error) {
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

// send posts a non-subscribe call and expects 202 (or 200).
func (c *client) send(ctx context.Context, endpoint *url.URL, streamID string, call *agentpb.Call) error {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	resp, err := c.post(ctx, endpoint, streamID, call)
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

func (c *client) post(ctx context.Context, endpoint *url.URL, streamID string, call *agentpb.Call) (*http.Response, error) {
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
	return c.http.Do(req)
}

func statusError(what string, resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	if msg := strings.TrimSpace(string(b)); msg != "" {
		return fmt.Errorf("%s: %s: %s", what, resp.Status, msg)
	}
	return fmt.Errorf("%s: %s", what, resp.Status)
}
