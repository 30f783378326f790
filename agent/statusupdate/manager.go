// Package statusupdate is the agent's status update manager: it keeps, per
// task, a FIFO of status updates and decides which one to (re)send when, so
// that every update reaches the framework at least once and in order.
//
// Only the head of a task's queue is in flight. It is resent with
// exponential backoff (1 s doubling, capped at 60 s by default) until an
// acknowledgement carrying its uuid arrives; then the next update becomes
// the head and is due at once. When a terminal update is acknowledged the
// task's stream is forgotten.
//
// No resend goes out before RTTMultiple times the smoothed round trip of
// recent acknowledgements has passed since the update's first send: when a
// loaded master or slow frameworks take seconds to acknowledge, resending
// after a fixed second would only add to their load updates that are still
// on their way. A round trip is measured from an update's first send, so an
// update that was resent counts with its whole wait; under load the
// estimate errs long, the safe side for an at-least-once protocol.
//
// The Manager is a pure core: it holds state, takes the current time as an
// argument and returns the updates to send. It starts no goroutines, does no
// I/O and never reads the clock; the agent's loop sends what Due returns and
// arms a timer for Next. It is not safe for concurrent use. The agent
// checkpoints each task's queue (Pending) with the task and replays it
// through Add on recovery.
package statusupdate

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"time"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// Config tunes the retry schedule.
type Config struct {
	// InitialBackoff is the delay before the first resend (default 1 s).
	InitialBackoff time.Duration
	// MaxBackoff caps the doubling delay (default 60 s).
	MaxBackoff time.Duration
	// RTTMultiple: the first resend waits at least this many smoothed
	// acknowledgement round trips (default 4; negative turns it off).
	RTTMultiple float64
}

func (c Config) withDefaults() Config {
	if c.InitialBackoff == 0 {
		c.InitialBackoff = time.Second
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = 60 * time.Second
	}
	if c.RTTMultiple == 0 {
		c.RTTMultiple = 4
	}
	return c
}

// Validate reports a schedule that cannot work; zero fields take defaults.
func (c Config) Validate() error {
	c = c.withDefaults()
	if c.InitialBackoff < 0 || c.MaxBackoff < 0 {
		return errors.New("statusupdate: backoffs must be positive")
	}
	if c.MaxBackoff < c.InitialBackoff {
		return fmt.Errorf("statusupdate: max backoff %v is below the initial backoff %v", c.MaxBackoff, c.InitialBackoff)
	}
	return nil
}

// Update is one status update of one framework's task.
type Update struct {
	FrameworkID string
	Status      *mesos.TaskStatus
}

// Ack describes the effect of an accepted acknowledgement.
type Ack struct {
	// Terminal is true when the acknowledged update was the task's terminal
	// one: the stream is gone and the agent may forget the task.
	Terminal bool
}

// Errors returned by Add and Acknowledge.
var (
	// ErrNoUUID: every update must carry a uuid to be acknowledged by.
	ErrNoUUID = errors.New("statusupdate: status has no uuid")
	// ErrTerminated: the task already has a terminal update queued.
	ErrTerminated = errors.New("statusupdate: task already has a terminal update")
	// ErrUnknownStream: no pending updates for that task.
	ErrUnknownStream = errors.New("statusupdate: no pending updates for the task")
	// ErrUnexpectedUUID: the uuid is not the one of the update in flight
	// (typically a duplicate acknowledgement).
	ErrUnexpectedUUID = errors.New("statusupdate: acknowledgement does not match the pending update")
)

type key struct{ framework, task string }

type stream struct {
	queue    []*mesos.TaskStatus
	next     time.Time     // when the head is due
	backoff  time.Duration // delay after the next send
	terminal bool          // a terminal update is queued
	sentAt   time.Time     // first send of the head
	sent     bool          // the head has been sent
}

// Manager holds every task's pending updates.
type Manager struct {
	cfg     Config
	streams map[key]*stream
	srtt    time.Duration // smoothed acknowledgement round trip; 0 before the first sample
}

// New returns an empty Manager. cfg's zero fields take defaults; New panics
// on a config Validate rejects, since that is a programming error.
func New(cfg Config) *Manager {
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	return &Manager{cfg: cfg.withDefaults(), streams: make(map[key]*stream)}
}

// Add queues st for the task. If the queue was empty, st becomes the head
// and is due at now.
func (m *Manager) Add(frameworkID string, st *mesos.TaskStatus, now time.Time) error {
	if len(st.GetUuid()) == 0 {
		return ErrNoUUID
	}
	k := key{frameworkID, st.GetTaskId().GetValue()}
	s := m.streams[k]
	if s == nil {
		s = &stream{}
		m.streams[k] = s
	}
	if s.terminal {
		return ErrTerminated
	}
	if len(s.queue) == 0 {
		s.next, s.backoff = now, m.cfg.InitialBackoff
	}
	s.queue = append(s.queue, st)
	s.terminal = IsTerminal(st.GetState())
	return nil
}

// Acknowledge pops the task's head if its uuid matches. The next update, if
// any, is due at now.
func (m *Manager) Acknowledge(frameworkID, taskID string, uuid []byte, now time.Time) (Ack, error) {
	k := key{frameworkID, taskID}
	s := m.streams[k]
	if s == nil || len(s.queue) == 0 {
		return Ack{}, ErrUnknownStream
	}
	if !bytes.Equal(s.queue[0].GetUuid(), uuid) {
		return Ack{}, ErrUnexpectedUUID
	}
	if s.sent {
		m.sample(now.Sub(s.sentAt))
	}
	s.sent = false
	head := s.queue[0]
	s.queue[0] = nil
	s.queue = s.queue[1:]
	if len(s.queue) == 0 {
		delete(m.streams, k)
		return Ack{Terminal: IsTerminal(head.GetState())}, nil
	}
	s.next, s.backoff = now, m.cfg.InitialBackoff
	return Ack{}, nil
}

// Due returns, in a stable order, the heads that are due at now and
// schedules each one's next resend, doubling its backoff.
func (m *Manager) Due(now time.Time) []Update {
	var out []Update
	for k, s := range m.streams {
		if len(s.queue) == 0 || s.next.After(now) {
			continue
		}
		d := s.backoff
		if !s.sent {
			s.sentAt, s.sent = now, true
			d = min(max(d, m.rto()), m.cfg.MaxBackoff)
		} else if wait := s.sentAt.Add(min(m.rto(), m.cfg.MaxBackoff)); wait.After(now) {
			// Round trips measured since the first send say the
			// acknowledgement may well be on its way.
			s.next = wait
			continue
		}
		out = append(out, Update{FrameworkID: k.framework, Status: s.queue[0]})
		s.next = now.Add(d)
		s.backoff = min(2*d, m.cfg.MaxBackoff)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].FrameworkID != out[j].FrameworkID {
			return out[i].FrameworkID < out[j].FrameworkID
		}
		return out[i].Status.GetTaskId().GetValue() < out[j].Status.GetTaskId().GetValue()
	})
	return out
}

// Next returns when the earliest head is due; ok is false when nothing is
// pending.
func (m *Manager) Next() (at time.Time, ok bool) {
	for _, s := range m.streams {
		if len(s.queue) == 0 {
			continue
		}
		if !ok || s.next.Before(at) {
			at, ok = s.next, true
		}
	}
	return at, ok
}

// Retry makes every head due at now with its backoff reset. The agent calls
// it after (re)subscribing, since whatever was in flight on the old
// connection may have been lost.
func (m *Manager) Retry(now time.Time) {
	for _, s := range m.streams {
		s.next, s.backoff, s.sent = now, m.cfg.InitialBackoff, false
	}
}

// RetryFramework makes the heads of one framework's tasks due at now with
// their backoff reset. The agent calls it when the master reports that the
// framework (re)subscribed: updates that found it gone are worth resending
// at once instead of after a backoff that may have grown to a minute.
func (m *Manager) RetryFramework(frameworkID string, now time.Time) {
	for k, s := range m.streams {
		if k.framework == frameworkID {
			s.next, s.backoff, s.sent = now, m.cfg.InitialBackoff, false
		}
	}
}

// sample folds one round trip into the smoothed estimate with TCP's gain
// of 1/8, so one slow acknowledgement moves it only a little.
func (m *Manager) sample(rtt time.Duration) {
	if rtt < 0 {
		return
	}
	if m.srtt == 0 {
		m.srtt = rtt
		return
	}
	m.srtt += (rtt - m.srtt) / 8
}

// rto is the least delay before a first resend that the measured round
// trips call for; 0 without samples.
func (m *Manager) rto() time.Duration {
	if m.cfg.RTTMultiple <= 0 {
		return 0
	}
	return time.Duration(m.cfg.RTTMultiple * float64(m.srtt))
}

// RoundTrip returns the smoothed acknowledgement round trip, 0 before the
// first acknowledgement.
func (m *Manager) RoundTrip() time.Duration { return m.srtt }

// Head returns the task's update in flight and the number of queued
// updates, head included; head is nil when none are pending.
func (m *Manager) Head(frameworkID, taskID string) (head *mesos.TaskStatus, n int) {
	s := m.streams[key{frameworkID, taskID}]
	if s == nil || len(s.queue) == 0 {
		return nil, 0
	}
	return s.queue[0], len(s.queue)
}

// Pending returns a copy of the task's queue, head first (checkpointing).
func (m *Manager) Pending(frameworkID, taskID string) []*mesos.TaskStatus {
	s := m.streams[key{frameworkID, taskID}]
	if s == nil {
		return nil
	}
	return append([]*mesos.TaskStatus(nil), s.queue...)
}

// Len returns the number of tasks with pending updates.
func (m *Manager) Len() int { return len(m.streams) }

// IsTerminal reports whether a task in state s can never change state
// again, by Mesos's definition (TASK_LOST counts; TASK_UNREACHABLE does not).
func IsTerminal(s mesos.TaskState) bool {
	switch s {
	case mesos.TaskState_TASK_FINISHED, mesos.TaskState_TASK_FAILED, mesos.TaskState_TASK_KILLED,
		mesos.TaskState_TASK_ERROR, mesos.TaskState_TASK_LOST, mesos.TaskState_TASK_DROPPED,
		mesos.TaskState_TASK_GONE, mesos.TaskState_TASK_GONE_BY_OPERATOR:
		return true
	}
	return false
}

// Queued returns how many updates wait for an acknowledgement, over all
// tasks (the heads in flight included).
func (m *Manager) Queued() int {
	n := 0
	for _, s := range m.streams {
		n += len(s.queue)
	}
	return n
}
