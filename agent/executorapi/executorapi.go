// Package executorapi is the HTTP adapter of the Mesos v1 executor API that
// the agent serves at POST /api/v1/executor: it negotiates the media type
// (JSON or protobuf, as the scheduler API does), decodes and validates
// calls, answers SUBSCRIBE with a RecordIO stream of events and every other
// call with 202 Accepted, and maps refusals to HTTP statuses in one place.
//
// It holds no executor state and starts no executors: a Backend (the
// agent's loop) decides what a call means. Unlike the scheduler API,
// executor calls carry no Mesos-Stream-Id; an executor is named by the
// framework_id and executor_id of every call.
package executorapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"go.uber.org/zap"

	"github.com/agoraproject/agora/internal/httpapi"
	"github.com/agoraproject/agora/internal/queue"
	"github.com/agoraproject/agora/proto/codec"
	executor "github.com/agoraproject/agora/proto/mesos/v1/executor"
	"github.com/agoraproject/agora/proto/recordio"
)

// Path is where the agent serves the API (also under /slave(1)).
const Path = "/api/v1/executor"

// DefaultMaxBodyBytes bounds a call's body; larger ones get 413.
const DefaultMaxBodyBytes = 16 << 20

// Backend carries out validated calls.
type Backend interface {
	// Subscribe attaches the executor's event stream. The first event
	// queued on it is SUBSCRIBED.
	Subscribe(ctx context.Context, call *executor.Call) (*Stream, error)
	// Call handles UPDATE and MESSAGE.
	Call(ctx context.Context, call *executor.Call) error
}

// Stream is one executor subscription.
type Stream struct {
	// Events are written to the client as they are queued.
	Events *queue.Queue[*executor.Event]
	// Done closes when the backend ends the subscription; events queued
	// before it closed are still written.
	Done <-chan struct{}
	// Closed, when set, is called once the response has ended, whoever
	// ended it, so the backend can tell a client that went away.
	Closed func()
}

// Error is a refused call with the status to answer it with.
type Error struct {
	Status int
	Msg    string
}

func (e *Error) Error() string { return e.Msg }

// BadRequest, Forbidden and Unavailable build the refusals a Backend
// returns: a malformed or inconsistent call (400), a call the executor may
// not make now (403, e.g. before SUBSCRIBE), and an agent that cannot
// serve it (503).
func BadRequest(format string, args ...any) *Error {
	return errorf(http.StatusBadRequest, format, args...)
}

// Forbidden is a 403 refusal; see BadRequest.
func Forbidden(format string, args ...any) *Error {
	return errorf(http.StatusForbidden, format, args...)
}

// Unavailable is a 503 refusal; see BadRequest.
func Unavailable(format string, args ...any) *Error {
	return errorf(http.StatusServiceUnavailable, format, args...)
}

func errorf(status int, format string, args ...any) *Error {
	return &Error{Status: status, Msg: fmt.Sprintf(format, args...)}
}

// Handler serves the executor API.
type Handler struct {
	b            Backend
	log          *zap.Logger
	maxBodyBytes int64
}

// New returns a Handler for b; log may be nil.
func New(b Backend, log *zap.Logger) *Handler {
	if log == nil {
		log = zap.NewNop()
	}
	return &Handler{b: b, log: log.Named("executorapi"), maxBodyBytes: DefaultMaxBodyBytes}
}

// SetMaxBodyBytes changes the request body limit.
func (h *Handler) SetMaxBodyBytes(n int64) { h.maxBodyBytes = n }

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	call := &executor.Call{}
	// Required fields are checked by Validate with messages that name
	// them, so decoding accepts partial messages.
	respCodec, ok := httpapi.DecodeCall(w, r, call, httpapi.DecodeOptions{MaxBody: h.maxBodyBytes, What: "executor Call", AllowPartial: true})
	if !ok {
		return
	}
	if err := Validate(call); err != nil {
		writeError(w, err)
		return
	}
	if call.GetType() == executor.Call_SUBSCRIBE {
		stream, err := h.b.Subscribe(r.Context(), call)
		if err != nil {
			writeError(w, err)
			return
		}
		h.log.Debug("executor subscribed", zap.String("framework_id", call.GetFrameworkId().GetValue()),
			zap.String("executor_id", call.GetExecutorId().GetValue()))
		writeStream(w, r, respCodec, stream)
		if stream.Closed != nil {
			stream.Closed()
		}
		return
	}
	if err := h.b.Call(r.Context(), call); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

// writeStream writes the subscription's events as RecordIO until the
// backend ends it or the client goes away.
func writeStream(w http.ResponseWriter, r *http.Request, c codec.Codec, s *Stream) {
	w.Header().Set("Content-Type", c.MediaType())
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	_ = rc.Flush()
	var buf []byte
	var batch []*executor.Event
	flush := func() bool {
		batch = s.Events.Drain(batch)
		for _, e := range batch {
			if b, err := c.Marshal(e); err == nil {
				buf = recordio.Append(buf, b)
			}
		}
		clear(batch)
		if len(buf) == 0 {
			return true
		}
		_, err := w.Write(buf)
		buf = buf[:0]
		return err == nil && rc.Flush() == nil
	}
	for {
		select {
		case <-r.Context().Done():
			return
		case <-s.Events.Ready():
			if !flush() {
				return
			}
		case <-s.Done:
			flush()
			return
		}
	}
}

// writeError maps a refusal to its status; anything else is a 500.
func writeError(w http.ResponseWriter, err error) {
	var e *Error
	switch {
	case errors.As(err, &e):
		httpError(w, e.Status, e.Msg)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		httpError(w, http.StatusServiceUnavailable, "Agent is not available: "+err.Error())
	default:
		httpError(w, http.StatusInternalServerError, err.Error())
	}
}

func httpError(w http.ResponseWriter, status int, msg string) { httpapi.Error(w, status, msg) }
