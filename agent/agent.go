package agent

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/agoraproject/agora/agent/containerizer"
	"github.com/agoraproject/agora/agent/containerizer/posix"
	"github.com/agoraproject/agora/agent/fetcher"
	"github.com/agoraproject/agora/agent/internal/clock"
	agentres "github.com/agoraproject/agora/agent/resources"
	"github.com/agoraproject/agora/agent/statusupdate"
	"github.com/agoraproject/agora/internal/telemetry"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	protores "github.com/agoraproject/agora/proto/resources"
)

// ErrRemoved is wrapped by the error Run returns when the master sent
// SHUTDOWN: the master removed the agent, so it must not come back under
// the same ID.
var ErrRemoved = errors.New("the master removed the agent")

// Agent is one agent. Create it with New and start it with Run.
type Agent struct {
	cfg           Config
	log           *zap.Logger
	clock         clock.Clock
	rng           *rand.Rand
	containerizer containerizer.Containerizer
	fetcher       *fetcher.Fetcher
	master        *masterClient
	hostname      string
	ip            string
	resources     []*mesos.Resource
	attributes    []*mesos.Attribute
	bootID        string
	startTime     time.Time

	id       atomic.Pointer[string]
	snapshot atomic.Pointer[stateSnapshot]
	started  atomic.Bool

	updatesSent atomic.Uint64        // status updates sent to the master, resends included
	logToggle   *telemetry.LogToggle // set by SetLogLevel

	// msgs carries results from goroutines to the loop; done closes when
	// the loop has returned, so that senders never block forever.
	msgs chan any
	done chan struct{}

	// Everything below is owned by the loop goroutine.
	runCtx              context.Context // outlives Run's ctx while tasks drain
	sess                session
	frameworks          map[string]*framework
	tasks               map[taskKey]*task
	updates             *statusupdate.Manager
	launching           int // launches in flight
	groups              int // task groups launched, to number them
	completedFrameworks []*framework
	removed             error         // set by SHUTDOWN
	dirty               bool          // the snapshot is stale
	checkpoints         []*task       // task records due (checkpoint.go)
	sandboxSlots        chan struct{} // bounds sandbox creation (launch.go)

	exits exitReports // EXECUTOR_EXITED calls not yet delivered (executorexits.go)
}

// New checks cfg, detects the host's resources and returns an Agent that
// has not contacted the master yet.
func New(cfg Config) (*Agent, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	workDir, err := filepath.Abs(cfg.WorkDir)
	if err != nil {
		return nil, fmt.Errorf("agent: work_dir: %w", err)
	}
	cfg.WorkDir = workDir
	endpoint, _ := masterURL(cfg.Master) // checked by Validate
	a := &Agent{
		cfg:        cfg,
		log:        cfg.Logger.Named("agent"),
		clock:      cfg.Clock,
		master:     &masterClient{http: cfg.HTTPClient},
		msgs:       make(chan any, 64),
		done:       make(chan struct{}),
		frameworks: map[string]*framework{},
		tasks:      map[taskKey]*task{},
		updates:    statusupdate.New(cfg.StatusUpdates),
		startTime:  cfg.Clock.Now(),
		bootID:     bootID(),
	}
	if a.master.http == nil {
		a.master.http = newHTTPClient()
	}
	a.master.setEndpoint(endpoint)
	seed := cfg.Seed
	if seed == 0 {
		seed = time.Now().UnixNano()
	}
	a.rng = rand.New(rand.NewSource(seed))
	a.containerizer = cfg.Containerizer
	if a.containerizer == nil {
		if a.containerizer, err = posix.New(posix.Config{Logger: a.log}); err != nil {
			return nil, err
		}
	}
	if a.fetcher, err = newFetcher(cfg, a.log); err != nil {
		return nil, fmt.Errorf("agent: %w", err)
	}
	host, err := agentres.Probe(workDir)
	if err != nil {
		return nil, fmt.Errorf("agent: detecting resources: %w", err)
	}
	if a.resources, err = agentres.Compute(host, cfg.Resources); err != nil {
		return nil, fmt.Errorf("agent: %w", err)
	}
	if a.attributes, err = protores.ParseAttributes(cfg.Attributes); err != nil {
		return nil, fmt.Errorf("agent: %w", err)
	}
	if a.hostname = cfg.Hostname; a.hostname == "" {
		if a.hostname, err = os.Hostname(); err != nil {
			return nil, fmt.Errorf("agent: hostname: %w", err)
		}
	}
	if a.ip = cfg.IP; a.ip == "" {
		a.ip = outboundIP(masterHostPort(cfg.Master, endpoint))
	}
	a.log.Info("agent configured",
		zap.String("master", cfg.Master), zap.String("work_dir", workDir),
		zap.String("hostname", a.hostname), zap.String("endpoint", a.endpoint()),
		zap.String("resources", protores.String(a.resources)), zap.Int64("seed", seed))
	a.publish()
	return a, nil
}

// ID returns the agent ID the master assigned, or "" before the first
// SUBSCRIBED.
func (a *Agent) ID() string {
	if p := a.id.Load(); p != nil {
		return *p
	}
	return ""
}

// Handler returns the agent's HTTP endpoints; the caller serves them on
// Config.IP:Config.Port.
func (a *Agent) Handler() http.Handler { return a.newRouter() }

// Run registers with the master and runs tasks until ctx is done, the
// master removes the agent (an error wrapping ErrRemoved) or the work
// directory cannot be created. Before returning it kills every task:
// SIGTERM, then SIGKILL after the task's grace period (with DetachOnStop,
// only those of frameworks that do not checkpoint). It returns nil when ctx
// ended it. Run may be called once.
//
// Before subscribing, Run recovers what the checkpoint under
// <work_dir>/meta describes (recover.go): an agent restarted on the same
// boot keeps its ID and the running tasks of checkpointing frameworks.
func (a *Agent) Run(ctx context.Context) error {
	if !a.started.CompareAndSwap(false, true) {
		return errors.New("agent: Run called twice")
	}
	defer close(a.done)
	if err := os.MkdirAll(a.cfg.WorkDir, 0o755); err != nil {
		return fmt.Errorf("agent: work_dir: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	a.runCtx = runCtx
	a.recoverState(ctx)
	a.flushCheckpoints()
	if err := a.detectLeader(runCtx); err != nil {
		return err
	}
	a.connect()
	for a.removed == nil {
		a.flushCheckpoints()
		a.publishIfDirty()
		timer := a.timer()
		select {
		case <-ctx.Done():
			timer.Stop()
			if a.cfg.DetachOnStop {
				a.log.Info("stopping: leaving the tasks of checkpointing frameworks running")
				a.detach()
				return nil
			}
			a.log.Info("stopping: killing all tasks")
			a.drain()
			return nil
		case m := <-a.msgs:
			a.handleBatch(m)
		case <-timer.C():
			a.tick(a.clock.Now())
		}
		timer.Stop()
	}
	a.log.Error("the master removed this agent; killing all tasks", zap.Error(a.removed))
	a.drain()
	// A removed agent must not come back under its ID.
	if err := os.RemoveAll(a.metaPath()); err != nil {
		a.log.Error("removing the checkpoint failed", zap.Error(err))
	}
	return a.removed
}

// timer returns a timer for the loop's next deadline; one that never fires
// when there is none.
func (a *Agent) timer() clock.Timer {
	at, ok := a.nextDeadline()
	if !ok {
		return stoppedTimer{}
	}
	return a.clock.NewTimer(at.Sub(a.clock.Now()))
}

type stoppedTimer struct{}

func (stoppedTimer) C() <-chan time.Time { return nil }
func (stoppedTimer) Stop() bool          { return false }

// nextDeadline is the earliest time the loop must wake up without a message.
func (a *Agent) nextDeadline() (at time.Time, ok bool) {
	consider := func(t time.Time, valid bool) {
		if valid && (!ok || t.Before(at)) {
			at, ok = t, true
		}
	}
	consider(a.sess.deadline())
	if a.sess.subscribed {
		consider(a.updates.Next())
	}
	for _, t := range a.tasks {
		consider(t.killDeadline, !t.killDeadline.IsZero())
	}
	consider(a.executorDeadline())
	return at, ok
}

// tick does whatever has come due at now.
func (a *Agent) tick(now time.Time) {
	a.flushCheckpoints() // no update leaves before its record
	a.sessionTick(now)
	if a.sess.subscribed {
		for _, u := range a.updates.Due(now) {
			a.sendUpdate(u)
		}
	}
	a.escalateKills(now)
}

// maxBatch bounds the messages the loop applies between two ticks.
const maxBatch = 256

// handleBatch applies m and whatever other messages are already queued
// (up to maxBatch), then ticks once: under a burst of launches and
// acknowledgements the records they change are written together and the
// updates they make due are sent together.
func (a *Agent) handleBatch(m any) {
	a.handle(m)
	for n := 1; n < maxBatch && a.removed == nil; n++ {
		select {
		case m := <-a.msgs:
			a.handle(m)
		default:
			n = maxBatch
		}
	}
	// Whatever changed may have made updates due (a new task's first
	// update is due at once).
	a.tick(a.clock.Now())
}

// handle applies one message from a goroutine.
func (a *Agent) handle(m any) {
	switch m := m.(type) {
	case streamOpened:
		a.streamOpened(m)
	case streamEvent:
		a.streamEvent(m)
	case streamClosed:
		a.streamClosed(m)
	case launched:
		a.launched(m)
	case exited:
		a.exited(m)
	case loopMsg:
		m.apply(a)
	default:
		panic(fmt.Sprintf("agent: unexpected message %T", m))
	}
}

// post delivers m to the loop, or drops it once the loop has returned.
func (a *Agent) post(m any) {
	select {
	case a.msgs <- m:
	case <-a.done:
	}
}

// drain kills every task and waits for the containers to exit, handling
// only launch and exit messages. It gives up after the longest grace period
// plus a margin, so a stuck process cannot hold the agent forever.
func (a *Agent) drain() {
	a.disconnect()
	longest := max(a.cfg.KillGracePeriod, a.shutdownCustomExecutors(""))
	for _, t := range a.tasks {
		if t.live() {
			longest = max(longest, a.killTask(t, nil, false))
		}
	}
	a.waitContainers(longest, func() int { return a.launching + a.liveContainers() })
}

// waitContainers handles launch and exit messages until live counts none,
// giving up after longest plus a margin.
func (a *Agent) waitContainers(longest time.Duration, live func() int) {
	giveUp := a.clock.Now().Add(longest + 10*time.Second)
	for live() > 0 {
		a.flushCheckpoints()
		a.publishIfDirty()
		at, ok := a.nextDeadline()
		if !ok || giveUp.Before(at) {
			at = giveUp
		}
		timer := a.clock.NewTimer(at.Sub(a.clock.Now()))
		select {
		case m := <-a.msgs:
			switch m := m.(type) {
			case launched:
				a.launched(m)
			case exited:
				a.exited(m)
			case loopMsg:
				m.apply(a)
			}
		case now := <-timer.C():
			if !now.Before(giveUp) {
				timer.Stop()
				a.log.Error("tasks did not exit after SIGKILL; giving up", zap.Int("containers", live()))
				a.flushCheckpoints()
				a.publishIfDirty()
				return
			}
			a.escalateKills(a.clock.Now())
		}
		timer.Stop()
	}
	a.flushCheckpoints()
	a.publishIfDirty()
}

// outboundIP returns the local address the kernel would use to reach
// hostport (no packet is sent), or 127.0.0.1.
func outboundIP(hostport string) string {
	c, err := net.Dial("udp", hostport)
	if err != nil {
		return "127.0.0.1"
	}
	defer c.Close()
	if addr, ok := c.LocalAddr().(*net.UDPAddr); ok && !addr.IP.IsUnspecified() {
		return addr.IP.String()
	}
	return "127.0.0.1"
}

// bootID identifies the host's boot, so the master can tell a restarted
// agent from a rebooted host.
func bootID() string {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

func (a *Agent) endpoint() string {
	return net.JoinHostPort(a.ip, fmt.Sprint(a.cfg.Port))
}
