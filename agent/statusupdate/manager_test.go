package statusupdate

import (
	"errors"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

var t0 = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

func status(task string, state mesos.TaskState, uuid string) *mesos.TaskStatus {
	return &mesos.TaskStatus{
		TaskId: &mesos.TaskID{Value: proto.String(task)},
		State:  state.Enum(),
		Uuid:   []byte(uuid),
	}
}

// uuids lists the uuids of updates, to compare sends exactly.
func uuids(us []Update) []string {
	var out []string
	for _, u := range us {
		out = append(out, u.FrameworkID+"/"+string(u.Status.GetUuid()))
	}
	return out
}

func equal(t *testing.T, got []Update, want ...string) {
	t.Helper()
	g := uuids(got)
	if len(g) != len(want) {
		t.Fatalf("sent %v, want %v", g, want)
	}
	for i := range g {
		if g[i] != want[i] {
			t.Fatalf("sent %v, want %v", g, want)
		}
	}
}

func TestOnlyHeadInFlightAndBackoff(t *testing.T) {
	m := New(Config{})
	must(t, m.Add("fw", status("t1", mesos.TaskState_TASK_STARTING, "u1"), t0))
	must(t, m.Add("fw", status("t1", mesos.TaskState_TASK_RUNNING, "u2"), t0))

	equal(t, m.Due(t0), "fw/u1")
	equal(t, m.Due(t0)) // sent; not due again yet
	// Resends at +1, +3 (1+2), +7 (3+4), ... capped at 60 s gaps.
	var resends []time.Duration
	now := t0
	for i := 0; i < 9; i++ {
		next, ok := m.Next()
		if !ok {
			t.Fatal("nothing pending")
		}
		resends = append(resends, next.Sub(now))
		now = next
		equal(t, m.Due(now), "fw/u1")
	}
	want := []time.Duration{1, 2, 4, 8, 16, 32, 60, 60, 60}
	for i := range want {
		if resends[i] != want[i]*time.Second {
			t.Fatalf("gaps %v, want %v seconds", resends, want)
		}
	}
}

func TestAcknowledgeAdvancesQueue(t *testing.T) {
	m := New(Config{RTTMultiple: -1}) // the fixed schedule; see TestFirstResendFollowsRoundTrip
	must(t, m.Add("fw", status("t1", mesos.TaskState_TASK_STARTING, "u1"), t0))
	must(t, m.Add("fw", status("t1", mesos.TaskState_TASK_RUNNING, "u2"), t0))
	must(t, m.Add("fw", status("t1", mesos.TaskState_TASK_FINISHED, "u3"), t0))
	equal(t, m.Due(t0), "fw/u1")

	if _, err := m.Acknowledge("fw", "t1", []byte("u2"), t0); !errors.Is(err, ErrUnexpectedUUID) {
		t.Fatalf("ack of a non-head: %v", err)
	}
	now := t0.Add(500 * time.Millisecond)
	ack, err := m.Acknowledge("fw", "t1", []byte("u1"), now)
	if err != nil || ack.Terminal {
		t.Fatalf("ack u1: %+v %v", ack, err)
	}
	// The next head is due at once, with a fresh backoff.
	equal(t, m.Due(now), "fw/u2")
	if next, _ := m.Next(); next != now.Add(time.Second) {
		t.Fatalf("next resend at %v, want +1s", next.Sub(now))
	}
	if _, err := m.Acknowledge("fw", "t1", []byte("u1"), now); !errors.Is(err, ErrUnexpectedUUID) {
		t.Fatalf("duplicate ack: %v", err)
	}
	if _, err := m.Acknowledge("fw", "t1", []byte("u2"), now); err != nil {
		t.Fatal(err)
	}
	equal(t, m.Due(now), "fw/u3")
	ack, err = m.Acknowledge("fw", "t1", []byte("u3"), now)
	if err != nil || !ack.Terminal {
		t.Fatalf("terminal ack: %+v %v", ack, err)
	}
	if m.Len() != 0 {
		t.Fatalf("stream not forgotten: %d", m.Len())
	}
	if _, ok := m.Next(); ok {
		t.Fatal("Next after everything was acknowledged")
	}
	if _, err := m.Acknowledge("fw", "t1", []byte("u3"), now); !errors.Is(err, ErrUnknownStream) {
		t.Fatalf("ack after forget: %v", err)
	}
}

func TestNothingAfterTerminal(t *testing.T) {
	m := New(Config{})
	must(t, m.Add("fw", status("t1", mesos.TaskState_TASK_FAILED, "u1"), t0))
	if err := m.Add("fw", status("t1", mesos.TaskState_TASK_RUNNING, "u2"), t0); !errors.Is(err, ErrTerminated) {
		t.Fatalf("update after terminal: %v", err)
	}
	if err := m.Add("fw", status("t2", mesos.TaskState_TASK_RUNNING, ""), t0); !errors.Is(err, ErrNoUUID) {
		t.Fatalf("update without uuid: %v", err)
	}
}

func TestStreamsAreIndependentAndOrdered(t *testing.T) {
	m := New(Config{})
	must(t, m.Add("fw2", status("a", mesos.TaskState_TASK_RUNNING, "x"), t0))
	must(t, m.Add("fw1", status("b", mesos.TaskState_TASK_RUNNING, "y"), t0))
	must(t, m.Add("fw1", status("a", mesos.TaskState_TASK_RUNNING, "z"), t0.Add(time.Second)))
	equal(t, m.Due(t0), "fw1/y", "fw2/x")
	equal(t, m.Due(t0.Add(time.Second)), "fw1/z", "fw1/y", "fw2/x") // by framework, then task
	if head, n := m.Head("fw1", "a"); n != 1 || string(head.GetUuid()) != "z" {
		t.Fatalf("Head = %v, %d", head, n)
	}
	if head, n := m.Head("fw1", "nope"); head != nil || n != 0 {
		t.Fatal("Head of an unknown task")
	}
}

func TestRetryMakesEverythingDue(t *testing.T) {
	m := New(Config{InitialBackoff: 10 * time.Millisecond, MaxBackoff: 40 * time.Millisecond})
	must(t, m.Add("fw", status("a", mesos.TaskState_TASK_RUNNING, "x"), t0))
	for i := 0; i < 5; i++ {
		next, _ := m.Next()
		m.Due(next)
	}
	later := t0.Add(time.Hour)
	m.Retry(later)
	equal(t, m.Due(later), "fw/x")
	if next, _ := m.Next(); next != later.Add(10*time.Millisecond) {
		t.Fatalf("backoff not reset: %v", next.Sub(later))
	}
}

func TestConfigValidate(t *testing.T) {
	if err := (Config{}).Validate(); err != nil {
		t.Fatal(err)
	}
	if err := (Config{InitialBackoff: time.Minute, MaxBackoff: time.Second}).Validate(); err == nil {
		t.Fatal("max below initial accepted")
	}
	if err := (Config{InitialBackoff: -1}).Validate(); err == nil {
		t.Fatal("negative backoff accepted")
	}
}

func TestIsTerminal(t *testing.T) {
	for s, want := range map[mesos.TaskState]bool{
		mesos.TaskState_TASK_RUNNING: false, mesos.TaskState_TASK_KILLING: false,
		mesos.TaskState_TASK_UNREACHABLE: false, mesos.TaskState_TASK_LOST: true,
		mesos.TaskState_TASK_FINISHED: true, mesos.TaskState_TASK_KILLED: true,
	} {
		if IsTerminal(s) != want {
			t.Errorf("IsTerminal(%v) = %v", s, !want)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestFirstResendFollowsRoundTrip(t *testing.T) {
	m := New(Config{})
	now := t0
	// Nothing measured yet: the first resend comes after InitialBackoff.
	must(t, m.Add("fw", status("t1", mesos.TaskState_TASK_STARTING, "u1"), now))
	must(t, m.Add("fw", status("t2", mesos.TaskState_TASK_STARTING, "v1"), now))
	equal(t, m.Due(now), "fw/u1", "fw/v1")
	if next, _ := m.Next(); next != now.Add(time.Second) {
		t.Fatalf("first resend after %v, want 1s", next.Sub(now))
	}
	equal(t, m.Due(now.Add(time.Second)), "fw/u1", "fw/v1")

	// u1 is acknowledged 2 s after its first send (one resend on the
	// way): the master is slow. v1's second resend, due at +3 s, waits
	// until 4 round trips have passed since its first send.
	ackOK(t)(m.Acknowledge("fw", "t1", []byte("u1"), now.Add(2*time.Second)))
	if m.RoundTrip() != 2*time.Second {
		t.Fatalf("round trip %v, want 2s", m.RoundTrip())
	}
	equal(t, m.Due(now.Add(3*time.Second)))
	if next, _ := m.Next(); next != now.Add(8*time.Second) {
		t.Fatalf("v1 resent at %v, want 8s after its first send", next.Sub(now))
	}
	equal(t, m.Due(now.Add(8*time.Second)), "fw/v1")

	// A new update's first resend waits 4 round trips, later ones double.
	now = now.Add(8 * time.Second)
	must(t, m.Add("fw", status("t3", mesos.TaskState_TASK_STARTING, "w1"), now))
	equal(t, m.Due(now), "fw/w1")
	at := earliest(t, m, "t3")
	if at != now.Add(8*time.Second) {
		t.Fatalf("first resend after %v, want 8s (4 round trips)", at.Sub(now))
	}
	equal(t, m.Due(at), "fw/v1", "fw/w1")
	ackOK(t)(m.Acknowledge("fw", "t2", []byte("v1"), at))
	// A fast acknowledgement moves the estimate by an eighth of the gap.
	before := m.RoundTrip()
	must(t, m.Add("fw", status("t4", mesos.TaskState_TASK_STARTING, "x1"), at))
	equal(t, m.Due(at), "fw/x1")
	ackOK(t)(m.Acknowledge("fw", "t4", []byte("x1"), at.Add(100*time.Millisecond)))
	if want := before + (100*time.Millisecond-before)/8; m.RoundTrip() != want {
		t.Fatalf("round trip %v, want %v", m.RoundTrip(), want)
	}
}

// earliest is when the task's head is next due.
func earliest(t *testing.T, m *Manager, task string) time.Time {
	t.Helper()
	s := m.streams[key{"fw", task}]
	if s == nil {
		t.Fatalf("no stream for %s", task)
	}
	return s.next
}

func TestFirstResendCappedByMaxBackoff(t *testing.T) {
	m := New(Config{MaxBackoff: 5 * time.Second})
	must(t, m.Add("fw", status("t1", mesos.TaskState_TASK_STARTING, "u1"), t0))
	equal(t, m.Due(t0), "fw/u1")
	ackOK(t)(m.Acknowledge("fw", "t1", []byte("u1"), t0.Add(10*time.Second)))
	must(t, m.Add("fw", status("t2", mesos.TaskState_TASK_STARTING, "v1"), t0))
	equal(t, m.Due(t0), "fw/v1")
	if next, _ := m.Next(); next != t0.Add(5*time.Second) {
		t.Fatalf("first resend after %v, want the 5s cap", next.Sub(t0))
	}
}

// ackOK fails the test when the acknowledgement it is given failed.
func ackOK(t *testing.T) func(Ack, error) {
	return func(_ Ack, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestRetryFrameworkMakesOnlyItsUpdatesDue(t *testing.T) {
	m := New(Config{InitialBackoff: time.Second, MaxBackoff: time.Minute})
	must(t, m.Add("back", status("a", mesos.TaskState_TASK_RUNNING, "x"), t0))
	must(t, m.Add("other", status("b", mesos.TaskState_TASK_RUNNING, "y"), t0))
	now := t0
	for i := 0; i < 6; i++ { // the backoff grows to 32 s
		next, _ := m.Next()
		now = next
		m.Due(now)
	}
	later := now.Add(time.Second)
	equal(t, m.Due(later)) // nothing is due yet
	m.RetryFramework("back", later)
	equal(t, m.Due(later), "back/x")
	if next, _ := m.Next(); next != later.Add(time.Second) {
		t.Fatalf("backoff of the retried framework not reset: next send after %v", next.Sub(later))
	}
}
