package scheduler

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// ErrNotSubscribed is returned by calls made while the client has no live
// subscription: the master would reject them without a Mesos-Stream-Id.
var ErrNotSubscribed = errors.New("scheduler: not subscribed")

// StatusError is a master's answer other than the one expected (202 for
// calls, 200 for SUBSCRIBE). Body holds the master's explanation, which is
// usually what a human needs ("Framework is not subscribed", ...).
type StatusError struct {
	Call   string // the Call type sent, e.g. "ACCEPT" (Launch sends ACCEPT)
	Code   int
	Status string
	Body   string
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("scheduler: %s: master answered %s", e.Call, e.Status)
	if e.Body != "" {
		msg += ": " + e.Body
	}
	return msg
}

// Temporary reports whether retrying the same request later can succeed.
func (e *StatusError) Temporary() bool {
	return e.Code >= 500 || e.Code == http.StatusRequestTimeout || e.Code == http.StatusTooManyRequests
}

// ErrorEvent is returned by Run when the master sends an ERROR event, for
// example because the framework was removed. The subscription cannot be
// resumed; the framework must start over.
type ErrorEvent struct {
	Message string
}

func (e *ErrorEvent) Error() string { return "scheduler: master sent ERROR: " + e.Message }

// statusError reads (a bounded prefix of) the body of an unexpected answer.
func statusError(call string, resp *http.Response) *StatusError {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return &StatusError{
		Call:   call,
		Code:   resp.StatusCode,
		Status: resp.Status,
		Body:   strings.TrimSpace(string(body)),
	}
}
