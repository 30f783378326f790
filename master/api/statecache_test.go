package api

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/agoraproject/agora/master"
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

// A read waits for a free slot and gives up when its client goes away.
func TestStateReadWaitsForASlot(t *testing.T) {
	c := newStateCaches(0)
	for i := 0; i < cap(c.slots); i++ {
		c.slots <- struct{}{} // every slot busy
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := c.read(ctx, nil, func(*master.State) (*body, error) { return nil, nil })
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("the read did not wait for a slot: %v", err)
	default:
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the read kept waiting after its client went away")
	}
}
