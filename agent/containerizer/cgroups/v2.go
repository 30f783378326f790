package cgroups

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/containerd/cgroups/v3/cgroup2"
	"go.uber.org/zap"
	"golang.org/x/sys/unix"
	"google.golang.org/protobuf/proto"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// v2 keeps containers in the unified hierarchy of a cgroup v2 host.
type v2 struct {
	mount string // the unified mount, /sys/fs/cgroup
	root  string // "/agora"
	log   *zap.Logger
}

func newV2(cfg Config, log *zap.Logger) (*v2, error) {
	b := &v2{mount: cfg.Mountpoint, root: "/" + filepathClean(cfg.Root), log: log}
	var controllers []string
	if cfg.CPU {
		controllers = append(controllers, "cpu")
	}
	if cfg.Memory {
		controllers = append(controllers, "memory")
	}
	if cfg.Pids {
		controllers = append(controllers, "pids")
	}
	// Creating the parent proves that the hierarchy is writable; its
	// children get the controllers the isolators need.
	m, err := cgroup2.NewManager(b.mount, b.root, &cgroup2.Resources{})
	if err != nil {
		return nil, fmt.Errorf("cgroups: creating %s: %w", b.root, err)
	}
	if len(controllers) > 0 {
		// Enables them in every ancestor of the parent ...
		if err := m.ToggleControllers(controllers, cgroup2.Enable); err != nil {
			return nil, fmt.Errorf("cgroups: enabling %v: %w", controllers, err)
		}
		// ... and in the parent itself, for the containers.
		sc := "+" + strings.Join(controllers, " +")
		if err := os.WriteFile(filepath.Join(b.mount, b.root, "cgroup.subtree_control"), []byte(sc), 0); err != nil {
			return nil, fmt.Errorf("cgroups: enabling %v under %s: %w", controllers, b.root, err)
		}
	}
	return b, nil
}

func (b *v2) parents() []string { return []string{filepath.Join(b.mount, b.root)} }

func (b *v2) create(id string, l limits) (group, error) {
	path := filepath.Join(b.mount, b.root, id)
	if err := os.Mkdir(path, 0o755); err != nil {
		return nil, err
	}
	var values [][2]string // CPU limits come after the start (limitCPU)
	if l.memBytes > 0 {
		values = append(values, [2]string{"memory.max", strconv.FormatInt(l.memBytes, 10)})
		if _, err := os.Stat(filepath.Join(path, "memory.swap.max")); err == nil {
			values = append(values, [2]string{"memory.swap.max", "0"})
		}
	}
	if l.pids > 0 {
		values = append(values, [2]string{"pids.max", strconv.FormatInt(l.pids, 10)})
	}
	if err := writeValues(path, values); err != nil {
		_ = os.Remove(path)
		return nil, err
	}
	m, err := cgroup2.Load(filepath.Join(b.root, id), cgroup2.WithMountpoint(b.mount))
	if err != nil {
		_ = os.Remove(path)
		return nil, err
	}
	return &v2Group{path: path, m: m, log: b.log}, nil
}

func writeValues(dir string, values [][2]string) error {
	for _, v := range values {
		if err := os.WriteFile(filepath.Join(dir, v[0]), []byte(v[1]), 0); err != nil {
			return fmt.Errorf("setting %s: %w", v[0], err)
		}
	}
	return nil
}

// limitCPU writes the CPU weight and quota.
func (g *v2Group) limitCPU(l limits) error {
	if l.shares == 0 {
		return nil
	}
	values := [][2]string{{"cpu.weight", strconv.FormatUint(cgroup2.ConvertCPUSharesToCgroupV2Value(l.shares), 10)}}
	if l.quotaUS > 0 {
		values = append(values, [2]string{"cpu.max", fmt.Sprintf("%d %d", l.quotaUS, l.periodUS)})
	}
	return writeValues(g.path, values)
}

// limitMemory writes memory.max (swap stays off, as at create).
func (g *v2Group) limitMemory(bytes int64) error {
	return writeValues(g.path, [][2]string{{"memory.max", strconv.FormatInt(bytes, 10)}})
}

func (g *v2Group) memoryUsage() (int64, error) {
	b, err := os.ReadFile(filepath.Join(g.path, "memory.current"))
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(string(trimSpace(b)), 10, 64)
}

// v2Group is one container's cgroup.
type v2Group struct {
	path string
	m    *cgroup2.Manager
	log  *zap.Logger
}

// start clones the child straight into the cgroup (CLONE_INTO_CGROUP).
func (g *v2Group) start(cmd *exec.Cmd) error {
	fd, err := unix.Open(g.path, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.UseCgroupFD, cmd.SysProcAttr.CgroupFD = true, fd
	return cmd.Start()
}

func (g *v2Group) procs() ([]int, error) { return readPids(filepath.Join(g.path, "cgroup.procs")) }

func (g *v2Group) freeze() error { return g.setFreeze("1") }
func (g *v2Group) thaw() error   { return g.setFreeze("0") }

// setFreeze writes cgroup.freeze and waits, briefly, until cgroup.events
// says the cgroup reached the state.
func (g *v2Group) setFreeze(v string) error {
	if err := os.WriteFile(filepath.Join(g.path, "cgroup.freeze"), []byte(v), 0); err != nil {
		return err
	}
	deadline := time.Now().Add(freezeTimeout)
	for delay := 50 * time.Microsecond; ; delay = min(2*delay, 10*time.Millisecond) {
		kv, err := readKV(filepath.Join(g.path, "cgroup.events"))
		if err != nil {
			return err
		}
		if strconv.FormatUint(kv["frozen"], 10) == v {
			return nil
		}
		if time.Now().After(deadline) {
			return errors.New("cgroup.freeze did not take effect")
		}
		time.Sleep(delay)
	}
}

// watchOOM follows memory.events through inotify.
func (g *v2Group) watchOOM(fn func()) (func(), error) {
	if _, err := os.Stat(filepath.Join(g.path, "memory.events")); err != nil {
		return nil, err
	}
	events, errs := g.m.EventChan()
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case ev := <-events:
				if ev.OOMKill > 0 || ev.OOM > 0 {
					select {
					case <-stop:
					default:
						fn()
					}
				}
			case <-errs: // closed when the cgroup empties or goes
				return
			}
		}
	}()
	return func() { close(stop) }, nil
}

func (g *v2Group) oomKilled() (bool, string) {
	kv, err := readKV(filepath.Join(g.path, "memory.events"))
	if err != nil || kv["oom_kill"] == 0 {
		return false, ""
	}
	return true, oomMessage(readUint(filepath.Join(g.path, "memory.max")),
		readUint(filepath.Join(g.path, "memory.peak")), filepath.Join(g.path, "memory.stat"))
}

// stats fills s from cpu.stat, memory.current and memory.stat, and the
// cgroup's process and thread lists.
func (g *v2Group) stats(s *mesos.ResourceStatistics) error {
	n, err := countLines(filepath.Join(g.path, "cgroup.procs"))
	if err != nil {
		return err
	}
	s.Processes = proto.Uint32(n)
	if n, err := countLines(filepath.Join(g.path, "cgroup.threads")); err == nil {
		s.Threads = proto.Uint32(n)
	}
	if kv, err := readKV(filepath.Join(g.path, "cpu.stat")); err == nil {
		s.CpusUserTimeSecs = proto.Float64(float64(kv["user_usec"]) / 1e6)
		s.CpusSystemTimeSecs = proto.Float64(float64(kv["system_usec"]) / 1e6)
		if _, ok := kv["nr_periods"]; ok {
			s.CpusNrPeriods = proto.Uint32(uint32(kv["nr_periods"]))
			s.CpusNrThrottled = proto.Uint32(uint32(kv["nr_throttled"]))
			s.CpusThrottledTimeSecs = proto.Float64(float64(kv["throttled_usec"]) / 1e6)
		}
	}
	if _, err := os.Stat(filepath.Join(g.path, "memory.current")); err == nil {
		s.MemTotalBytes = proto.Uint64(readUint(filepath.Join(g.path, "memory.current")))
		if kv, err := readKV(filepath.Join(g.path, "memory.stat")); err == nil {
			memoryStat(s, kv["anon"], kv["file"], kv["file_mapped"], readUint(filepath.Join(g.path, "memory.swap.current")), kv["unevictable"])
		}
	}
	return nil
}

// delete removes the cgroup; the kernel refuses while processes remain.
func (g *v2Group) delete() error { return rmdir(g.path) }

// load opens the existing cgroup of a container of an earlier agent run.
func (b *v2) load(id string) (group, error) {
	path := filepath.Join(b.mount, b.root, id)
	if _, err := os.Stat(path); err != nil {
		return nil, err
	}
	m, err := cgroup2.Load(filepath.Join(b.root, id), cgroup2.WithMountpoint(b.mount))
	if err != nil {
		return nil, err
	}
	return &v2Group{path: path, m: m, log: b.log}, nil
}
