package docker

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/pkg/stdcopy"
	"go.uber.org/zap"

	"github.com/agoraproject/agora/agent/internal/hostcmd"
)

// copyLogs follows the engine's log stream of the container into the
// sandbox files until the container stops (or ctx ends). The engine keeps
// the output, so a stream opened after a fast container has exited still
// delivers all of it.
func (c *dockerContainer) copyLogs(ctx context.Context, from *resume) {
	opts := container.LogsOptions{ShowStdout: true, ShowStderr: true, Follow: true, Timestamps: true}
	stdout, stderr := &stamped{f: c.out.stdout}, &stamped{f: c.out.stderr}
	if from != nil {
		opts.Since = from.since()
		stdout.cutoff, stderr.cutoff = from.stdout, from.stderr
	}
	rc, err := c.d.cli.ContainerLogs(ctx, c.dockerID, opts)
	if err != nil {
		if ctx.Err() == nil {
			c.log.Warn("cannot read the container's output", zap.Error(err))
		}
		return
	}
	_, err = stdcopy.StdCopy(stdout, stderr, rc)
	rc.Close()
	if ctx.Err() != nil {
		return
	}
	if err != nil {
		c.log.Warn("copying the container's output failed", zap.Error(err))
	}
	// A following stream can end before the engine has delivered the last
	// (often unterminated) line of a container that exits at once; read
	// once more without following. The writers drop what they already hold.
	opts.Follow = false
	opts.Since = ""
	if since := earliest(stdout.cutoff, stderr.cutoff); !since.IsZero() {
		opts.Since = fmt.Sprintf("%d.%09d", since.Unix(), since.Nanosecond())
	}
	rest, err := c.d.cli.ContainerLogs(ctx, c.dockerID, opts)
	if err != nil {
		return
	}
	defer rest.Close()
	if _, err := stdcopy.StdCopy(stdout, stderr, rest); err != nil && ctx.Err() == nil {
		c.log.Warn("copying the container's remaining output failed", zap.Error(err))
	}
}

// earliest is the older of two cutoffs, ignoring unset ones.
func earliest(a, b time.Time) time.Time {
	switch {
	case a.IsZero():
		return b
	case b.IsZero() || a.Before(b):
		return a
	}
	return b
}

// resume is where a recovered container's output picks up: each sandbox
// file's modification time is the engine's timestamp of the last message
// copied into it (stamped sets it so), so the engine resends from the
// older of the two and each file skips what it already holds.
type resume struct{ stdout, stderr time.Time }

// resumeFrom reads a sandbox's output files; nil (copy everything) when
// they are missing.
func resumeFrom(sandbox string) *resume {
	var r resume
	for name, t := range map[string]*time.Time{"stdout": &r.stdout, "stderr": &r.stderr} {
		fi, err := os.Stat(filepath.Join(sandbox, name))
		if err != nil {
			return nil
		}
		*t = fi.ModTime()
	}
	return &r
}

// since is the engine's form of the older cutoff: seconds.nanoseconds.
func (r *resume) since() string {
	t := r.stdout
	if r.stderr.Before(t) {
		t = r.stderr
	}
	return fmt.Sprintf("%d.%09d", t.Unix(), t.Nanosecond())
}

// stamped writes log messages into a sandbox file without the engine's
// timestamps, drops those stamped no later than cutoff, and sets the
// file's modification time to the last one written: the clock of file
// times is too coarse (a kernel tick) to tell what was copied otherwise.
// StdCopy writes one message per Write.
type stamped struct {
	f      *os.File
	cutoff time.Time
}

func (s *stamped) Write(p []byte) (int, error) {
	i := bytes.IndexByte(p, ' ')
	ts, err := time.Parse(time.RFC3339Nano, string(p[:max(i, 0)]))
	if i < 0 || err != nil {
		return s.f.Write(p)
	}
	if !ts.After(s.cutoff) {
		return len(p), nil
	}
	if _, err := s.f.Write(p[i+1:]); err != nil {
		return 0, err
	}
	// What is written becomes the cutoff, so a second read of the same
	// stream (see copyLogs) skips it.
	s.cutoff = ts
	_ = os.Chtimes(s.f.Name(), time.Time{}, ts)
	return len(p), nil
}

// outputs are the sandbox's stdout and stderr files.
type outputs struct{ stdout, stderr *os.File }

func openOutputs(sandbox string) (outputs, error) {
	var o outputs
	var err error
	if o.stdout, err = hostcmd.OpenOutput(sandbox, "stdout"); err != nil {
		return o, err
	}
	if o.stderr, err = hostcmd.OpenOutput(sandbox, "stderr"); err != nil {
		o.close()
		return o, err
	}
	return o, nil
}

func (o outputs) close() {
	for _, f := range []*os.File{o.stdout, o.stderr} {
		if f != nil {
			_ = f.Close()
		}
	}
}
