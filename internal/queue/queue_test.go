package queue

import (
	"sync"
	"testing"
)

func TestBoundAndOrder(t *testing.T) {
	q := New[int](3)
	for i := 1; i <= 3; i++ {
		if !q.Push(i) {
			t.Fatalf("push %d refused", i)
		}
	}
	if q.Push(4) {
		t.Fatal("push beyond the bound accepted")
	}
	select {
	case <-q.Ready():
	default:
		t.Fatal("not signalled after push")
	}
	got := q.Drain(nil)
	if len(got) != 3 || got[0] != 1 || got[2] != 3 {
		t.Fatalf("drained %v", got)
	}
	if !q.Push(5) || q.Len() != 1 {
		t.Fatal("queue not reusable after drain")
	}
	q.Close()
	if q.Push(6) {
		t.Fatal("push after close accepted")
	}
	if got := q.Drain(nil); len(got) != 1 || got[0] != 5 {
		t.Fatalf("drain after close = %v", got)
	}
}

func TestConcurrentProducerConsumer(t *testing.T) {
	q := New[int](1 << 20)
	const n = 100000
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < n; i++ {
			q.Push(i)
		}
	}()
	next := 0
	var buf []int
	for next < n {
		<-q.Ready()
		buf = q.Drain(buf)
		for _, v := range buf {
			if v != next {
				t.Fatalf("got %d, want %d", v, next)
			}
			next++
		}
	}
	wg.Wait()
}
