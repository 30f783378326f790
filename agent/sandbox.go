package agent

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/agoraproject/agora/agent/containerizer"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// defaultPath is the tasks' PATH unless their command sets one; tasks do
// not inherit the agent's environment.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// runDir is an executor run's sandbox:
// <work_dir>/slaves/<agent>/frameworks/<fw>/executors/<executor>/runs/<container>.
func (a *Agent) runDir(fid, eid, cid string) string {
	return filepath.Join(a.cfg.WorkDir, "slaves", a.ID(), "frameworks", fid, "executors", eid, "runs", cid)
}

// createRunDir creates a run's sandbox and points runs/latest at it.
func createRunDir(dir string) error {
	if err := mkdir(dir); err != nil {
		return err
	}
	latest := filepath.Join(filepath.Dir(dir), "latest")
	// Replace atomically so readers never miss the link.
	tmp := latest + ".tmp"
	_ = os.Remove(tmp)
	if err := os.Symlink(filepath.Base(dir), tmp); err != nil {
		return fmt.Errorf("creating the latest link: %w", err)
	}
	if err := os.Rename(tmp, latest); err != nil {
		return fmt.Errorf("creating the latest link: %w", err)
	}
	return nil
}

func mkdir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating the sandbox: %w", err)
	}
	return nil
}

// checkID rejects IDs that cannot be a path element of a sandbox.
func checkID(id string) error {
	switch {
	case id == "":
		return errors.New("empty ID")
	case id == "." || id == "..":
		return fmt.Errorf("invalid ID %q", id)
	case len(id) > 255:
		return fmt.Errorf("ID longer than 255 bytes: %q...", id[:32])
	case strings.ContainsAny(id, "/\x00"):
		return fmt.Errorf("ID %q contains '/' or NUL", id)
	}
	return nil
}

// environment returns a task's environment: the MESOS_* variables, then
// the command's own variables, which may override them (and PATH).
func (a *Agent) environment(t *task) ([]string, error) {
	env := map[string]string{
		"PATH":                 defaultPath,
		"MESOS_SANDBOX":        t.sandbox,
		"MESOS_DIRECTORY":      t.sandbox,
		"MESOS_FRAMEWORK_ID":   t.key.framework,
		"MESOS_EXECUTOR_ID":    t.executor.id,
		"MESOS_TASK_ID":        t.key.task,
		"MESOS_AGENT_ID":       a.ID(),
		"MESOS_SLAVE_ID":       a.ID(), // pre-1.0 name, still read by old tools
		"MESOS_AGENT_ENDPOINT": a.executorEndpoint(),
	}
	return commandEnv(env, t.info.GetCommand())
}

// commandEnv adds cmd's own variables to base, overriding what is there,
// and returns the result as sorted NAME=value pairs. Invalid names and
// secrets are errors.
func commandEnv(base map[string]string, cmd *mesos.CommandInfo) ([]string, error) {
	for _, v := range cmd.GetEnvironment().GetVariables() {
		name := v.GetName()
		if name == "" || strings.ContainsAny(name, "=\x00") {
			return nil, fmt.Errorf("invalid environment variable name %q", name)
		}
		if v.GetType() == mesos.Environment_Variable_SECRET || v.GetSecret() != nil {
			return nil, fmt.Errorf("environment variable %s: secrets are not supported", name)
		}
		base[name] = v.GetValue()
	}
	out := make([]string, 0, len(base))
	for k, v := range base {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out, nil
}

// commandUser is who a command runs as: its own user, else its
// framework's, else "" (the agent's).
func (a *Agent) commandUser(cmd *mesos.CommandInfo, frameworkID string) string {
	if u := cmd.GetUser(); u != "" {
		return u
	}
	if fw := a.frameworks[frameworkID]; fw != nil {
		return fw.info.GetUser()
	}
	return ""
}

// launchSpec prepares everything the containerizer needs for t.
func (a *Agent) launchSpec(t *task, ci *mesos.ContainerInfo) (containerizer.LaunchSpec, error) {
	if err := checkHealthCheck(t); err != nil {
		return containerizer.LaunchSpec{}, err
	}
	env, err := a.environment(t)
	if err != nil {
		return containerizer.LaunchSpec{}, err
	}
	user := a.commandUser(t.info.GetCommand(), t.key.framework)
	return containerizer.LaunchSpec{
		ContainerID: t.containerID,
		Sandbox:     t.sandbox,
		Command:     t.info.GetCommand(),
		Container:   ci,
		Env:         env,
		Resources:   t.info.GetResources(),
		User:        user,
		Owner:       containerizer.Owner{AgentID: a.ID(), FrameworkID: t.key.framework, ExecutorID: t.executor.id, TaskID: t.key.task},
	}, nil
}
