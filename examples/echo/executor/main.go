// Command executor is echo's custom executor, built only on sdk/executor.
// Each task's data is a shell command, which it runs in the sandbox (an
// empty one runs "true"): TASK_RUNNING once started, then TASK_FINISHED or
// TASK_FAILED by its exit status, TASK_KILLED when killed. It answers every
// framework message with "echo: <message>". The agent starts it with the
// MESOS_* environment; see examples/echo/framework for the framework that
// launches it.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"go.uber.org/zap"

	"github.com/agoraproject/agora/sdk/executor"
)

func main() { os.Exit(run()) }

func run() int {
	cfg, err := executor.FromEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, "echo executor:", err)
		return 2
	}
	log, err := zap.NewDevelopment()
	if err != nil {
		fmt.Fprintln(os.Stderr, "echo executor:", err)
		return 2
	}
	defer func() { _ = log.Sync() }()
	cfg.Logger = log
	e := newEcho(cfg, log)
	c, err := executor.New(cfg, e.callbacks())
	if err != nil {
		log.Error("bad configuration", zap.Error(err))
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err = c.Run(ctx)
	e.killAll() // whatever still runs must not outlive its executor
	switch {
	case err == nil:
		log.Info("executor done")
		return 0
	case errors.Is(err, context.Canceled):
		log.Info("executor terminated by signal")
		return 0
	default:
		log.Error("executor ended", zap.Error(err))
		return 1
	}
}
