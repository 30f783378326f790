package docker

import (
	"context"
	"errors"
	"fmt"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"go.uber.org/zap"

	"github.com/agoraproject/agora/agent/containerizer"
)

// Recover finds this agent's containers (by the work_dir label) after a
// restart. Those whose container IDs are listed come back: a running one
// is followed again, its output appended to the sandbox files from their
// last change on (a few lines may repeat, none is lost), and one that
// exited meanwhile returns its exit from Wait at once. The others are
// orphans the agent no longer knows: they are removed, running or not,
// unless KeepOrphans is set; so are listed ones that cannot be followed
// again (their sandbox mount or output files are gone, say). Containers this containerizer launched itself
// are left out.
func (d *Containerizer) Recover(ctx context.Context, cps []containerizer.Checkpointed) (map[string]containerizer.Container, error) {
	ids := containerizer.IDs(cps)
	if err := d.connect(ctx); err != nil {
		return nil, err
	}
	list, err := d.cli.ContainerList(ctx, container.ListOptions{
		All: true, Filters: filters.NewArgs(filters.Arg("label", LabelWorkDir+"="+d.cfg.WorkDir)),
	})
	if err != nil {
		return nil, fmt.Errorf("failed to list the agent's Docker containers: %w", err)
	}
	want := make(map[string]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	d.watchOOM()
	found := map[string]containerizer.Container{}
	for _, s := range list {
		if d.tracked(s.ID) != nil {
			continue
		}
		cid := s.Labels[LabelContainerID]
		log := d.log.With(zap.String("container_id", cid), zap.String("docker_id", shortID(s.ID)), zap.String("state", s.State))
		if !want[cid] || found[cid] != nil {
			if d.cfg.KeepOrphans {
				log.Info("leaving an orphan container alone")
				continue
			}
			log.Info("removing an orphan container")
			d.remove(s.ID)
			continue
		}
		c, err := d.recoverOne(ctx, s.ID, cid)
		if err != nil {
			// Left running, it would be nobody's: an orphan.
			if d.cfg.KeepOrphans {
				log.Warn("cannot recover the container; leaving it alone as an orphan", zap.Error(err))
				continue
			}
			log.Warn("cannot recover the container; removing it as an orphan", zap.Error(err))
			d.remove(s.ID)
			continue
		}
		log.Info("recovered the container", zap.Int("pid", c.pid))
		found[cid] = c
	}
	return found, nil
}

func (d *Containerizer) recoverOne(ctx context.Context, dockerID, cid string) (*dockerContainer, error) {
	info, err := d.cli.ContainerInspect(ctx, dockerID)
	if err != nil {
		return nil, err
	}
	if info.ContainerJSONBase == nil || info.State == nil || info.HostConfig == nil || info.Config == nil {
		return nil, errors.New("the engine's description of the container is incomplete")
	}
	sandbox := ""
	for _, m := range info.Mounts {
		if m.Destination == SandboxPath {
			sandbox = m.Source
		}
	}
	if sandbox == "" {
		return nil, errors.New("the container has no sandbox mount")
	}
	from := resumeFrom(sandbox)
	out, err := openOutputs(sandbox)
	if err != nil {
		return nil, err
	}
	cs := &createSpec{
		config:   info.Config,
		cpus:     float64(info.HostConfig.CPUShares) / cpuSharesPerCPU,
		memBytes: info.HostConfig.Memory,
		network:  string(info.HostConfig.NetworkMode),
	}
	c := d.newContainer(cid, dockerID, cs, out)
	c.pid = info.State.Pid
	d.track(c)
	go c.run(from)
	return c, nil
}
