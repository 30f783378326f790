package docker

import (
	"context"
	"fmt"
	"path"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/image"

	"github.com/agoraproject/agora/agent/internal/hostcmd"
)

// program returns what the container will execute first, as the engine
// merges the container's entrypoint and command with the image's, and the
// PATH it is looked up in. "" means there is nothing to run.
func program(cs *createSpec, img image.InspectResponse) (prog, pathEnv string) {
	entry, cmd := cs.config.Entrypoint, cs.config.Cmd
	var imgEnv []string
	if img.Config != nil {
		if len(entry) == 0 {
			entry = img.Config.Entrypoint
			// An image's CMD applies only with the image's entrypoint.
			if len(cmd) == 0 {
				cmd = img.Config.Cmd
			}
		}
		imgEnv = img.Config.Env
	}
	argv := append(append([]string(nil), entry...), cmd...)
	if len(argv) == 0 {
		return "", ""
	}
	pathEnv = hostcmd.DefaultPath // the engine's PATH when the image sets none
	for _, env := range [][]string{imgEnv, cs.config.Env} {
		for _, kv := range env {
			if v, ok := strings.CutPrefix(kv, "PATH="); ok {
				pathEnv = v
			}
		}
	}
	return argv[0], pathEnv
}

// checkProgram fails a launch whose program is not in the created
// container, looking it up as execvp would. With an init as PID 1 the
// engine's start succeeds whatever the program, and a typo would surface
// only as exit status 127; this makes it a launch error that names the
// program. Errors of the engine other than "not found" let the launch go
// on: the check is a courtesy, not a gate.
func (d *Containerizer) checkProgram(ctx context.Context, dockerID string, cs *createSpec, img image.InspectResponse) error {
	prog, pathEnv := program(cs, img)
	if prog == "" {
		return fmt.Errorf("image %q has no command or entrypoint, and the task gives none", cs.image)
	}
	var candidates []string
	switch {
	case path.IsAbs(prog):
		candidates = []string{prog}
	case strings.Contains(prog, "/"):
		wd := cs.config.WorkingDir
		if wd == "" && img.Config != nil {
			wd = img.Config.WorkingDir
		}
		candidates = []string{path.Join("/", wd, prog)}
	default:
		for _, dir := range strings.Split(pathEnv, ":") {
			if path.IsAbs(dir) {
				candidates = append(candidates, path.Join(dir, prog))
			}
		}
	}
	for _, p := range candidates {
		st, err := d.cli.ContainerStatPath(ctx, dockerID, p)
		switch {
		case err == nil && st.Mode.IsDir():
			return fmt.Errorf("cannot execute %q in image %q: %s is a directory", prog, cs.image, p)
		case err == nil:
			return nil
		case !cerrdefs.IsNotFound(err):
			return nil
		}
	}
	if len(candidates) == 1 {
		return fmt.Errorf("cannot execute %q in image %q: no such file", prog, cs.image)
	}
	return fmt.Errorf("executable %q not found in image %q (PATH %s)", prog, cs.image, pathEnv)
}
