package master

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/agoraproject/agora/internal/election"
	"github.com/agoraproject/agora/internal/store"
	"github.com/agoraproject/agora/internal/zkurl"
	"github.com/agoraproject/agora/proto/codec"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// LeaderConfig configures a Leader.
type LeaderConfig struct {
	// Master configures each term's master.
	Master Config
	// ZK is the election's "zk://host:port,.../path" (--zk); empty means a
	// single master that leads from the start.
	ZK string
	// ZKSessionTimeout is the ZooKeeper session timeout
	// (--zk_session_timeout): how long a dead leader keeps its place.
	ZKSessionTimeout time.Duration
	// Registry stores the registry; nil keeps it in memory (nothing
	// survives a restart).
	Registry store.Store
	// Lead is called when a term's master is recovered and about to run:
	// route requests to it. Follow is called when the term ends, before
	// the master stops.
	Lead   func(*Master)
	Follow func()
}

// Leader runs a master in terms of leadership. Each term is a fresh Master
// (a new master ID, so IDs it hands out never collide with an earlier
// term's) that contends in ZooKeeper, and once elected recovers the
// registry and runs until it loses leadership: its framework and agent
// streams are closed then, and they find the new leader. Without ZK there
// is one term, led at once.
type Leader struct {
	cfg LeaderConfig
	zk  zkurl.URL
	log *zap.Logger
	el  atomic.Pointer[election.Elector]
}

// NewLeader checks cfg.
func NewLeader(cfg LeaderConfig) (*Leader, error) {
	if err := cfg.Master.Validate(); err != nil {
		return nil, err
	}
	l := &Leader{cfg: cfg, log: cfg.Master.Logger.Named("leader")}
	if cfg.ZK != "" {
		u, err := zkurl.Parse(cfg.ZK)
		if err != nil {
			return nil, fmt.Errorf("zk: %w", err)
		}
		if u.Path == "/" {
			return nil, fmt.Errorf("zk: %s: name a znode path for the masters, like zk://host:2181/agora", u.Redacted())
		}
		l.zk = u
	}
	if cfg.ZKSessionTimeout < 0 || (cfg.ZKSessionTimeout > 0 && cfg.ZKSessionTimeout < 100*time.Millisecond) {
		return nil, fmt.Errorf("zk_session_timeout: %v: want at least 100ms", cfg.ZKSessionTimeout)
	}
	if l.cfg.ZKSessionTimeout == 0 {
		l.cfg.ZKSessionTimeout = DefaultZKSessionTimeout
	}
	if l.cfg.Registry == nil {
		l.cfg.Registry = store.NewMemory()
	}
	if l.cfg.Lead == nil {
		l.cfg.Lead = func(*Master) {}
	}
	if l.cfg.Follow == nil {
		l.cfg.Follow = func() {}
	}
	return l, nil
}

// LeaderInfo returns the leading master's MasterInfo as this process last
// saw it in ZooKeeper (its own while it leads); ok is false when no leader
// is known.
func (l *Leader) LeaderInfo() (info *mesos.MasterInfo, ok bool) {
	el := l.el.Load()
	if el == nil {
		return nil, false
	}
	data, ok := el.Leader()
	if !ok {
		return nil, false
	}
	info = &mesos.MasterInfo{}
	if err := codec.JSON.Unmarshal(data, info); err != nil {
		l.log.Warn("the leader's znode is not a MasterInfo", zap.Error(err))
		return nil, false
	}
	return info, true
}

// Run contends and leads until ctx ends.
func (l *Leader) Run(ctx context.Context) error {
	for {
		err := l.term(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			l.log.Error("leadership term ended", zap.Error(err))
		}
		select {
		case <-time.After(time.Second / 2):
		case <-ctx.Done():
			return nil
		}
	}
}

func (l *Leader) term(ctx context.Context) error {
	m, err := New(l.cfg.Master)
	if err != nil {
		return err
	}
	if l.cfg.ZK == "" {
		return l.lead(ctx, m, nil)
	}
	el, err := newElector(m, l.zk, l.cfg.ZKSessionTimeout, l.cfg.Master.Logger)
	if err != nil {
		return err
	}
	ectx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		_ = el.Run(ectx)
		close(done)
	}()
	defer func() {
		cancel()
		<-done // its znode is deleted when the session still works
	}()
	l.el.Store(el)
	l.log.Info("contending for leadership", zap.String("zk", l.zk.Redacted()), zap.String("master_id", m.ID()),
		zap.Duration("zk_session_timeout", l.cfg.ZKSessionTimeout))
	for !el.IsLeader() {
		select {
		case <-el.Changes():
		case <-ctx.Done():
			return nil
		}
	}
	return l.lead(ctx, m, el)
}

// lead recovers the registry into m and runs it while el says it leads.
func (l *Leader) lead(ctx context.Context, m *Master, el *election.Elector) error {
	start := time.Now()
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	registry := l.cfg.Registry
	if el != nil && registry != nil {
		// Every registry write checks the term's election znode still
		// exists, so a write this master sent just before its session
		// expired cannot land after the next leader's.
		own, ok := el.Own()
		if !ok {
			return errors.New("lost leadership before recovering the registry")
		}
		registry = store.Fence(registry, own)
	}
	reg, err := LoadRegistry(lctx, registry, l.cfg.Master.Logger)
	if err != nil {
		return err
	}
	if el != nil && !el.IsLeader() {
		return errors.New("lost leadership while recovering the registry")
	}
	m.Recover(reg)
	regDone := make(chan struct{})
	go func() {
		reg.Run(lctx)
		close(regDone)
	}()
	runDone := make(chan error, 1)
	go func() { runDone <- m.Run(lctx) }()
	l.cfg.Lead(m)
	l.log.Info("leading", zap.String("master_id", m.ID()), zap.Duration("recovery", time.Since(start)))
	var changes <-chan struct{}
	if el != nil {
		changes = el.Changes()
	}
	var why error
wait:
	for {
		select {
		case <-changes:
			if !el.IsLeader() {
				why = errors.New("lost leadership")
				l.log.Warn("lost leadership; closing every stream so frameworks and agents find the new leader", zap.String("master_id", m.ID()))
				break wait
			}
		case err := <-runDone:
			runDone <- err
			why = fmt.Errorf("master stopped: %v", err)
			break wait
		case <-ctx.Done():
			break wait
		}
	}
	l.cfg.Follow()
	cancel()
	<-runDone
	<-regDone
	return why
}
