package clock

import (
	"testing"
	"time"
)

func TestFakeFiresInOrderOnAdvance(t *testing.T) {
	start := time.Unix(1000, 0)
	f := NewFake(start)
	late, early := f.NewTimer(2*time.Second), f.NewTimer(time.Second)
	stopped := f.NewTimer(time.Second)
	if !stopped.Stop() || stopped.Stop() {
		t.Fatal("Stop should report true once")
	}
	f.Advance(999 * time.Millisecond)
	select {
	case <-early.C():
		t.Fatal("fired early")
	default:
	}
	f.Advance(time.Millisecond)
	if got := <-early.C(); !got.Equal(start.Add(time.Second)) {
		t.Fatalf("fired at %v", got)
	}
	if f.Pending() != 1 {
		t.Fatalf("pending %d, want 1", f.Pending())
	}
	f.Advance(time.Hour)
	<-late.C()
	if early.Stop() {
		t.Fatal("Stop of a fired timer reported true")
	}
	select {
	case <-stopped.C():
		t.Fatal("a stopped timer fired")
	default:
	}
	if imm := f.NewTimer(0); len(imm.C()) != 1 {
		t.Fatal("a zero timer should fire at once")
	}
	if !f.Now().Equal(start.Add(time.Hour + time.Second)) {
		t.Fatalf("Now = %v", f.Now())
	}
}

func TestReal(t *testing.T) {
	c := Real()
	tm := c.NewTimer(time.Hour)
	if !tm.Stop() {
		t.Fatal("Stop")
	}
	if c.Now().IsZero() {
		t.Fatal("Now")
	}
}
