package election

import (
	"context"
	"slices"
	"time"

	"go.uber.org/zap"
)

// Detect follows the leader of the election at path among znodes named
// prefix+sequence, without contending: agents, the SDK and the CLI find the
// master this way. The channel gets the leader's data at the start and
// each time the leader changes, nil while there is none; a slow reader gets
// the latest. It is closed when ctx is done. Errors are only for bad
// arguments; ZooKeeper outages are waited out.
func Detect(ctx context.Context, servers []string, path, prefix string, log *zap.Logger) (<-chan []byte, error) {
	if err := validateTarget(servers, path, prefix); err != nil {
		return nil, err
	}
	if log == nil {
		log = zap.NewNop()
	}
	out := make(chan []byte)
	latest := make(chan []byte, 1) // holds the newest unsent value
	publish := func(v []byte) {
		select {
		case <-latest: // drop the stale one
		default:
		}
		latest <- v
	}
	go func() {
		defer close(out)
		for {
			select {
			case v := <-latest:
				select {
				case out <- v:
				case <-ctx.Done():
					return
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() {
		var last *leaderState
		backoff := 100 * time.Millisecond
		for ctx.Err() == nil {
			start := time.Now()
			err := detectTerm(ctx, servers, path, prefix, log, func(l leaderState) {
				if last != nil && last.name == l.name {
					return
				}
				last = &l
				log.Info("leader changed", zap.String("znode", l.name))
				if l.name == "" {
					publish(nil)
				} else {
					publish(slices.Clone(l.data))
				}
			})
			if ctx.Err() != nil {
				return
			}
			if time.Since(start) > 10*time.Second {
				backoff = 100 * time.Millisecond
			}
			log.Warn("session ended; detecting again", zap.Error(err))
			select {
			case <-time.After(backoff):
			case <-ctx.Done():
				return
			}
			backoff = min(2*backoff, 5*time.Second)
		}
	}()
	return out, nil
}

func detectTerm(ctx context.Context, servers []string, path, prefix string, log *zap.Logger, report func(leaderState)) error {
	s, err := connect(servers, DefaultSessionTimeout, log)
	if err != nil {
		return err
	}
	defer s.close()
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-s.ended:
			cancel()
		case <-sctx.Done():
		}
	}()
	if err := s.waitUp(sctx); err != nil {
		return err
	}
	return watchLeader(sctx, s.conn, path, prefix, "", report)
}
