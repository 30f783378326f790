// Package hostcmd builds the exec.Cmd of a container that runs on the
// host filesystem: the argv of its CommandInfo, the program looked up in
// the task's own PATH, the sandbox as working directory with the stdout
// and stderr files there, a process group of its own, and the task's user
// when the agent runs as root.
//
// It is shared by the posix and cgroups containerizers; the health checks
// and the fetcher use its PATH and user lookups. It starts nothing and
// isolates nothing; placing the process in a cgroup is the caller's
// business.
package hostcmd

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/agoraproject/agora/agent/containerizer"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// DefaultPath is searched for a program when the environment has no PATH.
const DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// CheckHostContainer rejects ContainerInfo that asks for more than the host
// filesystem: Docker containers and images. who names the containerizer in
// the error ("posix", "cgroups").
func CheckHostContainer(ci *mesos.ContainerInfo, who string) error {
	if ci == nil {
		return nil
	}
	if ci.GetType() == mesos.ContainerInfo_DOCKER {
		return fmt.Errorf("the %s containerizer cannot run Docker containers", who)
	}
	if ci.GetMesos().GetImage() != nil {
		return fmt.Errorf("the %s containerizer cannot run container images", who)
	}
	return nil
}

// Command is a prepared command. Start it with Cmd.Start (or an
// equivalent), then call Close to release the agent's copies of the output
// files, whether or not it started.
type Command struct {
	Cmd *exec.Cmd
	// Program is the program as the task named it, for messages.
	Program string
	// Argv is what the program sees as its arguments.
	Argv  []string
	files []*os.File
}

// Close closes the agent's side of the output files.
func (c *Command) Close() {
	for _, f := range c.files {
		_ = f.Close()
	}
	c.files = nil
}

// Build prepares spec's command: program resolved against the task's PATH,
// the spec's environment only, the sandbox as working directory with
// output appended to Sandbox/stdout and Sandbox/stderr, a new process
// group, and the credentials of spec.User when the agent is root (the
// sandbox is then handed to that user). Errors name the cause for a
// TASK_FAILED message.
func Build(spec containerizer.LaunchSpec) (*Command, error) {
	program, argv, err := containerizer.Argv(spec.Command)
	if err != nil {
		return nil, err
	}
	path, err := FindExecutable(program, LookupEnv(spec.Env, "PATH"), spec.Sandbox)
	if err != nil {
		return nil, err
	}
	cred, err := Credential(spec.User)
	if err != nil {
		return nil, err
	}
	c := &Command{Program: program, Argv: argv}
	stdout, err := OpenOutput(spec.Sandbox, "stdout")
	if err != nil {
		return nil, err
	}
	c.files = append(c.files, stdout)
	stderr, err := OpenOutput(spec.Sandbox, "stderr")
	if err != nil {
		c.Close()
		return nil, err
	}
	c.files = append(c.files, stderr)
	if cred != nil {
		if err := ChownTree(spec.Sandbox, int(cred.Uid), int(cred.Gid)); err != nil {
			c.Close()
			return nil, fmt.Errorf("failed to give the sandbox to user %q: %w", spec.User, err)
		}
	}
	c.Cmd = &exec.Cmd{
		Path:   path,
		Args:   argv,
		Env:    append([]string{}, spec.Env...), // never the agent's own environment
		Dir:    spec.Sandbox,
		Stdout: stdout,
		Stderr: stderr,
		// Setpgid makes the process group ID the child's PID, so that
		// signals to -pid reach everything it forks.
		SysProcAttr: &syscall.SysProcAttr{Setpgid: true, Credential: cred},
	}
	return c, nil
}

// OpenOutput opens the sandbox file dir/name (stdout, stderr) for
// appending, creating it if needed.
func OpenOutput(dir, name string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("failed to open the sandbox's %s: %w", name, err)
	}
	return f, nil
}

// ChownTree hands dir and everything in it to uid:gid, as Mesos does with
// a sandbox before it runs a task as the framework's user. Symbolic links
// are changed themselves, never followed.
func ChownTree(dir string, uid, gid int) error {
	return filepath.WalkDir(dir, func(p string, _ os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, gid)
	})
}

// LookupEnv returns the last value of name in env (the one exec uses).
func LookupEnv(env []string, name string) string {
	v := ""
	for _, kv := range env {
		if k, val, ok := strings.Cut(kv, "="); ok && k == name {
			v = val
		}
	}
	return v
}

// FindExecutable resolves program the way execvp does, but against the
// task's PATH rather than the agent's. Relative paths with a slash are
// relative to the sandbox dir, where the process starts.
func FindExecutable(program, path, dir string) (string, error) {
	if strings.Contains(program, "/") {
		full := program
		if !filepath.IsAbs(full) {
			full = filepath.Join(dir, full)
		}
		if err := checkExecutable(full); err != nil {
			return "", fmt.Errorf("cannot execute %q: %w", program, err)
		}
		return full, nil
	}
	if path == "" {
		path = DefaultPath
	}
	for _, d := range filepath.SplitList(path) {
		if d == "" {
			d = "."
		}
		if !filepath.IsAbs(d) {
			d = filepath.Join(dir, d)
		}
		full := filepath.Join(d, program)
		if checkExecutable(full) == nil {
			return full, nil
		}
	}
	return "", fmt.Errorf("executable %q not found in PATH %s", program, path)
}

func checkExecutable(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return errors.New("no such file")
		}
		return err
	}
	if fi.IsDir() {
		return errors.New("is a directory")
	}
	if fi.Mode()&0o111 == 0 {
		return errors.New("permission denied")
	}
	return nil
}
