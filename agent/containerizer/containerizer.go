// Package containerizer defines how the agent starts, signals and waits for
// the processes of a task or executor, whatever isolates them: plain
// process groups (posix/), cgroups (cgroups/) or Docker (docker/,
// later). Containers that account for their resource use also implement
// StatsReporter. The conformance subpackage is the suite every real
// implementation passes; fake/ is an in-memory one for tests.
//
// The agent owns task state, sandboxes and environment; a containerizer
// only runs what LaunchSpec describes and reports how it ended. It does not
// fetch URIs (the fetcher runs before Launch), send status updates, or
// decide grace periods: the agent calls Terminate, then Kill when the grace
// period it computed has passed, on its own clock.
package containerizer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// Containerizer launches containers.
type Containerizer interface {
	// Launch starts the container's processes and returns once they run.
	// An error means nothing was left running; its message names the cause
	// (missing executable, unsupported image, ...) for a TASK_FAILED.
	// ctx bounds the launch only, not the container's life.
	Launch(ctx context.Context, spec LaunchSpec) (Container, error)
}

// Container is one launched container.
type Container interface {
	// Wait blocks until the container's main process has exited and every
	// other process of the container is gone, or ctx is done. It may be
	// called any number of times, concurrently; all calls see the same
	// ExitStatus.
	Wait(ctx context.Context) (ExitStatus, error)
	// Terminate asks the container to stop (SIGTERM to all its processes).
	// It is a no-op once the container has exited.
	Terminate() error
	// Kill stops every process of the container at once (SIGKILL). After
	// Kill, Wait returns promptly and no process of the container remains.
	Kill() error
	// Status describes the running container for TaskStatus.container_status
	// and the agent's state endpoint.
	Status() Status
}

// Updater is implemented by containers whose limits can change while they
// run: a custom executor's container follows the executor's resources plus
// those of its live tasks, as Mesos calls containerizer->update whenever a
// task joins or ends. The agent calls Update off its event loop, in order,
// one call at a time per container.
type Updater interface {
	// Update sets the CPU shares, CFS quota and memory limit from
	// resources, translated as at launch; a resource that is absent leaves
	// its limit as it is. It never lowers the memory limit below the
	// container's current memory usage: as Mesos does, it keeps the higher
	// limit rather than have the kernel reclaim or OOM-kill (the lower
	// limit takes effect at a later Update, once usage allows). An
	// implementation may apply the change in the background and return
	// before it takes effect (Docker); it then logs failures itself. It is
	// a no-op once the container has exited.
	Update(ctx context.Context, resources []*mesos.Resource) error
}

// Recoverer is implemented by containerizers that can find the containers
// of a previous agent run after a restart (checkpoint recovery). The agent
// passes what it checkpointed of each container and gets back those it can
// follow again, keyed by container ID; a container that ended meanwhile
// may come back with its exit already known, or be left out. Containerizers
// that name their containers (Docker) also remove the ones of theirs that
// are not listed.
type Recoverer interface {
	Recover(ctx context.Context, containers []Checkpointed) (map[string]Container, error)
}

// Checkpointed is what the agent checkpointed of one container.
type Checkpointed struct {
	ContainerID string
	// PID is the main process's ID as Status reported it at launch; native
	// containerizers find the container by it.
	PID int
	// Container is the launch's ContainerInfo (nil: the host filesystem);
	// a composition routes the container to the member that launched it.
	Container *mesos.ContainerInfo
	// Resources are the launch's resources (limits, statistics).
	Resources []*mesos.Resource
}

// IDs lists the containers' IDs.
func IDs(cs []Checkpointed) []string {
	ids := make([]string, len(cs))
	for i, c := range cs {
		ids[i] = c.ContainerID
	}
	return ids
}

// ReasonUnknownExit is the message of the ExitStatus of a recovered
// container whose main process ended without the containerizer being able
// to learn how (it was not the agent's child any more).
const ReasonUnknownExit = "Executor terminated while the agent was down or detached; its exit status is unknown"

// LaunchSpec describes one container to launch.
type LaunchSpec struct {
	// ContainerID is unique on the agent; it names cgroups and Docker
	// containers and is the last element of the sandbox path.
	ContainerID string
	// Sandbox is the container's working directory, already created; the
	// containerizer writes the processes' output to Sandbox/stdout and
	// Sandbox/stderr.
	Sandbox string
	// Command is what to run; see Argv.
	Command *mesos.CommandInfo
	// Container selects an image or Docker settings; nil means the host
	// filesystem. A containerizer rejects types it cannot run.
	Container *mesos.ContainerInfo
	// Env is the complete environment as NAME=value, already merged by the
	// agent (MESOS_* variables, CommandInfo.environment, PATH default). The
	// containerizer adds nothing from its own environment.
	Env []string
	// Resources are the task's or executor's resources, which isolating
	// containerizers turn into limits.
	Resources []*mesos.Resource
	// User, when set, is the user to run as (CommandInfo.user or the
	// framework's user); containerizers that cannot switch user ignore it.
	User string
	// Owner says whose container it is. Containerizers that create named
	// objects (Docker) label them with it, for operators; optional.
	Owner Owner
}

// Owner identifies the agent, framework, executor and task of a container;
// TaskID is empty for a custom executor's container.
type Owner struct {
	AgentID, FrameworkID, ExecutorID, TaskID string
}

// ExitStatus is how a container ended.
type ExitStatus struct {
	// Code is the main process's exit code, or -1 if a signal ended it.
	Code int
	// Signal is the signal that ended the main process, or 0.
	Signal syscall.Signal
	// Message, when set, explains an end the containerizer caused, such as
	// a memory limit (cgroups), and Reason says which; the agent reports
	// them instead of the exit code. (Reason alone cannot mark it: its zero
	// value is a real reason.)
	Message string
	Reason  mesos.TaskStatus_Reason
}

// Success reports whether the main process exited with status 0.
func (s ExitStatus) Success() bool { return s.Signal == 0 && s.Code == 0 && s.Message == "" }

// String describes the exit the way Mesos's command executor does:
// "Command exited with status 3", "Command terminated with signal Killed".
func (s ExitStatus) String() string {
	if s.Message != "" {
		return s.Message
	}
	if s.Signal != 0 {
		return "Command terminated with signal " + SignalName(s.Signal)
	}
	return fmt.Sprintf("Command exited with status %d", s.Code)
}

// SignalName returns the strsignal(3) description of sig ("Killed",
// "Terminated"), which is what Mesos puts in task messages.
func SignalName(sig syscall.Signal) string {
	name := sig.String()
	if name == "" {
		return name
	}
	return strings.ToUpper(name[:1]) + name[1:]
}

// Status describes a running container.
type Status struct {
	ContainerID string
	// PID is the main process's ID on the host, 0 if unknown.
	PID int
}

// ErrNoCommand is returned by Argv for a CommandInfo that runs nothing.
var ErrNoCommand = errors.New("no command to run")

// Argv returns the program and argv of cmd for containerizers that run on
// the host filesystem. With shell (the default) it is /bin/sh -c value.
// Otherwise value is the program and arguments the whole argv, as in Mesos:
// arguments[0] is what the program sees as its name, and value alone is
// used when arguments is empty.
func Argv(cmd *mesos.CommandInfo) (program string, argv []string, err error) {
	if cmd == nil || cmd.GetValue() == "" {
		return "", nil, ErrNoCommand
	}
	if cmd.GetShell() {
		return "/bin/sh", []string{"/bin/sh", "-c", cmd.GetValue()}, nil
	}
	if len(cmd.GetArguments()) == 0 {
		return cmd.GetValue(), []string{cmd.GetValue()}, nil
	}
	return cmd.GetValue(), append([]string(nil), cmd.GetArguments()...), nil
}
