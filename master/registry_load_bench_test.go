package master

import (
	"context"
	"fmt"
	"testing"

	"github.com/agoraproject/agora/internal/store"
)

// BenchmarkLoadRegistry loads a registry of 1,000 agents from memory: the
// decoding a new leader does before it accepts calls.
func BenchmarkLoadRegistry(b *testing.B) {
	st := store.NewMemory()
	ctx := context.Background()
	reg, err := LoadRegistry(ctx, st, nil)
	if err != nil {
		b.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go reg.Run(rctx)
	for i := range 1000 {
		if err := reg.Admit(ctx, agentInfo(fmt.Sprintf("a-S%d", i), fmt.Sprintf("host%d", i))); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for range b.N {
		if _, err := LoadRegistry(ctx, st, nil); err != nil {
			b.Fatal(err)
		}
	}
}
