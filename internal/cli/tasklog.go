package cli

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// followInterval is how often `task log --follow` polls the sandbox file.
var followInterval = 500 * time.Millisecond

func runTask(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 || args[0] != "log" {
		return fmt.Errorf("usage: agora task log TASK [--follow] [--stderr]")
	}
	fs, o := newFlags(env, "task log")
	follow := fs.Bool("follow", false, "keep printing output as the task writes it, until it ends")
	stderr := fs.Bool("stderr", false, "print stderr instead of stdout")
	pos, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	if err := wantArgs(pos, 1, "task log TASK [--follow] [--stderr]"); err != nil {
		return err
	}
	file := "stdout"
	if *stderr {
		file = "stderr"
	}
	s, err := fetchMasterState(ctx, o)
	if err != nil {
		return err
	}
	t, err := findTask(s, pos[0])
	if err != nil {
		return err
	}
	a, ok := s.agent(t.AgentID)
	if !ok {
		return fmt.Errorf("task %s ran on agent %s, which the master no longer knows", t.ID, t.AgentID)
	}
	agent := newClient("agent", agentAddress(a))
	dir, err := sandboxDir(ctx, agent, t)
	if err != nil {
		return err
	}
	path := dir + "/" + file
	var offset int64
	for {
		n, err := copyFile(ctx, env, agent, path, offset)
		offset += n
		if err != nil {
			return err
		}
		if !*follow {
			return nil
		}
		if n == 0 && taskEnded(ctx, o, t.ID) {
			// Drain what was written between the read and the check.
			_, err := copyFile(ctx, env, agent, path, offset)
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(followInterval):
		}
	}
}

// findTask matches a task by ID or by a unique ID prefix.
func findTask(s *masterState, id string) (taskJSON, error) {
	var matches []taskJSON
	for _, t := range s.tasks(true) {
		if t.ID == id {
			return t, nil
		}
		if strings.HasPrefix(t.ID, id) {
			matches = append(matches, t)
		}
	}
	switch len(matches) {
	case 0:
		return taskJSON{}, fmt.Errorf("no task %q is known to the master", id)
	case 1:
		return matches[0], nil
	}
	return taskJSON{}, fmt.Errorf("%q matches %d tasks; give more of the ID", id, len(matches))
}

// agentAddress is host:port from the agent's pid ("slave(1)@10.0.0.5:5051")
// or else its hostname and port.
func agentAddress(a agentJSON) string {
	if i := strings.LastIndex(a.PID, "@"); i >= 0 && i+1 < len(a.PID) {
		return a.PID[i+1:]
	}
	return fmt.Sprintf("%s:%d", a.Hostname, a.Port)
}

// agentState is the part of an agent's /state that locates sandboxes.
type agentState struct {
	Frameworks          []agentFramework `json:"frameworks"`
	CompletedFrameworks []agentFramework `json:"completed_frameworks"`
}

type agentFramework struct {
	ID                 string          `json:"id"`
	Executors          []agentExecutor `json:"executors"`
	CompletedExecutors []agentExecutor `json:"completed_executors"`
}

type agentExecutor struct {
	ID             string                `json:"id"`
	Directory      string                `json:"directory"`
	Tasks          []struct{ ID string } `json:"tasks"`
	QueuedTasks    []struct{ ID string } `json:"queued_tasks"`
	CompletedTasks []struct{ ID string } `json:"completed_tasks"`
}

func sandboxDir(ctx context.Context, agent *client, t taskJSON) (string, error) {
	var st agentState
	if err := agent.get(ctx, "/state", &st); err != nil {
		return "", err
	}
	for _, f := range append(st.Frameworks, st.CompletedFrameworks...) {
		if f.ID != t.FrameworkID {
			continue
		}
		for _, e := range append(f.Executors, f.CompletedExecutors...) {
			for _, list := range [][]struct{ ID string }{e.Tasks, e.QueuedTasks, e.CompletedTasks} {
				for _, x := range list {
					if x.ID == t.ID {
						return e.Directory, nil
					}
				}
			}
		}
	}
	return "", fmt.Errorf("agent %s has no sandbox for task %s (it may have been garbage-collected)", agent.base, t.ID)
}

// copyFile prints the file from offset to its current end, returning how
// many bytes it printed.
func copyFile(ctx context.Context, env Env, agent *client, path string, offset int64) (int64, error) {
	var total int64
	for {
		var chunk struct {
			Data   string `json:"data"`
			Offset int64  `json:"offset"`
		}
		q := url.Values{"path": {path}, "offset": {fmt.Sprint(offset + total)}, "length": {"65536"}}
		if err := agent.get(ctx, "/files/read?"+q.Encode(), &chunk); err != nil {
			return total, err
		}
		if chunk.Data == "" {
			return total, nil
		}
		if _, err := fmt.Fprint(env.Stdout, chunk.Data); err != nil {
			return total, err
		}
		total += int64(len(chunk.Data))
	}
}

func taskEnded(ctx context.Context, o *options, id string) bool {
	s, err := fetchMasterState(ctx, o)
	if err != nil {
		return false
	}
	t, err := findTask(s, id)
	if err != nil {
		return true
	}
	switch t.State {
	case "TASK_STAGING", "TASK_STARTING", "TASK_RUNNING", "TASK_KILLING", "TASK_UNREACHABLE":
		return false
	}
	return true
}
