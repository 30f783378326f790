package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/agoraproject/agora/internal/benchharness"
	"github.com/agoraproject/agora/internal/duration"
	"github.com/agoraproject/agora/master"
)

// runBench measures a master end to end with simulated agents and SDK
// frameworks (see docs/sim.md).
func runBench(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("agora bench", flag.ContinueOnError)
	var cfg benchharness.Config
	masterAddr := fs.String("master", "", "master host:port to measure (default: start `agora master` as a child process)")
	inProcess := fs.Bool("in_process_master", false, "run the master inside this process (lets --cpuprofile see it; process figures then include the agents and frameworks)")
	allocInterval := time.Second
	fs.Var(duration.Value{D: &allocInterval}, "allocation_interval", "the started master's --allocation_interval")
	sf := bindSimFlags(fs, 1000)
	fs.IntVar(&cfg.Frameworks, "frameworks", 10, "number of frameworks")
	fs.IntVar(&cfg.Tasks, "tasks", 1000, "tasks launched over all frameworks")
	fs.Float64Var(&cfg.TaskCpus, "task_cpus", 0.1, "cpus per task")
	fs.Float64Var(&cfg.TaskMem, "task_mem", 32, "mem per task, MiB")
	fs.IntVar(&cfg.MaxTasksPerOffer, "max_tasks_per_offer", 1, "tasks a framework puts on one offer")
	fs.Float64Var(&cfg.LaunchRate, "launch_rate", 0, "cap on launches per second over all frameworks (0 = as fast as offers come)")
	fs.Float64Var(&cfg.RefuseSeconds, "refuse_seconds", 1, "filter on declined offers while tasks wait")
	fs.DurationVar(&cfg.HoldOffers, "hold_offers", 0, "with --launch_rate, keep offers that find no budget for up to this long and launch on them later, as Aurora does (0: decline them at once)")
	fs.BoolVar(&cfg.WaitFinished, "wait_finished", false, "run until every task ended, not just until RUNNING (needs --task_duration)")
	fs.Var(duration.Value{D: &cfg.RunTimeout}, "timeout", "bound on the launch phase")
	cfg.SampleInterval = time.Second
	fs.Var(duration.Value{D: &cfg.SampleInterval}, "sample_interval", "how often the master's /metrics/snapshot is read during launches (each read costs the master a walk over all agents and tasks)")
	fs.IntVar(&cfg.StateReads, "state_reads", 0, "once every task runs, read /master/state and GET_STATE (JSON, protobuf) once cold and then this many times")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of this process to the file")
	memProfile := fs.String("memprofile", "", "write a heap profile of this process to the file once every task runs, before the teardown")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	logLevel := fs.String("logging_level", "WARNING", "log level: DEBUG, INFO, WARNING or ERROR")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log, _, err := newLogger(*logLevel)
	if err != nil {
		return err
	}
	defer log.Sync()
	cfg.Logger = log

	addr := *masterAddr
	switch {
	case addr != "" && *inProcess:
		return fmt.Errorf("--master and --in_process_master exclude each other")
	case *inProcess:
		mcfg := master.DefaultConfig()
		mcfg.AllocationInterval = allocInterval
		// Its warnings (every agent's disconnection at the end) would
		// bury the result.
		a, stop, err := benchharness.StartMaster(mcfg, log.WithOptions(zap.IncreaseLevel(zap.ErrorLevel)))
		if err != nil {
			return err
		}
		defer stop()
		addr = a
	case addr == "":
		a, stop, err := startChildMaster(ctx, allocInterval)
		if err != nil {
			return err
		}
		defer stop()
		addr = a
	}
	cfg.Master = addr
	if cfg.Sim, err = sf.config(addr, log); err != nil {
		return err
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	var profileErr error
	if *memProfile != "" {
		// Taken with every task running, before the teardown kills them.
		cfg.BeforeTeardown = func() { profileErr = writeHeapProfile(*memProfile) }
	}
	res, runErr := benchharness.Run(ctx, cfg)
	if profileErr != nil {
		return profileErr
	}
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return err
		}
	} else {
		res.Format(os.Stdout)
	}
	return runErr
}

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("--memprofile: %w", err)
	}
	defer f.Close()
	runtime.GC()
	if err := pprof.WriteHeapProfile(f); err != nil {
		return fmt.Errorf("--memprofile: %w", err)
	}
	return nil
}

// startChildMaster runs `agora master` from this binary on a free port of
// 127.0.0.1, so that its CPU and heap are its own, and waits until it
// answers /health.
func startChildMaster(ctx context.Context, allocInterval time.Duration) (string, func(), error) {
	exe, err := os.Executable()
	if err != nil {
		return "", nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	dir, err := os.MkdirTemp("", "agora-bench-")
	if err != nil {
		return "", nil, err
	}
	cmd := exec.Command(exe, "master", "--ip=127.0.0.1", "--hostname=localhost", "--port="+strconv.Itoa(port),
		"--work_dir="+filepath.Join(dir, "master"), "--logging_level=WARNING",
		"--allocation_interval="+allocInterval.String(), "--allow_root_tasks",
		// Simulated agents speak the agent protocol without certificates;
		// the benchmark measures scheduling, not TLS handshakes.
		"--tls=false")
	// Its log (every agent's disconnection at the end, for one) goes to
	// a file that is kept only when the master fails.
	logPath := filepath.Join(os.TempDir(), "agora-bench-master.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		os.RemoveAll(dir)
		return "", nil, err
	}
	defer logFile.Close() // the child has its own descriptor
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return "", nil, err
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	stop := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		os.RemoveAll(dir)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return addr, stop, nil
			}
		}
		select {
		case <-exited:
			os.RemoveAll(dir)
			return "", nil, fmt.Errorf("the master exited before answering /health; see %s", logPath)
		case <-ctx.Done():
			stop()
			return "", nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			stop()
			return "", nil, fmt.Errorf("the master did not answer /health within 15s; see %s", logPath)
		}
	}
}
