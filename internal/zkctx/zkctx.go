// Package zkctx bounds ZooKeeper requests by a context. The go-zookeeper
// client's requests take no context and wait for a connection, so a caller
// that must give up (a cancelled store write, an election that is shutting
// down) runs them through Call.
package zkctx

import "context"

// Call runs f, returning its result, or ctx's error as soon as ctx ends
// (f then finishes in the background and its result is dropped).
func Call[T any](ctx context.Context, f func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() {
		v, err := f()
		ch <- result{v, err}
	}()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}
