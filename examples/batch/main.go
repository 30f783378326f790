// Command batch runs N copies of a shell command on an Agora (or Mesos)
// cluster and exits 0 when all finished, 1 if any failed on every attempt:
//
//	go run ./examples/batch --master 127.0.0.1:5050 --tasks 10 --cmd 'echo hello' --cpus 0.1 --mem 32
//
// The framework itself lives in package batch; this is flags and wiring.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"os/user"
	"syscall"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/agoraproject/agora/examples/batch/batch"
)

func main() {
	os.Exit(run())
}

func run() int {
	var cfg batch.Config
	var verbose bool
	fs := flag.NewFlagSet("batch", flag.ContinueOnError)
	fs.StringVar(&cfg.Master, "master", "127.0.0.1:5050", "master host:port, URL, or comma-separated list")
	fs.IntVar(&cfg.Tasks, "tasks", 1, "number of tasks to run")
	fs.StringVar(&cfg.Cmd, "cmd", "", "shell command each task runs (required)")
	fs.Float64Var(&cfg.Cpus, "cpus", 0.1, "cpus per task")
	fs.Float64Var(&cfg.Mem, "mem", 32, "memory per task, MiB")
	fs.StringVar(&cfg.Name, "name", "batch", "framework name and task name prefix")
	fs.StringVar(&cfg.Role, "role", "*", "role to receive offers for")
	fs.StringVar(&cfg.User, "user", currentUser(), "user the tasks run as")
	fs.BoolVar(&cfg.JSON, "json", false, "speak JSON to the master instead of protobuf")
	fs.IntVar(&cfg.Retries, "retries", 0, "times a failed task is retried")
	fs.BoolVar(&verbose, "verbose", false, "log the SDK's activity to stderr")
	if err := fs.Parse(os.Args[1:]); err != nil {
		return 2
	}
	if cfg.Tasks < 1 {
		fmt.Fprintln(os.Stderr, "batch: --tasks must be at least 1")
		return 2
	}

	level := zapcore.WarnLevel
	if verbose {
		level = zapcore.DebugLevel
	}
	lc := zap.NewDevelopmentConfig()
	lc.Level = zap.NewAtomicLevelAt(level)
	logger, err := lc.Build()
	if err != nil {
		fmt.Fprintln(os.Stderr, "batch:", err)
		return 1
	}
	defer func() { _ = logger.Sync() }()
	cfg.Logger = logger

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := batch.Run(ctx, cfg)
	fmt.Fprintf(os.Stderr, "batch: %d finished, %d failed\n", res.Finished, res.Failed)
	if err != nil {
		fmt.Fprintln(os.Stderr, err) // errors from package batch carry their prefix
		return 1
	}
	return 0
}

func currentUser() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return os.Getenv("USER")
}
