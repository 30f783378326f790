package core

import (
	"context"
	"slices"
	"strings"

	"go.uber.org/zap"

	"github.com/agoraproject/agora/frameworks/marathon/app"
	"github.com/agoraproject/agora/frameworks/marathon/deploy"
	"github.com/agoraproject/agora/frameworks/marathon/state"
)

// Deploy starts one deployment for a change.
func (c *Core) Deploy(ctx context.Context, ch state.Change, force bool) (state.Deployment, error) {
	var d state.Deployment
	var err error
	if e := c.do(ctx, func() { d, err = c.deploy(ch, force) }); e != nil {
		return d, e
	}
	return d, err
}

// CancelDeployment stops a deployment; without force it is rolled back.
func (c *Core) CancelDeployment(ctx context.Context, id string, force bool) (*state.Deployment, error) {
	var out *state.Deployment
	var err error
	if e := c.do(ctx, func() { out, err = c.cancelDeployment(id, force) }); e != nil {
		return nil, e
	}
	return out, err
}

// deploy validates, locks, stamps, plans, persists and starts a change.
func (c *Core) deploy(ch state.Change, force bool) (state.Deployment, error) {
	if !c.leader {
		return state.Deployment{}, &state.NotLeaderError{}
	}
	current := map[string]*app.App{}
	for id, as := range c.apps {
		if !as.deleting {
			current[id] = as.app
		}
	}
	target := make(map[string]*app.App, len(current))
	for id, a := range current {
		target[id] = a
	}
	groups := make(map[string]state.Group, len(c.groups))
	for id, g := range c.groups {
		groups[id] = g
	}

	for _, gid := range ch.DeleteGroups {
		gid = app.CanonicalID(gid)
		found := false
		for id := range groups {
			if within(id, gid) {
				delete(groups, id)
				found = true
			}
		}
		for id := range target {
			if within(id, gid) {
				delete(target, id)
				found = true
			}
		}
		if !found {
			return state.Deployment{}, &state.NotFoundError{Kind: "Group", ID: gid}
		}
	}
	for _, id := range ch.Delete {
		// An app also inside a deleted group, or listed twice, is gone
		// already: only an app that does not exist is NotFound.
		id = app.CanonicalID(id)
		if current[id] == nil {
			return state.Deployment{}, &state.NotFoundError{Kind: "App", ID: id}
		}
		delete(target, id)
	}
	var violations []state.Violation
	upserted := map[string]bool{}
	for _, in := range ch.Upsert {
		a := in.Clone()
		a.Normalize()
		if vs := a.Validate(); len(vs) > 0 {
			violations = append(violations, vs...)
			continue
		}
		if old := current[a.ID]; old != nil && sameApp(old, a) {
			target[a.ID] = old
			continue
		}
		target[a.ID] = a
		upserted[a.ID] = true
	}
	if len(violations) > 0 {
		return state.Deployment{}, &state.InvalidError{Violations: violations}
	}
	restart := map[string]bool{}
	for _, id := range ch.Restart {
		id = app.CanonicalID(id)
		if target[id] == nil {
			return state.Deployment{}, &state.NotFoundError{Kind: "App", ID: id}
		}
		restart[id] = true
	}
	_, v := c.newVersion()
	for _, g := range ch.Groups {
		g.ID = app.CanonicalID(g.ID)
		if g.Dependencies == nil {
			g.Dependencies = []string{}
		}
		g.Version = v
		groups[g.ID] = g
	}
	groupList := sortedGroups(groups)
	if vs := deploy.CheckDependencies(target, groupList); len(vs) > 0 {
		return state.Deployment{}, &state.InvalidError{Violations: vs}
	}

	var affected []string
	for id, a := range target {
		if current[id] != a || restart[id] {
			affected = append(affected, id)
		}
	}
	for id := range current {
		if target[id] == nil {
			affected = append(affected, id)
		}
	}
	slices.Sort(affected)
	var locks []string
	for _, id := range affected {
		if d := c.lockedBy[id]; d != nil && !slices.Contains(locks, d.ID) {
			locks = append(locks, d.ID)
		}
	}
	if len(locks) > 0 {
		if !force {
			return state.Deployment{}, &state.LockedError{DeploymentIDs: locks}
		}
		for _, id := range locks {
			c.stopDeployment(c.deployments[id], "deployment was cancelled by a forced change")
		}
	}

	// Stamp the new versions: a change of instances only is a scaling.
	for id := range upserted {
		a := target[id]
		old := current[id]
		a.Version = v
		if old != nil && app.ConfigEqual(old, a) {
			a.VersionInfo = &app.VersionInfo{LastScalingAt: v, LastConfigChangeAt: configVersion(old)}
		} else {
			a.VersionInfo = &app.VersionInfo{LastScalingAt: v, LastConfigChangeAt: v}
		}
	}
	for id := range restart {
		a := target[id].Clone()
		a.Version = v
		a.VersionInfo = &app.VersionInfo{LastScalingAt: v, LastConfigChangeAt: v}
		target[id] = a
		upserted[id] = true
	}
	restartList := make([]string, 0, len(restart))
	for id := range restart {
		restartList = append(restartList, id)
	}
	slices.Sort(restartList)
	steps := deploy.Plan(current, target, groupList, restartList)

	d := &deployment{
		ID:             c.uuid(),
		Version:        v,
		Steps:          steps,
		AffectedApps:   affected,
		Original:       map[string]*app.App{},
		OriginalGroups: sortedGroups(c.groups),
		Target:         map[string]*app.App{},
	}
	if d.Steps == nil {
		d.Steps = []state.Step{}
	}
	for _, id := range affected {
		d.Original[id] = current[id]
		d.Target[id] = target[id]
	}

	// Persist before applying: a failure leaves memory as it was.
	ctx, cancel := storeCtx()
	defer cancel()
	for _, id := range affected {
		a := target[id]
		if a == nil || !upserted[id] {
			continue
		}
		as := c.apps[id]
		if as == nil {
			as = newAppState(a)
		}
		prev := as.app
		as.app = a
		err := c.saveApp(ctx, as)
		as.app = prev
		if err != nil {
			return state.Deployment{}, err
		}
		c.apps[id] = as
	}
	if len(d.Steps) > 0 {
		if err := c.saveDeployment(ctx, d); err != nil {
			return state.Deployment{}, err
		}
	}

	// Apply.
	if !sameGroups(groups, c.groups) {
		c.groups = groups
		c.groupsDirty = true
	}
	for _, id := range affected {
		as := c.apps[id]
		a := target[id]
		switch {
		case a == nil:
			as.deleting = true
		default:
			if as.app != nil && !app.ConfigEqual(as.app, a) {
				as.delay, as.launchAfter = 0, c.now() // a new configuration starts without back-off
			}
			as.app = a
			as.deleting = false
		}
		// Launches queued for the old definition are recomputed by
		// converge for the new one.
		c.setQueue(as, 0)
		as.view = nil
	}
	c.dirty = true
	c.emit(deploymentInfoEvent(d, c.now()))
	if len(ch.Groups) > 0 || len(ch.DeleteGroups) > 0 {
		c.emit(groupChangeEvent("/", v, c.now()))
	}
	if len(d.Steps) == 0 {
		c.emit(deploymentSuccessEvent(d, c.now()))
		for _, id := range affected {
			if as := c.apps[id]; as != nil {
				c.converge(as)
			}
		}
		return d.view(), nil
	}
	c.deployments[d.ID] = d
	for _, id := range affected {
		c.lockedBy[id] = d
	}
	c.log.Info("deployment started", zap.String("deployment_id", d.ID), zap.Strings("apps", affected), zap.Int("steps", len(d.Steps)))
	for _, id := range affected {
		if as := c.apps[id]; as != nil {
			c.converge(as)
		}
	}
	view := d.view()
	c.progress()
	return view, nil
}

// sameApp says whether a submitted app changes nothing.
func sameApp(old, a *app.App) bool {
	return old.Instances == a.Instances && app.ConfigEqual(old, a)
}

func within(id, group string) bool {
	return group == "/" || id == group || strings.HasPrefix(id, group+"/")
}

func sortedGroups(m map[string]state.Group) []state.Group {
	out := make([]state.Group, 0, len(m))
	for _, g := range m {
		out = append(out, g)
	}
	slices.SortFunc(out, func(a, b state.Group) int { return strings.Compare(a.ID, b.ID) })
	return out
}

func sameGroups(a, b map[string]state.Group) bool {
	if len(a) != len(b) {
		return false
	}
	for id, g := range a {
		h, ok := b[id]
		if !ok || !slices.Equal(g.Dependencies, h.Dependencies) {
			return false
		}
	}
	return true
}

func configVersion(a *app.App) string {
	if a.VersionInfo != nil && a.VersionInfo.LastConfigChangeAt != "" {
		return a.VersionInfo.LastConfigChangeAt
	}
	return a.Version
}

// resume takes a deployment loaded from the store.
func (c *Core) resume(d *deployment) {
	c.deployments[d.ID] = d
	for _, id := range d.AffectedApps {
		c.lockedBy[id] = d
		if as := c.apps[id]; as != nil && d.Target[id] == nil {
			as.deleting = true
		}
	}
}

// phase is the action a deployment currently applies to an app; held
// means the app's first step is still ahead, so nothing happens to it yet.
func (c *Core) phase(id string) (action string, held bool) {
	d := c.lockedBy[id]
	if d == nil {
		return "", false
	}
	for i := d.Current; i < len(d.Steps); i++ {
		for _, a := range d.Steps[i].Actions {
			if a.App == id {
				return a.Action, i > d.Current
			}
		}
	}
	return "", false
}

// progress moves every deployment whose current step is done.
func (c *Core) progress() {
	for _, d := range c.deployments {
		c.advance(d)
	}
}

func (c *Core) advance(d *deployment) {
	moved := false
	for d.Current < len(d.Steps) {
		step := d.Steps[d.Current]
		for _, a := range step.Actions {
			if !c.actionDone(a) {
				if moved {
					c.saveDeploymentLogged(d)
				}
				return
			}
		}
		c.emit(stepSuccessEvent(d, step, c.now()))
		d.Current++
		moved = true
		c.dirty = true
		if d.Current < len(d.Steps) {
			for _, a := range d.Steps[d.Current].Actions {
				if as := c.apps[a.App]; as != nil {
					c.converge(as)
				}
			}
		}
	}
	c.finishDeployment(d)
}

func (c *Core) saveDeploymentLogged(d *deployment) {
	ctx, cancel := storeCtx()
	defer cancel()
	if err := c.saveDeployment(ctx, d); err != nil {
		c.log.Error("cannot save deployment", zap.String("deployment_id", d.ID), zap.Error(err))
	}
}

// finishDeployment ends a deployment that completed.
func (c *Core) finishDeployment(d *deployment) {
	c.release(d)
	c.log.Info("deployment finished", zap.String("deployment_id", d.ID))
	c.emit(deploymentSuccessEvent(d, c.now()))
}

// stopDeployment ends a deployment where it is (forced cancel).
func (c *Core) stopDeployment(d *deployment, reason string) {
	if d == nil {
		return
	}
	c.release(d)
	c.log.Info("deployment stopped", zap.String("deployment_id", d.ID), zap.String("reason", reason))
	c.emit(deploymentFailedEvent(d, reason, c.now()))
}

func (c *Core) release(d *deployment) {
	delete(c.deployments, d.ID)
	c.deleteKey(deploymentKey(d.ID))
	for _, id := range d.AffectedApps {
		if c.lockedBy[id] == d {
			delete(c.lockedBy, id)
		}
		if as := c.apps[id]; as != nil {
			as.view = nil
			c.converge(as)
		}
	}
	c.dirty = true
}

// actionDone says whether one action of the current step has completed.
func (c *Core) actionDone(a state.Action) bool {
	as := c.apps[a.App]
	switch a.Action {
	case state.StartApplication:
		return true
	case state.StopApplication:
		return as == nil || !as.deleting
	case state.RestartApplication:
		if as == nil || as.deleting {
			return true
		}
		return c.restart(as, false).Done && !killing(as)
	default: // ScaleApplication
		if as == nil || as.deleting {
			return true
		}
		return c.scaled(as)
	}
}

func killing(as *appState) bool {
	for _, t := range as.sorted() {
		if t.Killing {
			return true
		}
	}
	return false
}

// scaled says whether an app runs exactly its instances, all healthy, with
// nothing waiting to launch or to die.
func (c *Core) scaled(as *appState) bool {
	if as.toLaunch > 0 {
		return false
	}
	now := c.now()
	n := 0
	for _, t := range as.sorted() {
		switch {
		case t.terminal():
			continue
		case t.Killing:
			return false
		case t.inactive(as.app, now):
			continue
		case !t.healthy(as.app):
			return false
		}
		n++
	}
	return n == as.app.Instances
}

// cancelDeployment stops a deployment; without force it deploys the
// previous versions of the apps it touched.
func (c *Core) cancelDeployment(id string, force bool) (*state.Deployment, error) {
	if !c.leader {
		return nil, &state.NotLeaderError{}
	}
	d := c.deployments[id]
	if d == nil {
		return nil, &state.NotFoundError{Kind: "Deployment", ID: id}
	}
	if force {
		c.stopDeployment(d, "deployment was cancelled")
		return nil, nil
	}
	var ch state.Change
	for _, appID := range d.AffectedApps {
		orig := d.Original[appID]
		switch {
		case orig != nil:
			a := orig.Clone()
			ch.Upsert = append(ch.Upsert, a)
		case c.apps[appID] != nil && !c.apps[appID].deleting:
			ch.Delete = append(ch.Delete, appID)
		}
	}
	ch.Groups = d.OriginalGroups
	c.stopDeployment(d, "deployment was rolled back")
	// Groups created by the deployment go away with the rollback.
	orig := map[string]bool{}
	for _, g := range d.OriginalGroups {
		orig[g.ID] = true
	}
	for gid := range c.groups {
		if !orig[gid] {
			delete(c.groups, gid)
			c.groupsDirty = true
		}
	}
	nd, err := c.deploy(ch, true)
	if err != nil {
		return nil, err
	}
	return &nd, nil
}

// refreshWaiting explains, for every current action not done, what it
// waits for.
func (c *Core) refreshWaiting() {
	for _, d := range c.deployments {
		d.waiting = map[string]string{}
		if d.Current >= len(d.Steps) {
			continue
		}
		for _, a := range d.Steps[d.Current].Actions {
			if c.actionDone(a) {
				continue
			}
			d.waiting[a.App] = c.waitingText(c.apps[a.App])
		}
	}
}
