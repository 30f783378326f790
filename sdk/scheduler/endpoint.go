package scheduler

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
)

const apiPath = "/api/v1/scheduler"

// parseMasters turns Config.Master into scheduler endpoint URLs.
func parseMasters(s string) ([]*url.URL, error) {
	var out []*url.URL
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if strings.HasPrefix(part, "zk://") {
			return nil, fmt.Errorf("scheduler: master %q: ZooKeeper detection is not built in; pass the masters' host:port list", part)
		}
		if !strings.Contains(part, "://") {
			part = "http://" + part
		}
		u, err := url.Parse(part)
		if err != nil {
			return nil, fmt.Errorf("scheduler: master %q: %w", part, err)
		}
		if u.Scheme != "http" && u.Scheme != "https" {
			return nil, fmt.Errorf("scheduler: master %q: scheme must be http or https", part)
		}
		if u.Host == "" {
			return nil, fmt.Errorf("scheduler: master %q: no host", part)
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
		return nil, errors.New("scheduler: Master is required")
	}
	return out, nil
}

// endpoints tracks where requests go: the leader once a redirect (or a
// successful subscription) has told us, otherwise the configured masters in
// turn. Calls made from other goroutines read it concurrently with Run.
type endpoints struct {
	mu      sync.Mutex
	masters []*url.URL
	next    int
	leader  *url.URL
}

func newEndpoints(masters []*url.URL) *endpoints {
	return &endpoints{masters: masters}
}

// current is the URL to try now.
func (e *endpoints) current() *url.URL {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.leader != nil {
		return e.leader
	}
	return e.masters[e.next%len(e.masters)]
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
	if e.leader != nil {
		e.leader = nil
		return
	}
	e.next = (e.next + 1) % len(e.masters)
}
