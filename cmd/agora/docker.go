package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/agoraproject/agora/agent/containerizer"
	"github.com/agoraproject/agora/agent/containerizer/compose"
	"github.com/agoraproject/agora/agent/containerizer/docker"
	"github.com/agoraproject/agora/internal/duration"
)

// dockerFlags are the agent's flags of the Docker containerizer, named
// as in Mesos where Mesos has them.
type dockerFlags struct {
	cli             string        // --docker: Mesos's CLI path; Agora speaks the engine's API
	socket          string        // --docker_socket
	allowPrivileged bool          // --docker_allow_privileged
	removeDelay     time.Duration // --docker_remove_delay
	killOrphans     bool          // --docker_kill_orphans
}

// Mesos's defaults for the flags it has.
const (
	defaultDockerCLI         = "docker"
	defaultDockerRemoveDelay = 6 * time.Hour
)

func bindDockerFlags(fs *flag.FlagSet) *dockerFlags {
	f := &dockerFlags{cli: defaultDockerCLI, removeDelay: defaultDockerRemoveDelay, killOrphans: true}
	fs.StringVar(&f.cli, "docker", f.cli, "accepted for Mesos compatibility: the Docker CLI is not used, the engine's API is (see --docker_socket)")
	fs.StringVar(&f.socket, "docker_socket", docker.DefaultSocket, "the Docker engine's socket (or a unix:// or tcp:// address)")
	fs.BoolVar(&f.allowPrivileged, "docker_allow_privileged", false, "let tasks run privileged Docker containers and use the parameters that widen a container's powers (cap-add, device, pid, ipc, security-opt)")
	fs.Var(duration.Value{D: &f.removeDelay}, "docker_remove_delay", "how long an exited Docker container is kept before it is removed")
	fs.BoolVar(&f.killOrphans, "docker_kill_orphans", f.killOrphans, "remove this agent's Docker containers that it no longer knows when it recovers")
	return f
}

// containerizerOrder parses --containerizers into names in order.
func containerizerOrder(s string) ([]string, error) {
	var order []string
	for _, name := range strings.Split(s, ",") {
		name = strings.TrimSpace(name)
		if name != "mesos" && name != "docker" {
			return nil, fmt.Errorf("--containerizers: unknown containerizer %q", name)
		}
		if slices.Contains(order, name) {
			return nil, fmt.Errorf("--containerizers: %q listed twice", name)
		}
		order = append(order, name)
	}
	return order, nil
}

// withDocker composes native with the Docker containerizer when
// --containerizers names docker, in the order it gives; it returns native
// as it is otherwise. An engine that does not answer at start fails the
// agent, as it does Mesos's. closeFn releases the Docker client.
func withDocker(ctx context.Context, containerizers string, native containerizer.Containerizer, f dockerFlags,
	workDir string, cfs bool, log *zap.Logger) (c containerizer.Containerizer, closeFn func(), err error) {
	order, err := containerizerOrder(containerizers)
	if err != nil {
		return nil, nil, err
	}
	if !slices.Contains(order, "docker") {
		return native, func() {}, nil
	}
	if f.cli != defaultDockerCLI {
		log.Warn("--docker is ignored: Agora talks to the Docker engine's API at --docker_socket", zap.String("docker", f.cli))
	}
	if f.removeDelay < 0 {
		return nil, nil, errors.New("--docker_remove_delay: negative")
	}
	// The label must name the same agent whatever directory it starts in.
	if workDir, err = filepath.Abs(workDir); err != nil {
		return nil, nil, err
	}
	d, err := docker.New(docker.Config{
		Logger: log, Host: f.socket, WorkDir: workDir, AllowPrivileged: f.allowPrivileged,
		CFS: cfs, RemoveDelay: f.removeDelay, KeepOrphans: !f.killOrphans,
	})
	if err != nil {
		return nil, nil, err
	}
	pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := d.Ping(pctx); err != nil {
		d.Close()
		return nil, nil, fmt.Errorf("--containerizers=%s: %w", containerizers, err)
	}
	members := make([]compose.Member, 0, len(order))
	for _, name := range order {
		if name == "docker" {
			members = append(members, compose.Docker(d))
		} else {
			members = append(members, compose.Mesos(native))
		}
	}
	c, err = compose.New(members...)
	if err != nil {
		d.Close()
		return nil, nil, err
	}
	log.Info("containerizers", zap.Strings("order", order), zap.String("docker_socket", f.socket),
		zap.Bool("docker_allow_privileged", f.allowPrivileged))
	return c, func() { d.Close() }, nil
}
