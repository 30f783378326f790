// Package compose is the composing containerizer: it puts several
// containerizers behind one, in the order of the agent's --containerizers
// flag (docker,mesos as in Mesos), and launches each container with the
// first one that takes its kind of ContainerInfo: the Docker containerizer
// takes type DOCKER, the native (mesos) one the rest. Recover asks every
// member that can recover.
//
// It decides nothing else and adds no behaviour of its own; the members'
// containers are returned as they are, so optional interfaces (stats,
// exec) stay visible to the agent.
package compose

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"

	"github.com/agoraproject/agora/agent/containerizer"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// Member is one containerizer of the composition.
type Member struct {
	// Name is the containerizer's name in --containerizers.
	Name string
	// Containerizer runs what Accepts takes.
	Containerizer containerizer.Containerizer
	// Accepts says whether it runs a container of this ContainerInfo
	// (nil: the host filesystem).
	Accepts func(*mesos.ContainerInfo) bool
}

// Docker is the member for Docker containers.
func Docker(c containerizer.Containerizer) Member {
	return Member{Name: "docker", Containerizer: c, Accepts: func(ci *mesos.ContainerInfo) bool {
		return ci != nil && ci.GetType() == mesos.ContainerInfo_DOCKER
	}}
}

// Mesos is the member for the native containerizer (posix or cgroups),
// which runs everything but Docker containers.
func Mesos(c containerizer.Containerizer) Member {
	return Member{Name: "mesos", Containerizer: c, Accepts: func(ci *mesos.ContainerInfo) bool {
		return ci == nil || ci.GetType() != mesos.ContainerInfo_DOCKER
	}}
}

// Containerizer launches with its members. It is safe for concurrent use
// if they are.
type Containerizer struct {
	members []Member
}

var (
	_ containerizer.Containerizer = (*Containerizer)(nil)
	_ containerizer.Recoverer     = (*Containerizer)(nil)
)

// New composes members, tried in the given order.
func New(members ...Member) (*Containerizer, error) {
	if len(members) == 0 {
		return nil, errors.New("compose: no containerizers")
	}
	for _, m := range members {
		if m.Containerizer == nil || m.Accepts == nil || m.Name == "" {
			return nil, fmt.Errorf("compose: incomplete member %q", m.Name)
		}
	}
	return &Containerizer{members: members}, nil
}

// Names are the members' names in order, as --containerizers lists them.
func (c *Containerizer) Names() []string {
	names := make([]string, len(c.members))
	for i, m := range c.members {
		names[i] = m.Name
	}
	return names
}

// Launch launches spec with the first member that accepts it.
func (c *Containerizer) Launch(ctx context.Context, spec containerizer.LaunchSpec) (containerizer.Container, error) {
	for _, m := range c.members {
		if m.Accepts(spec.Container) {
			return m.Containerizer.Launch(ctx, spec)
		}
	}
	kind := "a host"
	if spec.Container != nil {
		kind = "a " + spec.Container.GetType().String()
	}
	return nil, fmt.Errorf("no containerizer of this agent runs %s container (--containerizers=%s)", kind, strings.Join(c.Names(), ","))
}

// Recover hands each member that can recover the containers it would have
// launched (by their ContainerInfo) and merges what they found; each also
// removes its own orphans.
func (c *Containerizer) Recover(ctx context.Context, cps []containerizer.Checkpointed) (map[string]containerizer.Container, error) {
	found := map[string]containerizer.Container{}
	var errs []error
	taken := make([]bool, len(cps))
	for _, m := range c.members {
		var mine []containerizer.Checkpointed
		for i, cp := range cps {
			if !taken[i] && m.Accepts(cp.Container) {
				taken[i] = true
				mine = append(mine, cp)
			}
		}
		r, ok := m.Containerizer.(containerizer.Recoverer)
		if !ok {
			continue
		}
		got, err := r.Recover(ctx, mine)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", m.Name, err))
		}
		maps.Copy(found, got)
	}
	return found, errors.Join(errs...)
}
