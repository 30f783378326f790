package scheduler

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"

	"github.com/agoraproject/agora/internal/zkurl"
	"github.com/agoraproject/agora/sdk/detector"
)

const apiPath = "/api/v1/scheduler"

// parseMasters turns Config.Master into scheduler endpoint URLs, or
// returns zk for a "zk://..." master (whose comma-separated servers are
// part of the one URL).
func parseMasters(s string) (out []*url.URL, zk string, err error) {
	if detector.IsZK(s) {
		zk = strings.TrimSpace(s)
		if _, err := zkurl.Parse(zk); err != nil {
			return nil, "", fmt.Errorf("scheduler: master: %w", err)
		}
		return nil, zk, nil
	}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if detector.IsZK(part) {
			return nil, "", fmt.Errorf("scheduler: master %q: a zk:// URL must be the only master", part)
		}
		if !strings.Contains(part, "://") {
			part = "http://" + part
		}
		u, err := url.Parse(part)
		if err != nil {
			return nil, "", fmt.Errorf("scheduler: master %q: %w", part, err)
		}
		if u.Scheme != "http" && u.Scheme != "https" {
			return nil, "", fmt.Errorf("scheduler: master %q: scheme must be http or https", part)
		}
		if u.Host == "" {
			return nil, "", fmt.Errorf("scheduler: master %q: no host", part)
		}
		// Accept both a bare master address and the full endpoint, and a
		// path prefix for masters behind a proxy ("/master").
		if !strings.HasSuffix(u.Path, apiPath) {
			u.Path = strings.TrimSuffix(u.Path, "/") + apiPath
		}
		u.RawQuery, u.Fragment = "", ""
		out = append(out, u)
	}
	if len(out) == 0 {
		return nil, "", errors.New("scheduler: Master is required")
	}
	return out, "", nil
}

// endpoints tracks where requests go: the leader once a redirect (or a
// successful subscription) has told us, otherwise the configured masters in
// turn, or with a zk:// master the leader ZooKeeper names. Calls made from
// other goroutines read it concurrently with Run.
type endpoints struct {
	mu      sync.Mutex
	masters []*url.URL
	next    int
	leader  *url.URL
	// zk is set for a zk:// master; detected is the leader found there,
	// nil while none is known. changed wakes Run's backoff when it moves.
	zk       bool
	https    bool
	detected *url.URL
	changed  chan struct{}
}

func newEndpoints(masters []*url.URL) *endpoints {
	return &endpoints{masters: masters}
}

// newDetectedEndpoints follows a zk:// master. ZooKeeper's MasterInfo has
// no scheme, so a client configured for TLS reaches the detected leader
// over https, as Mesos's drivers do with SSL enabled.
func newDetectedEndpoints(https bool) *endpoints {
	return &endpoints{zk: true, https: https, changed: make(chan struct{}, 1)}
}

// ErrNoLeader is returned by calls while a zk:// master has no known
// leader; Run keeps waiting for one.
var ErrNoLeader = errors.New("scheduler: no leading master known")

// current is the URL to try now.
func (e *endpoints) current() (*url.URL, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.leader != nil {
		return e.leader, nil
	}
	if e.zk {
		if e.detected == nil {
			return nil, ErrNoLeader
		}
		return e.detected, nil
	}
	return e.masters[e.next%len(e.masters)], nil
}

// setDetected records the leader ZooKeeper names (base URL, or nil).
func (e *endpoints) setDetected(base *url.URL) {
	var u *url.URL
	if base != nil {
		u = base.JoinPath(apiPath)
		if e.https && u.Scheme == "http" {
			u.Scheme = "https"
		}
	}
	e.mu.Lock()
	e.detected, e.leader = u, nil
	e.mu.Unlock()
	select {
	case e.changed <- struct{}{}:
	default:
	}
}

// redirect records the leader named by a 307 Location, resolved against the
// URL that answered it: Mesos sends a scheme-relative "//host:port/path".
func (e *endpoints) redirect(from *url.URL, location string) (*url.URL, error) {
	loc, err := url.Parse(location)
	if err != nil || location == "" {
		return nil, fmt.Errorf("scheduler: bad redirect Location %q", location)
	}
	to := from.ResolveReference(loc)
	if to.Host == "" {
		return nil, fmt.Errorf("scheduler: redirect Location %q names no host", location)
	}
	e.mu.Lock()
	e.leader = to
	e.mu.Unlock()
	return to, nil
}

// failover forgets the leader and moves on to the next configured master,
// because the one we were talking to has gone away or has no leader.
func (e *endpoints) failover() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.leader != nil || e.zk {
		e.leader = nil
		return
	}
	e.next = (e.next + 1) % len(e.masters)
}
