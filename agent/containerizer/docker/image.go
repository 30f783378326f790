package docker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/image"
	"go.uber.org/zap"
)

// ensureImage returns the local image ref, pulling it first when it is
// missing or force is set (force_pull_image), as Mesos does.
func (d *Containerizer) ensureImage(ctx context.Context, ref string, force bool) (image.InspectResponse, error) {
	if !force {
		img, err := d.cli.ImageInspect(ctx, ref)
		if err == nil {
			return img, nil
		}
		if !cerrdefs.IsNotFound(err) {
			return img, fmt.Errorf("failed to look up image %q: %w", ref, err)
		}
	}
	d.log.Info("pulling image", zap.String("image", ref), zap.Bool("force_pull_image", force))
	if err := d.pull(ctx, ref); err != nil {
		if force {
			return image.InspectResponse{}, fmt.Errorf("failed to pull image %q (force_pull_image is set): %w", ref, err)
		}
		return image.InspectResponse{}, fmt.Errorf("image %q is not on this agent and pulling it failed: %w", ref, err)
	}
	img, err := d.cli.ImageInspect(ctx, ref)
	if err != nil {
		return img, fmt.Errorf("image %q: %w", ref, err)
	}
	return img, nil
}

// pull pulls ref, reading the engine's progress stream to its end: the
// failure of a pull arrives in that stream, not as the call's error.
func (d *Containerizer) pull(ctx context.Context, ref string) error {
	rc, err := d.cli.ImagePull(ctx, ref, image.PullOptions{})
	if err != nil {
		return err
	}
	defer rc.Close()
	return streamError(rc)
}

// streamError reads a JSON message stream of the engine to its end and
// returns the error it reports, if any.
func streamError(r io.Reader) error {
	dec := json.NewDecoder(r)
	for {
		var m struct {
			Error       string `json:"error"`
			ErrorDetail struct {
				Message string `json:"message"`
			} `json:"errorDetail"`
		}
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return err
		}
		if m.ErrorDetail.Message != "" {
			return errors.New(m.ErrorDetail.Message)
		}
		if m.Error != "" {
			return errors.New(m.Error)
		}
	}
}
