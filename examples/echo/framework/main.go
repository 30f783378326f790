// Command framework is echo's scheduler, built only on sdk/scheduler: it
// launches --tasks tasks on one custom executor (examples/echo/executor,
// given by --executor as a path on the agents or a URI the agent fetches),
// sends the executor a message and waits for its answer, and exits 0 once
// every task finished and the answer came:
//
//	go build -o /tmp/echo-executor ./examples/echo/executor
//	go run ./examples/echo/framework --master 127.0.0.1:5050 --executor /tmp/echo-executor
//
// It prints one line per status update, message and executor failure.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"os/user"
	"syscall"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

func main() { os.Exit(run()) }

func run() int {
	var cfg config
	var verbose bool
	fs := flag.NewFlagSet("echo", flag.ContinueOnError)
	fs.StringVar(&cfg.master, "master", "127.0.0.1:5050", "master host:port, URL, or comma-separated list")
	fs.StringVar(&cfg.executor, "executor", "", "the executor binary: an absolute path on the agents, or an http(s) URI to fetch (required)")
	fs.IntVar(&cfg.tasks, "tasks", 3, "number of tasks")
	fs.StringVar(&cfg.data, "task-command", "sleep 1", "shell command each task runs inside the executor")
	fs.StringVar(&cfg.message, "message", "hello", "message sent to the executor, which echoes it")
	fs.Float64Var(&cfg.cpus, "cpus", 0.1, "cpus per task (and for the executor)")
	fs.Float64Var(&cfg.mem, "mem", 32, "memory per task (and for the executor), MiB")
	fs.StringVar(&cfg.user, "user", currentUser(), "user the executor runs as")
	fs.DurationVar(&cfg.timeout, "timeout", time.Minute, "give up after this long")
	fs.BoolVar(&verbose, "verbose", false, "log the SDK's activity to stderr")
	if err := fs.Parse(os.Args[1:]); err != nil {
		return 2
	}
	if cfg.executor == "" || cfg.tasks < 1 {
		fmt.Fprintln(os.Stderr, "echo: --executor is required and --tasks must be at least 1")
		return 2
	}
	level := zapcore.WarnLevel
	if verbose {
		level = zapcore.DebugLevel
	}
	lc := zap.NewDevelopmentConfig()
	lc.Level = zap.NewAtomicLevelAt(level)
	log, err := lc.Build()
	if err != nil {
		fmt.Fprintln(os.Stderr, "echo:", err)
		return 1
	}
	defer func() { _ = log.Sync() }()
	cfg.log = log
	cfg.out = os.Stdout

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	if err := runEcho(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "echo:", err)
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
