package api

import (
	"context"
	"io"
	"os"
	"runtime/pprof"
	"testing"
	"time"
)

func BenchmarkZZTiming(b *testing.B) {
	c := bigMaster(b)
	caches := c.h.caches
	for round := 0; round < 12; round++ {
		if round == 2 {
			f, _ := os.Create("/tmp/sp/warm.prof")
			pprof.StartCPUProfile(f)
			defer pprof.StopCPUProfile()
		}
		t0 := time.Now()
		s, _ := c.m.State(context.Background())
		t1 := time.Now()
		pb, _ := caches.getStateProto(s)
		_ = pb.writeTo(io.Discard)
		t2 := time.Now()
		js, _ := caches.getStateJSON(s)
		_ = js.writeTo(io.Discard)
		t3 := time.Now()
		st, _ := caches.masterState(s)
		_ = st.writeTo(io.Discard)
		t4 := time.Now()
		b.Logf("round %d: State %v, pb %v, json %v, state %v", round, t1.Sub(t0), t2.Sub(t1), t3.Sub(t2), t4.Sub(t3))
	}
}
