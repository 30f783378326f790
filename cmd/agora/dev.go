package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"go.uber.org/zap"
)

// runDev starts a master and one agent in one process on 127.0.0.1 with a
// fresh work directory: a working single-machine cluster in one command.
func runDev(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("agora dev", flag.ContinueOnError)
	port := fs.Int("port", 5050, "master port")
	agentPort := fs.Int("agent_port", 5051, "agent port")
	workDir := fs.String("work_dir", "", "work directory (default: a fresh temporary directory)")
	res := fs.String("resources", "", "agent resources overriding detection")
	logLevel := fs.String("logging_level", "INFO", "log level")
	marathonPort := fs.Int("marathon_port", 8080, "port of the bundled Marathon's REST API (-1 disables it)")
	chronosPort := fs.Int("chronos_port", 4400, "port of the bundled Chronos's REST API (-1 disables it)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	dir := *workDir
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "agora-dev-"); err != nil {
			return err
		}
	}
	log, level, err := newLogger(*logLevel)
	if err != nil {
		return err
	}
	defer log.Sync()

	mfs := flag.NewFlagSet("master", flag.ContinueOnError)
	mf := bindMasterFlags(mfs)
	mf.ip, mf.cfg.Port, mf.cfg.WorkDir, mf.cfg.Hostname = "127.0.0.1", *port, filepath.Join(dir, "master"), "localhost"
	mf.sec.tls = false      // dev is plain HTTP on 127.0.0.1
	mf.sec.allowRoot = true // dev runs tasks as whoever runs it
	if err := mf.cfg.Validate(); err != nil {
		return err
	}
	afs := flag.NewFlagSet("agent", flag.ContinueOnError)
	af := bindAgentFlags(afs)
	af.ip, af.cfg.Port, af.cfg.WorkDir, af.cfg.Resources = "127.0.0.1", *agentPort, filepath.Join(dir, "agent"), *res
	af.cfg.Hostname, af.cfg.IP = "localhost", "127.0.0.1"

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	masterReady := make(chan string, 1)
	errc := make(chan error, 8)
	running := 2 // components sending on errc when they stop
	go func() {
		errc <- startMaster(ctx, mf, flagValues(mfs), log.Named("dev"), level, func(a string) { masterReady <- a })
	}()
	var masterAddr string
	select {
	case masterAddr = <-masterReady:
	case err := <-errc:
		return err
	}
	af.cfg.Master = masterAddr
	agentReady := make(chan string, 1)
	go func() { errc <- startAgent(ctx, af, log.Named("dev"), level, func(a string) { agentReady <- a }) }()
	select {
	case agentAddr := <-agentReady:
		marathonAddr, err := startDevMarathon(ctx, *marathonPort, masterAddr, filepath.Join(dir, "marathon"), log, errc, &running)
		if err != nil {
			return err
		}
		chronosAddr, err := startDevChronos(ctx, *chronosPort, masterAddr, filepath.Join(dir, "chronos"), log, errc, &running)
		if err != nil {
			return err
		}
		fmt.Printf("\nAgora dev cluster is up (work dir %s)\n", dir)
		fmt.Printf("  web UI:          http://%s/\n", masterAddr)
		fmt.Printf("  master:          http://%s\n", masterAddr)
		fmt.Printf("  scheduler API:   http://%s/api/v1/scheduler\n", masterAddr)
		fmt.Printf("  state:           http://%s/master/state\n", masterAddr)
		fmt.Printf("  metrics:         http://%s/metrics/snapshot (Prometheus: /metrics)\n", masterAddr)
		fmt.Printf("  agent:           http://%s/state\n", agentAddr)
		if marathonAddr != "" {
			fmt.Printf("  marathon:        http://%s/v2/apps\n", marathonAddr)
		}
		if chronosAddr != "" {
			fmt.Printf("  chronos:         http://%s/v1/scheduler/jobs\n", chronosAddr)
		}
		fmt.Printf("Try: bin/agora status    bin/agora apps deploy app.json --wait    bin/agora jobs list\n")
		fmt.Printf("     go run ./examples/batch --master %s --tasks 5 --cmd 'echo hello from $MESOS_TASK_ID'\n\n", masterAddr)
	case err := <-errc:
		return err
	}
	err = <-errc
	cancel()
	for i := 1; i < running; i++ {
		<-errc
	}
	if err != nil {
		log.Error("dev cluster stopped", zap.Error(err))
	}
	return err
}
