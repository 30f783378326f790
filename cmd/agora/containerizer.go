package main

import (
	"errors"
	"flag"
	"fmt"
	"slices"
	"strings"

	"go.uber.org/zap"

	"github.com/agoraproject/agora/agent/containerizer"
	"github.com/agoraproject/agora/agent/containerizer/cgroups"
	"github.com/agoraproject/agora/agent/containerizer/posix"
)

// containerizerFlags are the agent's Mesos flags that choose and shape the
// containerizer.
type containerizerFlags struct {
	containerizers string // --containerizers: "mesos", "docker", in the order tried (docker.go)
	isolation      string // --isolation; empty: cgroups where usable, else posix
	enableCFS      bool   // --cgroups_enable_cfs
	cgroupsRoot    string // --cgroups_root
}

func bindContainerizerFlags(fs *flag.FlagSet) *containerizerFlags {
	f := &containerizerFlags{}
	fs.StringVar(&f.containerizers, "containerizers", "mesos", "comma-separated containerizers in the order tried: 'mesos' (native) and 'docker' (DOCKER containers), e.g. docker,mesos")
	fs.StringVar(&f.isolation, "isolation", "", "comma-separated isolators: cgroups/cpu,cgroups/mem,cgroups/pids (or cgroups/all), or posix/cpu,posix/mem; default: cgroups where /sys/fs/cgroup is writable, else posix")
	fs.BoolVar(&f.enableCFS, "cgroups_enable_cfs", false, "enforce the cpus resource as a hard CFS quota, not only as shares")
	fs.StringVar(&f.cgroupsRoot, "cgroups_root", cgroups.DefaultRoot, "parent cgroup of the containers")
	return f
}

// containerizerPlan is what the flags ask for.
type containerizerPlan struct {
	// cgroups is set when containers run in cgroups; nil means posix.
	cgroups *cgroups.Config
	// explicit: --isolation named the isolators, so a host without usable
	// cgroups is an error rather than a reason to fall back to posix.
	explicit bool
}

// planContainerizer turns the flags into a plan, rejecting what Agora
// cannot do (yet). It probes nothing: newContainerizer tries the plan.
func planContainerizer(f containerizerFlags) (containerizerPlan, error) {
	for _, c := range strings.Split(f.containerizers, ",") {
		switch c = strings.TrimSpace(c); c {
		case "mesos", "docker": // docker.go composes them
		default:
			return containerizerPlan{}, fmt.Errorf("--containerizers: unknown containerizer %q", c)
		}
	}
	cfg := &cgroups.Config{Root: f.cgroupsRoot, CPU: true, CFS: f.enableCFS, Memory: true, Pids: true}
	if strings.TrimSpace(f.isolation) == "" {
		return containerizerPlan{cgroups: cfg}, cfg.Validate()
	}
	*cfg = cgroups.Config{Root: f.cgroupsRoot}
	var usesCgroups, usesPosix bool
	for _, iso := range strings.Split(f.isolation, ",") {
		switch iso = strings.TrimSpace(iso); iso {
		case "cgroups/cpu":
			cfg.CPU, cfg.CFS = true, f.enableCFS
		case "cgroups/mem":
			cfg.Memory = true
		case "cgroups/pids":
			cfg.Pids = true
		case "cgroups/all":
			cfg.CPU, cfg.CFS, cfg.Memory, cfg.Pids = true, f.enableCFS, true, true
		case "posix/cpu", "posix/mem":
			usesPosix = true
			continue
		case "filesystem/posix", "":
			continue // the host filesystem: what every container here gets
		case "namespaces/pid":
			return containerizerPlan{}, errors.New("--isolation: namespaces/pid is not supported yet")
		default:
			return containerizerPlan{}, fmt.Errorf("--isolation: unknown isolator %q", iso)
		}
		usesCgroups = true
	}
	switch {
	case usesCgroups && usesPosix:
		return containerizerPlan{}, errors.New("--isolation: posix/* and cgroups/* isolators exclude each other")
	case !usesCgroups:
		return containerizerPlan{explicit: true}, nil
	}
	return containerizerPlan{cgroups: cfg, explicit: true}, cfg.Validate()
}

// newContainerizer builds the containerizer the flags ask for. By default
// it tries cgroups and falls back to posix, logging why, where cgroups are
// not usable (not root, nothing mounted, read-only); an explicit
// cgroups isolation fails instead. newCgroups is cgroups.New but for tests.
func newContainerizer(f containerizerFlags, log *zap.Logger,
	newCgroups func(cgroups.Config) (containerizer.Containerizer, error)) (containerizer.Containerizer, error) {
	plan, err := planContainerizer(f)
	if err != nil {
		return nil, err
	}
	if plan.cgroups != nil {
		cfg := *plan.cgroups
		cfg.Logger = log
		c, err := newCgroups(cfg)
		if err == nil {
			log.Info("containerizer: mesos with cgroups isolation", zap.String("isolation", isolationString(cfg)),
				zap.String("cgroups_root", cfg.Root))
			return c, nil
		}
		if plan.explicit {
			return nil, fmt.Errorf("--isolation: %w", err)
		}
		log.Warn("containerizer: cgroups are not usable here; falling back to posix isolation (no limits)", zap.Error(err))
	}
	log.Info("containerizer: mesos with posix isolation", zap.String("isolation", "posix/cpu,posix/mem"))
	return posix.New(posix.Config{Logger: log})
}

// isolationString names the isolators cfg enables, in Mesos's terms.
func isolationString(cfg cgroups.Config) string {
	var out []string
	for name, on := range map[string]bool{"cgroups/cpu": cfg.CPU, "cgroups/mem": cfg.Memory, "cgroups/pids": cfg.Pids} {
		if on {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return strings.Join(out, ",")
}

// newCgroupsContainerizer adapts cgroups.New to newContainerizer.
func newCgroupsContainerizer(cfg cgroups.Config) (containerizer.Containerizer, error) {
	return cgroups.New(cfg)
}
