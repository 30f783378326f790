package core

import (
	"context"
	"maps"
	"slices"

	"github.com/agoraproject/agora/frameworks/marathon/app"
	"github.com/agoraproject/agora/frameworks/marathon/state"
)

// KillTasks kills tasks; with scale the apps shrink by the number killed.
func (c *Core) KillTasks(ctx context.Context, taskIDs []string, scale, wipe, force bool) ([]state.Task, *state.Deployment, error) {
	var (
		out []state.Task
		d   *state.Deployment
		err error
	)
	if e := c.do(ctx, func() { out, d, err = c.killTasks(taskIDs, scale, wipe, force) }); e != nil {
		return nil, nil, e
	}
	return out, d, err
}

func (c *Core) killTasks(taskIDs []string, scale, wipe, force bool) ([]state.Task, *state.Deployment, error) {
	if !c.leader {
		return nil, nil, &state.NotLeaderError{}
	}
	var ts []*task
	seen := map[string]bool{}
	for _, id := range taskIDs {
		t := c.tasks[id]
		if t == nil {
			return nil, nil, &state.NotFoundError{Kind: "Task", ID: id}
		}
		if !seen[id] {
			seen[id] = true
			ts = append(ts, t)
		}
	}
	out := make([]state.Task, 0, len(ts))
	for _, t := range ts {
		out = append(out, taskView(t))
	}
	var dep *state.Deployment
	if scale {
		perApp := map[string]int{}
		for _, t := range ts {
			perApp[t.AppID]++
		}
		var locks []string
		for id := range perApp {
			if d := c.lockedBy[id]; d != nil && !slices.Contains(locks, d.ID) {
				locks = append(locks, d.ID)
			}
		}
		if len(locks) > 0 && !force {
			slices.Sort(locks)
			return nil, nil, &state.LockedError{DeploymentIDs: locks}
		}
		var ch state.Change
		for _, id := range slices.Sorted(maps.Keys(perApp)) {
			as := c.apps[id]
			if as == nil || as.deleting {
				continue
			}
			a := as.app.Clone()
			a.Instances = max(a.Instances-perApp[id], 0)
			ch.Upsert = append(ch.Upsert, a)
		}
		// Kill first so the scale step finds exactly the instances wanted.
		for _, t := range ts {
			c.kill(t)
		}
		d, err := c.deploy(ch, force)
		if err != nil {
			return nil, nil, err
		}
		dep = &d
	} else {
		for _, t := range ts {
			c.kill(t)
		}
	}
	if wipe {
		for _, t := range ts {
			c.removeTask(t)
		}
	}
	for _, t := range ts {
		if as := c.apps[t.AppID]; as != nil {
			c.converge(as)
		}
	}
	c.progress()
	return out, dep, nil
}

// ResetDelay clears an app's launch back-off.
func (c *Core) ResetDelay(appID string) error {
	var err error
	if e := c.do(context.Background(), func() {
		if !c.leader {
			err = &state.NotLeaderError{}
			return
		}
		as := c.apps[app.CanonicalID(appID)]
		if as == nil || as.deleting {
			err = &state.NotFoundError{Kind: "App", ID: app.CanonicalID(appID)}
			return
		}
		as.delay, as.launchAfter = 0, c.now()
		as.view = nil
		c.demand = true
		c.dirty = true
	}); e != nil {
		return e
	}
	return err
}
