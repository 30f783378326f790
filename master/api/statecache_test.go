package api

import (
	"testing"
	"time"
)

// Encodings are dropped once no read has come for the ttl, and not before.
func TestIdleDropperDropsAfterTTL(t *testing.T) {
	dropped := make(chan time.Time, 1)
	d := &idleDropper{ttl: 50 * time.Millisecond, drop: func() { dropped <- time.Now() }}
	start := time.Now()
	d.read()
	select {
	case at := <-dropped:
		if idle := at.Sub(start); idle < d.ttl {
			t.Errorf("dropped after %v, before the ttl %v", idle, d.ttl)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the caches were never dropped")
	}
	d.read() // a read after a drop arms it again
	select {
	case <-dropped:
	case <-time.After(5 * time.Second):
		t.Fatal("the caches were not dropped after the second read")
	}
}

// A ttl of 0 keeps nothing armed.
func TestIdleDropperOff(t *testing.T) {
	d := &idleDropper{drop: func() { t.Error("dropped with no ttl") }}
	d.read()
	if d.timer != nil {
		t.Error("a timer was armed with no ttl")
	}
}
