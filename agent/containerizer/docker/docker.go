// Package docker is the Docker containerizer: it runs a task or executor
// whose ContainerInfo has type DOCKER as a container of a Docker engine,
// through the engine's API (github.com/docker/docker/client, with API
// version negotiation, so Debian's 20.10 engine works).
//
// It carries Mesos's Docker containerizer over: the image (pulled when
// missing, or always with force_pull_image); a shell command run as
// `/bin/sh -c value` in place of the image's entrypoint, otherwise value and
// arguments after the image's entrypoint; the sandbox mounted at
// /mnt/mesos/sandbox, named by MESOS_SANDBOX; the HOST (default), BRIDGE,
// NONE and USER networks with port mappings whose host ports must be among
// the task's ports resources; volumes; CPU shares, an optional CFS quota
// and a memory limit from the resources; containers named
// mesos-<container ID>. It departs from Mesos where Mesos was unsafe or
// vague: privileged containers only where the agent allows them,
// DockerInfo.parameters from an allow-list (params.go), an init process as
// PID 1 so that SIGTERM reaches the task, and the sandbox as working
// directory when the image sets none (as Mesos's own containerizer does).
//
// Output is copied from the engine's log stream into the sandbox's stdout
// and stderr. An OOM kill ends the container with
// REASON_CONTAINER_LIMITATION_MEMORY. Containers carry labels naming the
// agent (by work_dir), framework, executor, task and container, so that
// Recover finds them after an agent restart and removes orphans.
//
// It does not fetch URIs, decide grace periods or send status updates (the
// agent does), and it does not choose whether to be used: cmd/ composes it
// with the native containerizer (agent/containerizer/compose).
package docker

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"
	"go.uber.org/zap"

	"github.com/agoraproject/agora/agent/containerizer"
	"github.com/agoraproject/agora/agent/internal/hostcmd"
)

// DefaultSocket is where the engine listens unless told otherwise
// (--docker_socket).
const DefaultSocket = "/var/run/docker.sock"

// Config configures the Docker containerizer.
type Config struct {
	// Logger receives the containerizer's logs (default: none).
	Logger *zap.Logger
	// Host is the engine's address: a unix socket path (--docker_socket)
	// or a unix:// or tcp:// URL. Empty: DOCKER_HOST, else DefaultSocket.
	Host string
	// WorkDir is the agent's work_dir, which labels its containers: it
	// survives restarts and differs between agents sharing an engine, so
	// Recover touches only this agent's containers. Required.
	WorkDir string
	// AllowPrivileged lets DockerInfo.privileged and the parameters that
	// widen a container's powers through (--docker_allow_privileged).
	AllowPrivileged bool
	// CFS adds a hard CFS quota of cpus × 100 ms per 100 ms to the CPU
	// shares (--cgroups_enable_cfs).
	CFS bool
	// RemoveDelay keeps an exited container for inspection this long
	// before removing it (--docker_remove_delay); zero removes it at once.
	RemoveDelay time.Duration
	// KeepOrphans makes Recover leave this agent's containers it was not
	// asked for alone instead of removing them (--docker_kill_orphans=false).
	KeepOrphans bool
}

// Validate reports invalid settings.
func (c Config) Validate() error {
	switch {
	case c.WorkDir == "":
		return errors.New("docker: the agent's work_dir is required to label its containers")
	case c.RemoveDelay < 0:
		return errors.New("docker: negative remove delay")
	}
	return nil
}

// Containerizer runs DOCKER containers. It is safe for concurrent use.
type Containerizer struct {
	cfg  Config
	log  *zap.Logger
	cli  *client.Client
	host string // for messages

	// ctx ends with Close: the OOM watch and pending removals stop.
	ctx    context.Context
	cancel context.CancelFunc
	events sync.Once

	connMu    sync.Mutex
	connected bool // the API version is negotiated

	mu       sync.Mutex
	live     map[string]*dockerContainer // by engine ID, for OOM events
	gateways map[string]string           // network → gateway address
}

var (
	_ containerizer.Containerizer = (*Containerizer)(nil)
	_ containerizer.Recoverer     = (*Containerizer)(nil)
)

// New returns a containerizer for the engine at cfg.Host. It does not
// contact the engine (Ping does), so that an engine that is down fails
// launches with a message rather than the agent's start.
func New(cfg Config) (*Containerizer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	opts := []client.Opt{client.FromEnv, client.WithAPIVersionNegotiation()}
	host := os.Getenv("DOCKER_HOST")
	if cfg.Host != "" {
		host = cfg.Host
		if !strings.Contains(host, "://") {
			host = "unix://" + host
		}
		opts = append(opts, client.WithHost(host))
	}
	if host == "" {
		host = "unix://" + DefaultSocket
	}
	cli, err := client.NewClientWithOpts(opts...)
	if err != nil {
		return nil, fmt.Errorf("docker: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Containerizer{
		cfg: cfg, log: cfg.Logger.Named("docker"), cli: cli, host: host,
		ctx: ctx, cancel: cancel,
		live: map[string]*dockerContainer{}, gateways: map[string]string{},
	}, nil
}

// Ping checks that the engine answers and logs its version.
func (d *Containerizer) Ping(ctx context.Context) error {
	if err := d.connect(ctx); err != nil {
		return err
	}
	v, err := d.cli.ServerVersion(ctx)
	if err != nil {
		return fmt.Errorf("the Docker engine at %s does not answer: %w", d.host, err)
	}
	d.log.Info("Docker engine ready", zap.String("host", d.host), zap.String("version", v.Version),
		zap.String("api_version", d.cli.ClientVersion()))
	return nil
}

// connect negotiates the API version once, before the client is used from
// several goroutines: the client's own lazy negotiation races with
// concurrent first calls. Until an engine answers, every call tries again.
func (d *Containerizer) connect(ctx context.Context) error {
	d.connMu.Lock()
	defer d.connMu.Unlock()
	if d.connected {
		return nil
	}
	ping, err := d.cli.Ping(ctx)
	if err != nil {
		return fmt.Errorf("the Docker engine at %s does not answer: %w", d.host, err)
	}
	d.cli.NegotiateAPIVersionPing(ping)
	d.connected = true
	return nil
}

// Close stops the OOM watch and pending removals and closes the client.
// Containers keep running; a later agent finds them with Recover.
func (d *Containerizer) Close() error {
	d.cancel()
	return d.cli.Close()
}

// Launch pulls the image if needed, creates and starts the container and
// returns once it runs. Errors say what to fix: a missing image, an
// engine that does not answer, a refused setting.
func (d *Containerizer) Launch(ctx context.Context, spec containerizer.LaunchSpec) (containerizer.Container, error) {
	cs, err := translate(spec, d.cfg)
	if err != nil {
		return nil, err
	}
	if err := prepareHost(spec, cs); err != nil {
		return nil, err
	}
	if err := d.connect(ctx); err != nil {
		return nil, err
	}
	out, err := openOutputs(spec.Sandbox)
	if err != nil {
		return nil, err
	}
	d.watchOOM()
	img, err := d.ensureImage(ctx, cs.image, cs.force)
	if err != nil {
		out.close()
		return nil, err
	}
	if cs.config.WorkingDir == "" && (img.Config == nil || img.Config.WorkingDir == "") {
		cs.config.WorkingDir = SandboxPath
	}
	if err := d.agentEndpoint(ctx, cs); err != nil {
		out.close()
		return nil, err
	}
	created, err := d.cli.ContainerCreate(ctx, cs.config, cs.host, cs.net, nil, cs.name)
	if err != nil {
		out.close()
		return nil, fmt.Errorf("failed to create Docker container %s from image %q: %w", cs.name, cs.image, err)
	}
	for _, w := range created.Warnings {
		d.log.Warn("engine warning", zap.String("container", cs.name), zap.String("warning", w))
	}
	if err := d.checkProgram(ctx, created.ID, cs, img); err != nil {
		out.close()
		d.remove(created.ID)
		return nil, err
	}
	c := d.newContainer(spec.ContainerID, created.ID, cs, out)
	d.track(c)
	if err := d.cli.ContainerStart(ctx, created.ID, container.StartOptions{}); err != nil {
		d.untrack(c)
		out.close()
		d.remove(created.ID)
		return nil, fmt.Errorf("failed to start Docker container %s: %w", cs.name, err)
	}
	if info, err := d.cli.ContainerInspect(ctx, created.ID); err == nil && info.ContainerJSONBase != nil && info.State != nil {
		c.pid = info.State.Pid
	} else if err != nil {
		c.log.Warn("cannot inspect the started container", zap.Error(err))
	}
	c.log.Debug("launched", zap.String("image", cs.image), zap.Int("pid", c.pid), zap.String("network", cs.network))
	go c.run(nil)
	return c, nil
}

// prepareHost does what `docker run` would before the container starts:
// it creates missing host directories of volumes and, like Mesos, hands
// the sandbox to the task's user when the agent can switch users. An
// unknown user fails the launch rather than going unnoticed.
func prepareHost(spec containerizer.LaunchSpec, cs *createSpec) error {
	cred, err := hostcmd.Credential(spec.User)
	if err != nil {
		return err
	}
	if cred != nil {
		if err := hostcmd.ChownTree(spec.Sandbox, int(cred.Uid), int(cred.Gid)); err != nil {
			return fmt.Errorf("failed to give the sandbox to user %q: %w", spec.User, err)
		}
	}
	for _, dir := range cs.binds {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("failed to create volume directory %s: %w", dir, err)
		}
	}
	return nil
}

func (d *Containerizer) track(c *dockerContainer) {
	d.mu.Lock()
	d.live[c.dockerID] = c
	d.mu.Unlock()
}

func (d *Containerizer) untrack(c *dockerContainer) {
	d.mu.Lock()
	delete(d.live, c.dockerID)
	d.mu.Unlock()
}

func (d *Containerizer) tracked(dockerID string) *dockerContainer {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.live[dockerID]
}

// remove force-removes a container (and its anonymous volumes), logging a
// failure: nothing waits on it.
func (d *Containerizer) remove(dockerID string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := d.cli.ContainerRemove(ctx, dockerID, container.RemoveOptions{Force: true, RemoveVolumes: true})
	if err != nil && !cerrdefs.IsNotFound(err) {
		d.log.Warn("failed to remove a Docker container", zap.String("docker_id", dockerID), zap.Error(err))
	}
}

// removeLater removes an exited container after the remove delay, unless
// the containerizer is closed first (a later Recover removes it then).
func (d *Containerizer) removeLater(dockerID string) {
	if d.cfg.RemoveDelay == 0 {
		d.remove(dockerID)
		return
	}
	t := time.NewTimer(d.cfg.RemoveDelay)
	go func() {
		defer t.Stop()
		select {
		case <-t.C:
			d.remove(dockerID)
		case <-d.ctx.Done():
		}
	}()
}
