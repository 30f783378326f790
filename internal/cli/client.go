// Package cli is the operator command line built into the agora binary:
// cluster status, agents, frameworks and tasks from the master, task logs
// from the agents' sandboxes, Marathon apps and Chronos jobs. Output is a
// table for people or JSON (--json) for scripts; every failure is an error
// with a message that names what failed, so the command exits non-zero.
package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// client talks JSON to one Agora HTTP endpoint (master, agent, Marathon or
// Chronos). Go's client follows 307 redirects (a standby master points at
// the leader) for bodies too, since requests are built from byte slices.
type client struct {
	base      string
	name      string // "master", "marathon", ... for error messages
	http      *http.Client
	principal string
	secret    string
}

// newClient makes a client for base. An address without a scheme is
// https when a CA is configured (a production cluster is TLS by default)
// and http otherwise (agora dev).
func newClient(name, base string, o *options) (*client, error) {
	base = strings.TrimRight(base, "/")
	if !strings.Contains(base, "://") {
		if o.caFile != "" {
			base = "https://" + base
		} else {
			base = "http://" + base
		}
	}
	tr, err := o.transport()
	if err != nil {
		return nil, err
	}
	c := &client{base: base, name: name, http: &http.Client{Timeout: 30 * time.Second, Transport: tr}}
	c.principal, c.secret = o.principal, o.secret
	return c, nil
}

// apiError is a non-2xx answer, with the server's message when it sent one.
type apiError struct {
	Status  int
	Message string
}

func (e *apiError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("HTTP %d", e.Status)
	}
	return fmt.Sprintf("HTTP %d: %s", e.Status, e.Message)
}

// do sends a request and decodes a JSON answer into out (when non-nil).
func (c *client) do(ctx context.Context, method, path string, body []byte, out any) error {
	_, err := c.doHeader(ctx, method, path, body, out)
	return err
}

// doHeader is do, also returning the answer's headers (Marathon puts the
// deployment ID in one).
func (c *client) doHeader(ctx context.Context, method, path string, body []byte, out any) (http.Header, error) {
	resp, err := c.send(ctx, method, path, body)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return nil, fmt.Errorf("%s %s: reading answer: %w", c.name, c.base, err)
	}
	if resp.StatusCode/100 != 2 {
		return resp.Header, fmt.Errorf("%s %s %s: %w", c.name, method, path, &apiError{Status: resp.StatusCode, Message: errorMessage(data)})
	}
	if out == nil || len(bytes.TrimSpace(data)) == 0 {
		return resp.Header, nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return resp.Header, fmt.Errorf("%s %s %s: answer is not the expected JSON: %w", c.name, method, path, err)
	}
	return resp.Header, nil
}

func (c *client) send(ctx context.Context, method, path string, body []byte) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, fmt.Errorf("%s: bad address %q: %w", c.name, c.base, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if c.principal != "" {
		req.SetBasicAuth(c.principal, c.secret)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s at %s is not reachable: %w", c.name, c.base, unwrapURLError(err))
	}
	return resp, nil
}

func (c *client) get(ctx context.Context, path string, out any) error {
	return c.do(ctx, http.MethodGet, path, nil, out)
}

// errorMessage pulls the human message out of an error body: Marathon and
// Chronos send {"message": ...}, the master plain text.
func errorMessage(body []byte) string {
	var m struct {
		Message string `json:"message"`
		Details []struct {
			Path   string   `json:"path"`
			Errors []string `json:"errors"`
		} `json:"details"`
	}
	if json.Unmarshal(body, &m) == nil && m.Message != "" {
		msg := m.Message
		for _, d := range m.Details {
			msg += fmt.Sprintf("; %s: %s", d.Path, strings.Join(d.Errors, ", "))
		}
		return msg
	}
	s := strings.TrimSpace(string(body))
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}

func unwrapURLError(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return err
		}
		inner := u.Unwrap()
		if inner == nil {
			return err
		}
		err = inner
	}
}
