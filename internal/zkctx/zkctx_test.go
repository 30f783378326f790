package zkctx

import (
	"context"
	"errors"
	"testing"
)

func TestCall(t *testing.T) {
	v, err := Call(context.Background(), func() (int, error) { return 7, nil })
	if v != 7 || err != nil {
		t.Fatalf("Call = %d, %v", v, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	release := make(chan struct{})
	defer close(release)
	_, err = Call(ctx, func() (int, error) { <-release; return 1, nil })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("a request blocked past its context: err %v, want context.Canceled", err)
	}
}
