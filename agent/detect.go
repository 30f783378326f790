package agent

import (
	"context"
	"net"
	"net/url"
	"strings"

	"go.uber.org/zap"

	"github.com/agoraproject/agora/internal/zkurl"
	"github.com/agoraproject/agora/sdk/detector"
)

// leaderDetected carries a change of the leading master from ZooKeeper to
// the loop (a loopMsg); endpoint is nil while no master leads.
type leaderDetected struct{ endpoint *url.URL }

// detectLeader follows the leading master when --master is a zk:// URL.
func (a *Agent) detectLeader(ctx context.Context) error {
	if !detector.IsZK(a.cfg.Master) {
		return nil
	}
	leaders, err := detector.Detect(ctx, a.cfg.Master, a.log.Named("detector"))
	if err != nil {
		return err
	}
	go func() {
		for u := range leaders {
			var endpoint *url.URL
			if u != nil {
				endpoint = u.JoinPath(AgentAPIPath)
				if a.cfg.MasterScheme != "" {
					endpoint.Scheme = a.cfg.MasterScheme
				}
			}
			a.post(leaderDetected{endpoint})
		}
	}()
	return nil
}

// apply switches to a new leader: a subscription to another master is
// abandoned and the agent reregisters with the new one at once.
func (m leaderDetected) apply(a *Agent) {
	old := a.master.endpoint.Load()
	a.master.setEndpoint(m.endpoint)
	if m.endpoint == nil {
		a.log.Warn("no leading master; waiting for one")
		return
	}
	if old != nil && old.String() == m.endpoint.String() && a.sess.cancel != nil {
		return
	}
	a.log.Info("new leading master detected; subscribing to it", zap.String("master", m.endpoint.String()))
	a.disconnect()
	a.sess.failures = 0
	a.connect()
}

// masterHostPort is a host:port on the way to the master, to pick the
// address the agent advertises: the master's, or with zk:// the first
// ZooKeeper server's.
func masterHostPort(master string, endpoint *url.URL) string {
	if endpoint != nil {
		return endpoint.Host
	}
	if u, err := zkurl.Parse(master); err == nil && len(u.Servers) > 0 {
		return u.Servers[0]
	}
	return net.JoinHostPort(strings.TrimPrefix(master, "zk://"), "0")
}
