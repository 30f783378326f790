package scheduler

import (
	"context"

	"go.uber.org/zap"

	"github.com/agoraproject/agora/sdk/detector"
)

// detectLeader follows the leading master when Config.Master is a zk://
// URL. A leader that dies or steps down ends the subscription; Run then
// resubscribes, with the framework ID, to the leader found here.
func (c *Client) detectLeader(ctx context.Context) error {
	if !c.ep.zk {
		return nil
	}
	leaders, err := detector.Detect(ctx, c.cfg.Master, c.log.Named("detector"))
	if err != nil {
		return err
	}
	go func() {
		for u := range leaders {
			if u == nil {
				c.log.Warn("no leading master")
			} else {
				c.log.Info("leading master detected", zap.String("master", u.Host))
			}
			c.ep.setDetected(u)
		}
	}()
	return nil
}
