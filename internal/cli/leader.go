package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/agoraproject/agora/sdk/detector"
)

// leaderWait bounds how long a command waits for ZooKeeper to name a
// leading master.
const leaderWait = 10 * time.Second

// masterBase is the master to ask: --master itself, or for a zk:// URL the
// leader it names, resolved once per command. A static URL that points at
// a standby is redirected to the leader by the master (307).
func masterBase(ctx context.Context, o *options) (string, error) {
	if !detector.IsZK(o.master) {
		return o.master, nil
	}
	ctx, cancel := context.WithTimeout(ctx, leaderWait)
	defer cancel()
	u, err := detector.Leader(ctx, o.master, nil)
	if err != nil {
		return "", fmt.Errorf("master: %w", err)
	}
	return u.String(), nil
}
