// Package cgroups is the native containerizer: every container runs in
// cgroups of its own under a common parent (agora/<container_id>), with
// Mesos's limits — CPU shares of cpus × 1024, an optional CFS quota, a
// memory limit of mem, a pids limit — and accounting for
// /monitor/statistics. It uses cgroup v1 hierarchies (cpu, cpuacct,
// memory, pids, freezer) on legacy and hybrid hosts and the unified
// hierarchy on cgroup v2 hosts, through github.com/containerd/cgroups/v3.
//
// Every process of a container is in its cgroups from its first
// instruction: v1 moves the launching thread into them for the fork, v2
// clones straight into them (CLONE_INTO_CGROUP), so whatever the task
// forks stays inside. Killing a container freezes it, SIGKILLs every
// process, thaws it, waits until it is empty and deletes its cgroups; no
// process is left behind, setsid or not. When the kernel's OOM killer acts
// inside a container's memory limit, the container is destroyed and its
// ExitStatus carries REASON_CONTAINER_LIMITATION_MEMORY with a message
// naming the limit.
//
// It runs commands on the host filesystem (no images, no Docker) and, when
// the agent is root, as LaunchSpec.User. It does not choose whether to be
// used; the agent's flags (--isolation) decide that in cmd/.
package cgroups

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"

	cgroupsv3 "github.com/containerd/cgroups/v3"
	"go.uber.org/zap"

	"github.com/agoraproject/agora/agent/containerizer"
	"github.com/agoraproject/agora/agent/internal/hostcmd"
)

// DefaultRoot is the parent cgroup of all containers (--cgroups_root).
const DefaultRoot = "agora"

// Config configures the cgroups containerizer. The isolation switches
// default to off: a zero Config accounts for containers and can kill them
// whole, but limits nothing.
type Config struct {
	// Logger receives the containerizer's logs (default: none).
	Logger *zap.Logger
	// Root is the parent cgroup of every container, relative to the root
	// of each hierarchy (default "agora").
	Root string
	// CPU sets CPU shares (cgroups/cpu); CFS adds a hard CFS quota of
	// cpus × period (--cgroups_enable_cfs).
	CPU, CFS bool
	// Memory limits memory to the mem resource (cgroups/mem).
	Memory bool
	// Pids limits processes and threads to PidsLimit (cgroups/pids).
	Pids      bool
	PidsLimit int64
	// ReapTimeout bounds the wait for a killed container's processes to be
	// gone before its cgroups are deleted (default 10 s).
	ReapTimeout time.Duration
	// Version forces cgroup v1 or v2; 0 detects it from the host.
	Version int
	// Mountpoint is where the hierarchies are mounted (default
	// /sys/fs/cgroup; for v2 the unified mount, for v1 the directory
	// holding one mount per controller).
	Mountpoint string
	// ParallelLaunches bounds the launches that create cgroups and fork at
	// once (default twice the CPUs, at least 4); the others wait in
	// order. The kernel serializes cgroup creation anyway: a burst of a
	// thousand launches at once would only hold a thousand threads and
	// finish all of them late instead of the first ones early.
	ParallelLaunches int
}

func (c Config) withDefaults() Config {
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	if c.Root == "" {
		c.Root = DefaultRoot
	}
	if c.PidsLimit == 0 {
		c.PidsLimit = DefaultPidsLimit
	}
	if c.ReapTimeout == 0 {
		c.ReapTimeout = 10 * time.Second
	}
	if c.Mountpoint == "" {
		c.Mountpoint = "/sys/fs/cgroup"
	}
	if c.ParallelLaunches == 0 {
		c.ParallelLaunches = max(4, 2*runtime.GOMAXPROCS(0))
	}
	return c
}

// Validate reports invalid settings; zero fields take defaults.
func (c Config) Validate() error {
	switch {
	case c.Root != "" && !validPath(c.Root):
		return fmt.Errorf("cgroups: invalid root %q", c.Root)
	case c.PidsLimit < 0:
		return errors.New("cgroups: negative pids limit")
	case c.ReapTimeout < 0:
		return errors.New("cgroups: negative reap timeout")
	case c.ParallelLaunches < 0:
		return errors.New("cgroups: negative parallel launches")
	case c.Version != 0 && c.Version != 1 && c.Version != 2:
		return fmt.Errorf("cgroups: version %d is neither 1 nor 2", c.Version)
	case c.CFS && !c.CPU:
		return errors.New("cgroups: a CFS quota needs CPU isolation")
	}
	return nil
}

// validPath accepts a relative cgroup path without empty, . or ..
// elements.
func validPath(p string) bool {
	for _, e := range strings.Split(strings.Trim(p, "/"), "/") {
		if e == "" || e == "." || e == ".." {
			return false
		}
	}
	return true
}

// backend is one cgroup version's way of making container groups.
type backend interface {
	create(id string, l limits) (group, error)
	// load opens an existing container's group (recovery).
	load(id string) (group, error)
	// parents lists the directories holding the containers' cgroups.
	parents() []string
}

// Containerizer launches containers in cgroups. It is safe for concurrent
// use.
type Containerizer struct {
	cfg     Config
	log     *zap.Logger
	backend backend
	version int
	slots   chan struct{} // one per launch in progress (ParallelLaunches)
}

var _ containerizer.Containerizer = (*Containerizer)(nil)

// New detects the host's cgroup version, creates the parent cgroup and
// returns the containerizer. It fails when cgroups are missing or not
// writable (the agent then falls back to posix) or when an isolator the
// config enables has no controller on the host.
func New(cfg Config) (*Containerizer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	c := &Containerizer{cfg: cfg, log: cfg.Logger.Named("cgroups"), version: cfg.Version, slots: make(chan struct{}, cfg.ParallelLaunches)}
	if c.version == 0 {
		switch cgroupsv3.Mode() {
		case cgroupsv3.Unified:
			c.version = 2
		case cgroupsv3.Legacy, cgroupsv3.Hybrid:
			c.version = 1
		default:
			return nil, errors.New("cgroups: no cgroup hierarchy is mounted at /sys/fs/cgroup")
		}
	}
	var err error
	if c.version == 1 {
		c.backend, err = newV1(cfg, c.log)
	} else {
		c.backend, err = newV2(cfg, c.log)
	}
	if err != nil {
		return nil, err
	}
	if removed, busy := sweep(c.backend.parents(), time.Now()); removed+busy > 0 {
		c.log.Warn("containers of an earlier agent run under the cgroups root", zap.Int("removed_empty", removed),
			zap.Int("still_running", busy))
	}
	c.log.Info("cgroups containerizer ready", zap.Int("version", c.version), zap.String("root", cfg.Root),
		zap.Bool("cpu", cfg.CPU), zap.Bool("cfs", cfg.CFS), zap.Bool("mem", cfg.Memory), zap.Bool("pids", cfg.Pids))
	return c, nil
}

// Version is the cgroup version in use, 1 or 2.
func (c *Containerizer) Version() int { return c.version }

// Launch creates the container's cgroups with its limits, starts spec's
// command inside them and returns once it runs. When ParallelLaunches are
// in progress it first waits for one to end, or for ctx.
func (c *Containerizer) Launch(ctx context.Context, spec containerizer.LaunchSpec) (containerizer.Container, error) {
	if err := hostcmd.CheckHostContainer(spec.Container, "cgroups"); err != nil {
		return nil, err
	}
	if spec.ContainerID == "" || strings.Contains(spec.ContainerID, "/") || !validPath(spec.ContainerID) {
		return nil, fmt.Errorf("invalid container ID %q", spec.ContainerID)
	}
	select {
	case c.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting to launch: %w", ctx.Err())
	}
	defer func() { <-c.slots }()
	hc, err := hostcmd.Build(spec)
	if err != nil {
		return nil, err
	}
	defer hc.Close()
	lim := limitsFor(spec.Resources, c.cfg)
	g, err := c.backend.create(spec.ContainerID, lim)
	if err != nil {
		return nil, fmt.Errorf("failed to create the container's cgroups: %w", err)
	}
	ct := newContainer(spec.ContainerID, g, c.cfg, lim, c.log.With(zap.String("container_id", spec.ContainerID)))
	if lim.memBytes > 0 {
		if ct.stopOOM, err = g.watchOOM(ct.oomed); err != nil {
			_ = g.delete()
			return nil, fmt.Errorf("failed to watch the container's memory cgroup: %w", err)
		}
	}
	if err := g.start(hc.Cmd); err != nil {
		ct.stopOOM()
		_ = g.delete()
		return nil, fmt.Errorf("failed to start %q: %w", hc.Program, err)
	}
	ct.pid = hc.Cmd.Process.Pid
	if err := g.limitCPU(lim); err != nil {
		go ct.run(hc.Cmd)
		_ = ct.Kill()
		return nil, fmt.Errorf("failed to limit the container's CPU: %w", err)
	}
	ct.log.Debug("launched", zap.Int("pid", ct.pid), zap.Strings("argv", hc.Argv))
	go ct.run(hc.Cmd)
	return ct, nil
}
