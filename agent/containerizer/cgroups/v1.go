package cgroups

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"time"

	"github.com/containerd/cgroups/v3/cgroup1"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"go.uber.org/zap"
	"golang.org/x/sys/unix"
)

// pather is what cgroup1's subsystems implement to locate a cgroup.
type pather interface {
	cgroup1.Subsystem
	Path(path string) string
}

// v1 keeps containers in the cpu, cpuacct, memory, pids and freezer
// hierarchies of a cgroup v1 (or hybrid) host.
type v1 struct {
	root    string // "/agora"
	subs    []cgroup1.Subsystem
	dirs    map[cgroup1.Name]string // each hierarchy's mount directory
	memsw   bool                    // swap accounting: limit memory+swap too
	log     *zap.Logger
	hierOpt cgroup1.InitOpts
}

func newV1(cfg Config, log *zap.Logger) (*v1, error) {
	b := &v1{root: "/" + filepathClean(cfg.Root), dirs: map[cgroup1.Name]string{}, log: log}
	required := map[cgroup1.Name]bool{cgroup1.Freezer: true, cgroup1.Cpu: cfg.CPU, cgroup1.Memory: cfg.Memory, cgroup1.Pids: cfg.Pids}
	wanted := map[cgroup1.Name]bool{cgroup1.Freezer: true, cgroup1.Cpu: true, cgroup1.Cpuacct: true, cgroup1.Memory: true, cgroup1.Pids: true}
	for _, name := range []cgroup1.Name{cgroup1.Freezer, cgroup1.Cpu, cgroup1.Cpuacct, cgroup1.Memory, cgroup1.Pids} {
		dir := filepath.Join(cfg.Mountpoint, string(name))
		if _, err := os.Stat(filepath.Join(dir, "cgroup.procs")); err != nil {
			if required[name] {
				return nil, fmt.Errorf("cgroups: the %s hierarchy is not mounted at %s", name, dir)
			}
			delete(wanted, name)
			continue
		}
		b.dirs[name] = dir
	}
	for _, s := range []cgroup1.Subsystem{
		cgroup1.NewFreezer(cfg.Mountpoint), cgroup1.NewCpu(cfg.Mountpoint), cgroup1.NewCpuacct(cfg.Mountpoint),
		cgroup1.NewMemory(cfg.Mountpoint, cgroup1.OptionalSwap()), cgroup1.NewPids(cfg.Mountpoint),
	} {
		if wanted[s.Name()] {
			b.subs = append(b.subs, s)
		}
	}
	_, err := os.Stat(filepath.Join(b.dirs[cgroup1.Memory], "memory.memsw.limit_in_bytes"))
	b.memsw = err == nil
	b.hierOpt = cgroup1.WithHierarchy(func() ([]cgroup1.Subsystem, error) { return b.subs, nil })
	// Creating the parent proves that the hierarchies are writable.
	if _, err := cgroup1.New(cgroup1.StaticPath(b.root), &specs.LinuxResources{}, b.hierOpt); err != nil {
		return nil, fmt.Errorf("cgroups: creating %s: %w", b.root, err)
	}
	return b, nil
}

func (b *v1) parents() []string {
	var out []string
	for _, s := range b.subs {
		out = append(out, s.(pather).Path(b.root))
	}
	return out
}

func filepathClean(p string) string { return filepath.Clean("/" + p)[1:] }

func (b *v1) create(id string, l limits) (group, error) {
	// CPU limits come after the start (limitCPU).
	res := &specs.LinuxResources{}
	if l.memBytes > 0 {
		res.Memory = &specs.LinuxMemory{Limit: &l.memBytes, Reservation: &l.memBytes}
		if b.memsw {
			res.Memory.Swap = &l.memBytes // no swapping around the limit
		}
	}
	if l.pids > 0 {
		res.Pids = &specs.LinuxPids{Limit: &l.pids}
	}
	path := b.root + "/" + id
	cg, err := cgroup1.New(cgroup1.StaticPath(path), res, b.hierOpt)
	if err != nil {
		if cg, lerr := cgroup1.Load(cgroup1.StaticPath(path), b.hierOpt); lerr == nil {
			_ = cg.Delete()
		}
		return nil, err
	}
	return &v1Group{b: b, path: path, cg: cg}, nil
}

// limitCPU writes the CPU shares and CFS quota.
func (g *v1Group) limitCPU(l limits) error {
	if l.shares == 0 {
		return nil
	}
	dir := g.dir(cgroup1.Cpu)
	values := [][2]string{{"cpu.shares", strconv.FormatUint(l.shares, 10)}}
	if l.quotaUS > 0 {
		values = append(values, [2]string{"cpu.cfs_period_us", strconv.FormatUint(l.periodUS, 10)},
			[2]string{"cpu.cfs_quota_us", strconv.FormatInt(l.quotaUS, 10)})
	}
	return writeValues(dir, values)
}

// limitMemory writes the memory limit, its soft limit and (with swap
// accounting) the memory+swap limit, in the order the kernel accepts:
// memory+swap may never be below memory.
func (g *v1Group) limitMemory(bytes int64) error {
	dir := g.dir(cgroup1.Memory)
	v := strconv.FormatInt(bytes, 10)
	values := [][2]string{{"memory.limit_in_bytes", v}}
	if g.b.memsw {
		if cur, err := g.readInt("memory.limit_in_bytes"); err == nil && bytes > cur {
			values = [][2]string{{"memory.memsw.limit_in_bytes", v}, {"memory.limit_in_bytes", v}}
		} else {
			values = append(values, [2]string{"memory.memsw.limit_in_bytes", v})
		}
	}
	values = append(values, [2]string{"memory.soft_limit_in_bytes", v})
	return writeValues(dir, values)
}

func (g *v1Group) memoryUsage() (int64, error) { return g.readInt("memory.usage_in_bytes") }

// readInt reads a number from a file of the memory hierarchy.
func (g *v1Group) readInt(file string) (int64, error) {
	b, err := os.ReadFile(filepath.Join(g.dir(cgroup1.Memory), file))
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(string(trimSpace(b)), 10, 64)
}

// v1Group is one container's cgroups.
type v1Group struct {
	b    *v1
	path string
	cg   cgroup1.Cgroup
}

func (g *v1Group) dir(name cgroup1.Name) string { return g.b.dirs[name] + g.path }

// start forks cmd from a thread that has joined the container's cgroups,
// so the child starts inside them; the thread then goes back to the
// agent's cgroups. (cgroup v1 lets threads of one process live in
// different cgroups. The alternative, moving the child after fork, would
// leave a window in which it runs, or forks, outside.)
func (g *v1Group) start(cmd *exec.Cmd) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		// "0" is the writing thread itself, which the kernel moves
		// without taking the global threadgroup lock (whose RCU sync
		// costs ~10 ms after an idle spell).
		const tid = "0"
		orig, err := cgroup1.ParseCgroupFile("/proc/thread-self/cgroup")
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("reading the agent's cgroups: %w", err)
			return
		}
		err = g.moveThread(tid, func(s pather) string { return s.Path(g.path) })
		if err == nil {
			err = cmd.Start()
		}
		if rerr := g.moveThread(tid, func(s pather) string { return s.Path(orig[string(s.Name())]) }); rerr != nil {
			// The thread must not run agent code inside a container:
			// exiting the goroutine locked ends the thread.
			g.b.log.Error("failed to move a launching thread back to the agent's cgroups; retiring it", zap.Error(rerr))
			errc <- err
			return
		}
		runtime.UnlockOSThread()
		errc <- err
	}()
	return <-errc
}

// moveThread writes tid into the tasks file of where(s) for each
// subsystem.
func (g *v1Group) moveThread(tid string, where func(pather) string) error {
	for _, s := range g.b.subs {
		p := s.(pather)
		if err := os.WriteFile(filepath.Join(where(p), "tasks"), []byte(tid), 0); err != nil {
			return fmt.Errorf("moving the launching thread to %s: %w", where(p), err)
		}
	}
	return nil
}

func (g *v1Group) procs() ([]int, error) {
	return readPids(filepath.Join(g.dir(cgroup1.Freezer), "cgroup.procs"))
}

func (g *v1Group) freeze() error { return g.setFreezer("FROZEN") }
func (g *v1Group) thaw() error   { return g.setFreezer("THAWED") }

// setFreezer writes state and waits, briefly, until the kernel reaches it;
// a process stuck in the kernel must not block a kill forever.
func (g *v1Group) setFreezer(state string) error {
	file := filepath.Join(g.dir(cgroup1.Freezer), "freezer.state")
	deadline := time.Now().Add(freezeTimeout)
	for delay := 50 * time.Microsecond; ; delay = min(2*delay, 10*time.Millisecond) {
		if err := os.WriteFile(file, []byte(state), 0); err != nil {
			return err
		}
		b, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		if string(trimSpace(b)) == state {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("freezer of %s stuck in %s", g.path, trimSpace(b))
		}
		time.Sleep(delay)
	}
}

// watchOOM listens on the memory cgroup's OOM eventfd
// (cgroup.event_control on memory.oom_control).
func (g *v1Group) watchOOM(fn func()) (func(), error) {
	fd, err := g.cg.OOMEventFD()
	if err != nil {
		return nil, err
	}
	if err := unix.SetNonblock(int(fd), true); err != nil {
		unix.Close(int(fd))
		return nil, err
	}
	f := os.NewFile(fd, "oom-eventfd") // pollable: reads park the goroutine, not a thread
	go func() {
		var buf [8]byte
		for {
			if _, err := f.Read(buf[:]); err != nil {
				return // closed by stop
			}
			fn()
		}
	}()
	return func() { _ = f.Close() }, nil
}

func (g *v1Group) oomKilled() (bool, string) {
	kv, err := readKV(filepath.Join(g.dir(cgroup1.Memory), "memory.oom_control"))
	if err != nil || kv["oom_kill"] == 0 {
		return false, ""
	}
	dir := g.dir(cgroup1.Memory)
	return true, oomMessage(readUint(filepath.Join(dir, "memory.limit_in_bytes")),
		readUint(filepath.Join(dir, "memory.max_usage_in_bytes")), filepath.Join(dir, "memory.stat"))
}

// delete removes the container's directory in each hierarchy. (The
// library's Delete walks every file of every directory first; rmdir alone
// is enough, the kernel refusing it while a process remains.)
func (g *v1Group) delete() error {
	var errs []error
	for _, s := range g.b.subs {
		if err := rmdir(s.(pather).Path(g.path)); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// load opens the existing cgroups of a container of an earlier agent run.
func (b *v1) load(id string) (group, error) {
	path := b.root + "/" + id
	if _, err := os.Stat(filepath.Join(b.dirs[cgroup1.Freezer], path)); err != nil {
		return nil, err
	}
	cg, err := cgroup1.Load(cgroup1.StaticPath(path), b.hierOpt)
	if err != nil {
		return nil, err
	}
	return &v1Group{b: b, path: path, cg: cg}, nil
}
