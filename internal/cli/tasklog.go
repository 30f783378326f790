package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
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
	base, err := masterBase(ctx, o)
	if err != nil {
		return err
	}
	master, err := newClient("master", base, o)
	if err != nil {
		return err
	}
	path := sandboxPath(t) + "/" + file
	var offset int64
	for {
		n, err := copyFile(ctx, env, master, t, path, offset)
		offset += n
		if err != nil {
			return err
		}
		if !*follow {
			return nil
		}
		if n == 0 && taskEnded(ctx, o, t.ID) {
			// Drain what was written between the read and the check.
			_, err := copyFile(ctx, env, master, t, path, offset)
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(followInterval):
		}
	}
}

// sandboxPath is the task's sandbox in the Mesos form the master's files
// proxy resolves on the task's agent: the executor's latest run, and the
// task's own directory inside it when the task belongs to a task group.
// Reading through the master means the CLI needs no route to the agents
// (nor an agent certificate: agents serve their files to the master only).
func sandboxPath(t taskJSON) string {
	executor := t.ExecutorID
	if executor == "" {
		executor = t.ID // a command task's executor carries its ID
	}
	p := "/frameworks/" + t.FrameworkID + "/executors/" + executor + "/runs/latest"
	if executor != t.ID {
		p += "/tasks/" + t.ID
	}
	return p
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

// copyFile prints the file from offset to its current end, returning how
// many bytes it printed.
func copyFile(ctx context.Context, env Env, master *client, t taskJSON, path string, offset int64) (int64, error) {
	var total int64
	for {
		var chunk struct {
			Data   string `json:"data"`
			Offset int64  `json:"offset"`
		}
		q := url.Values{"path": {path}, "offset": {fmt.Sprint(offset + total)}, "length": {"65536"}}
		err := master.get(ctx, "/agents/"+url.PathEscape(t.AgentID)+"/files/read?"+q.Encode(), &chunk)
		var ae *apiError
		if errors.As(err, &ae) && ae.Status == http.StatusNotFound {
			return total, fmt.Errorf("task %s has no %s in its sandbox on agent %s (not started yet, or garbage-collected): %w", t.ID, filepath.Base(path), t.AgentID, err)
		}
		if err != nil {
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
