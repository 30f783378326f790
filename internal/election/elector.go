// Package election elects one leader among replicas through ZooKeeper, in
// the layout Mesos uses: each contender holds an ephemeral sequential znode
// "<Path>/<Prefix><10 digits>" whose data describes it, and the contender
// with the lowest sequence number leads. The master contends with prefix
// "json.info_" and its MasterInfo JSON, which is what Mesos-aware tools
// read; frameworks use their own prefix. Detect follows the leader without
// contending.
//
// A leader holds a lease on its session: when it has not heard from
// ZooKeeper for two thirds of the session timeout, or the session expired,
// it stops leading at once and contends again with a new session. The
// server only deletes its znode — letting another contender lead — a full
// session timeout after it last heard from it, so two leaders never
// overlap. This package only elects; what leading means is the caller's.
package election

import (
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-zookeeper/zk"
	"go.uber.org/zap"

	"github.com/agoraproject/agora/internal/zkctx"
)

// DefaultSessionTimeout is short for fast failover: a leader that dies is
// replaced in about this long. ZooKeeper grants timeouts between 2 and 20
// ticks (4 s to 40 s with its default 2 s tick).
const DefaultSessionTimeout = 4 * time.Second

// Config describes one contender.
type Config struct {
	// Servers are the ZooKeeper servers, "host:port".
	Servers []string
	// Path is the election's znode ("/mesos"); created if missing.
	Path string
	// Prefix starts each contender's znode name ("json.info_").
	Prefix string
	// Data is this contender's description, what followers and detectors
	// get as the leader's data.
	Data []byte
	// SessionTimeout defaults to DefaultSessionTimeout.
	SessionTimeout time.Duration
	// Auth is "user:pass" for ZooKeeper digest authentication, or "". The
	// znodes it creates are then writable by that user and readable by all
	// (detectors need no credentials).
	Auth string
	// Log defaults to a no-op logger.
	Log *zap.Logger
}

func (c Config) withDefaults() Config {
	if c.SessionTimeout == 0 {
		c.SessionTimeout = DefaultSessionTimeout
	}
	if c.Log == nil {
		c.Log = zap.NewNop()
	}
	return c
}

// Validate reports the first unusable field.
func (c Config) Validate() error {
	if err := validateTarget(c.Servers, c.Path, c.Prefix); err != nil {
		return err
	}
	if c.SessionTimeout < 0 || (c.SessionTimeout > 0 && c.SessionTimeout < 100*time.Millisecond) {
		return fmt.Errorf("election: SessionTimeout %v: want at least 100ms (0 for the default %v)", c.SessionTimeout, DefaultSessionTimeout)
	}
	if c.Auth != "" {
		if u, p, ok := strings.Cut(c.Auth, ":"); !ok || u == "" || p == "" {
			return errors.New("election: Auth: want user:pass")
		}
	}
	return nil
}

func validateTarget(servers []string, p, prefix string) error {
	switch {
	case len(servers) == 0:
		return errors.New("election: Servers: empty")
	case slices.Contains(servers, ""):
		return errors.New("election: Servers: empty address")
	case !strings.HasPrefix(p, "/") || (p != "/" && strings.HasSuffix(p, "/")) || path.Clean(p) != p:
		return fmt.Errorf("election: Path %q: want an absolute znode path like /mesos", p)
	case prefix == "" || strings.Contains(prefix, "/"):
		return fmt.Errorf("election: Prefix %q: want a non-empty name without slashes, like json.info_", prefix)
	}
	return nil
}

// Elector contends for leadership. Run it once; read it from any goroutine.
type Elector struct {
	cfg     Config
	log     *zap.Logger
	acl     []zk.ACL
	changes chan struct{}
	running atomic.Bool

	mu         sync.Mutex
	leading    bool
	leaderData []byte
	known      bool
	// lease is the current session's context while it may lead: nil, or
	// canceled, from the moment the session is in doubt until the next one
	// contends. No promotion without it.
	lease context.Context
	// own is the path of this contender's znode in its latest term.
	own string
}

// New checks cfg and returns an Elector that is not yet contending.
func New(cfg Config) (*Elector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	cfg.Data = slices.Clone(cfg.Data)
	e := &Elector{cfg: cfg, log: cfg.Log, changes: make(chan struct{}, 1), acl: zk.WorldACL(zk.PermAll)}
	if cfg.Auth != "" {
		user, pass, _ := strings.Cut(cfg.Auth, ":")
		e.acl = append(zk.DigestACL(zk.PermAll, user, pass), zk.WorldACL(zk.PermRead)...)
	}
	return e, nil
}

// IsLeader reports whether this contender leads now.
func (e *Elector) IsLeader() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.leading
}

// Own returns the path of this contender's znode while it leads. The znode
// is ephemeral: it exists exactly as long as the session that won, which
// makes it a fence for the leader's writes (store.Fence).
func (e *Elector) Own() (path string, ok bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.own, e.leading && e.own != ""
}

// Changes signals (coalesced, buffered 1) each change of IsLeader or Leader.
func (e *Elector) Changes() <-chan struct{} { return e.changes }

// Leader returns the current leader's data (this contender's own when it
// leads); ok is false when no leader is known.
func (e *Elector) Leader() (data []byte, ok bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.leaderData), e.known
}

// set records a new state and signals a change; promotion needs the lease.
func (e *Elector) set(leading bool, data []byte, known bool) {
	e.mu.Lock()
	if leading && (e.lease == nil || e.lease.Err() != nil) {
		e.mu.Unlock()
		return
	}
	changed := e.leading != leading || e.known != known || string(e.leaderData) != string(data)
	if e.leading != leading {
		e.log.Info("leadership changed", zap.Bool("leading", leading))
	}
	e.leading, e.leaderData, e.known = leading, data, known
	e.mu.Unlock()
	if changed {
		e.signal()
	}
}

func (e *Elector) signal() {
	select {
	case e.changes <- struct{}{}:
	default:
	}
}

// drop ends the lease: no longer leading, leader unknown, and no promotion
// until setLease.
func (e *Elector) drop(reason string) {
	e.mu.Lock()
	e.lease = nil
	wasLeading := e.leading
	e.mu.Unlock()
	if wasLeading {
		e.log.Warn("stepping down", zap.String("reason", reason))
	}
	e.set(false, nil, false)
}

func (e *Elector) setLease(ctx context.Context) {
	e.mu.Lock()
	e.lease = ctx
	e.mu.Unlock()
}

// Run contends until ctx is done, across session losses, and removes its
// znode before returning. It returns nil when ctx ends, or an error if
// called twice.
func (e *Elector) Run(ctx context.Context) error {
	if !e.running.CompareAndSwap(false, true) {
		return errors.New("election: Run called twice")
	}
	backoff := 100 * time.Millisecond
	for {
		start := time.Now()
		err := e.term(ctx)
		e.drop(fmt.Sprint(err))
		if ctx.Err() != nil {
			return nil
		}
		if time.Since(start) > 10*time.Second {
			backoff = 100 * time.Millisecond
		}
		e.log.Warn("session ended; contending again", zap.Error(err), zap.Duration("after", backoff))
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return nil
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// term is one session: connect, create the znode, follow the leader until
// the session is lost or ctx ends.
func (e *Elector) term(ctx context.Context) error {
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s, err := connect(e.cfg.Servers, e.cfg.SessionTimeout, e.log)
	if err != nil {
		return err
	}
	defer s.close()
	if err := s.waitUp(sctx); err != nil {
		return err
	}
	if s.timeout() != e.cfg.SessionTimeout {
		e.log.Warn("ZooKeeper granted another session timeout; failover follows it",
			zap.Duration("requested", e.cfg.SessionTimeout), zap.Duration("granted", s.timeout()))
	}
	var lostWhy atomic.Value
	go func() {
		// The lease watchdog: runs beside requests that may block.
		tick := time.NewTicker(max(s.timeout()/20, 10*time.Millisecond))
		defer tick.Stop()
		for {
			select {
			case <-sctx.Done():
				return
			case <-s.ended:
				lostWhy.Store("session expired")
				cancel()
				e.drop("session expired")
				return
			case now := <-tick.C:
				if leaseExpired(s.lastContact(), now, s.timeout()) {
					why := fmt.Sprintf("no word from ZooKeeper for %v", now.Sub(s.lastContact()).Round(time.Millisecond))
					lostWhy.Store(why)
					cancel()
					e.drop(why)
					return
				}
			}
		}
	}()
	if err := ensurePath(sctx, s.conn, e.cfg.Path, e.acl); err != nil {
		return e.why(err, &lostWhy)
	}
	e.setLease(sctx)
	for {
		name, err := e.create(sctx, s)
		if err != nil {
			return e.why(err, &lostWhy)
		}
		e.log.Info("contending", zap.String("znode", e.cfg.Path+"/"+name), zap.Int64("session", s.conn.SessionID()))
		err = watchLeader(sctx, s.conn, e.cfg.Path, e.cfg.Prefix, name, func(l leaderState) {
			switch {
			case l.name == "":
				e.set(false, nil, false)
			case l.name == name:
				e.mu.Lock()
				e.own = e.cfg.Path + "/" + name
				e.mu.Unlock()
				e.set(true, slices.Clone(e.cfg.Data), true)
			default:
				e.set(false, l.data, true)
			}
		})
		if !errors.Is(err, errGone) {
			if ctx.Err() != nil {
				e.resign(s, name)
			}
			return e.why(err, &lostWhy)
		}
		e.log.Warn("own znode was deleted; contending again", zap.String("znode", name))
		e.set(false, nil, false)
	}
}

func (e *Elector) why(err error, lost *atomic.Value) error {
	if w, ok := lost.Load().(string); ok {
		return errors.New(w)
	}
	return err
}

// resign deletes the znode so a follower takes over at once, not a session
// timeout later; leadership is dropped first, so the two never overlap.
func (e *Elector) resign(s *session, name string) {
	e.drop("shutting down")
	done := make(chan struct{})
	go func() {
		_ = s.conn.Delete(e.cfg.Path+"/"+name, -1)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(time.Second):
	}
}

// create makes this contender's ephemeral sequential znode. When the reply
// to a create is lost with the connection, the znode may exist anyway: it
// is found by its owner, this session.
func (e *Elector) create(ctx context.Context, s *session) (string, error) {
	for attempt := 0; ; attempt++ {
		p, err := zkctx.Call(ctx, func() (string, error) {
			return s.conn.Create(e.cfg.Path+"/"+e.cfg.Prefix, e.cfg.Data, zk.FlagEphemeral|zk.FlagSequence, e.acl)
		})
		if err == nil {
			return path.Base(p), nil
		}
		if ctx.Err() != nil || attempt >= 5 || !errors.Is(err, zk.ErrConnectionClosed) {
			return "", fmt.Errorf("create znode under %s: %w", e.cfg.Path, err)
		}
		if name, ok := e.findOwn(ctx, s); ok {
			return name, nil
		}
	}
}

func (e *Elector) findOwn(ctx context.Context, s *session) (string, bool) {
	kids, err := zkctx.Call(ctx, func() ([]string, error) { k, _, err := s.conn.Children(e.cfg.Path); return k, err })
	if err != nil {
		return "", false
	}
	for _, c := range candidates(kids, e.cfg.Prefix) {
		st, err := zkctx.Call(ctx, func() (*zk.Stat, error) { _, st, err := s.conn.Exists(e.cfg.Path + "/" + c.Name); return st, err })
		if err == nil && st != nil && st.EphemeralOwner == s.conn.SessionID() {
			return c.Name, true
		}
	}
	return "", false
}
