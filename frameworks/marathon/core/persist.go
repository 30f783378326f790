package core

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/agoraproject/agora/frameworks/marathon/app"
	"github.com/agoraproject/agora/frameworks/marathon/state"
	"github.com/agoraproject/agora/internal/store"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// Key layout: one key per object, so that no ZooKeeper node grows with the
// number of apps.
const (
	keyFrameworkID    = "framework-id"
	prefixApps        = "apps/"
	prefixVersions    = "versions/"
	prefixInstances   = "instances/"
	prefixDeployments = "deployments/"
	prefixGroups      = "groups/"
)

// esc makes an app or group ID one key segment by percent-encoding it
// whole: "/prod/web" → "%2Fprod%2Fweb". Unlike replacing "/" by a character
// IDs might contain, this is injective ("/prod_web" → "%2Fprod_web"), and
// unesc reverses it.
func esc(id string) string { return url.PathEscape(id) }

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

func appKey(id string) string         { return prefixApps + esc(id) }
func instancesKey(id string) string   { return prefixInstances + esc(id) }
func versionsPrefix(id string) string { return prefixVersions + esc(id) + "/" }
func versionKey(id, v string) string  { return versionsPrefix(id) + v }
func deploymentKey(id string) string  { return prefixDeployments + id }
func groupKey(id string) string       { return prefixGroups + esc(id) }

const storeTimeout = 15 * time.Second

func storeCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), storeTimeout)
}

// putKey writes one key, logging a failure (used where the caller cannot
// fail; the next write or a restart repairs it).
func (c *Core) putKey(key string, value []byte) {
	ctx, cancel := storeCtx()
	defer cancel()
	if err := c.store.Put(ctx, key, value); err != nil {
		c.log.Error("store write failed", zap.String("key", key), zap.Error(err))
	}
}

func (c *Core) deleteKey(key string) {
	ctx, cancel := storeCtx()
	defer cancel()
	if err := c.store.Delete(ctx, key); err != nil && !isNotFound(err) {
		c.log.Error("store delete failed", zap.String("key", key), zap.Error(err))
	}
}

// list returns the full keys under prefix, whether the store answers with
// full keys or with names relative to the prefix.
func (c *Core) list(ctx context.Context, prefix string) ([]string, error) {
	keys, err := c.store.List(ctx, prefix)
	if err != nil {
		if isNotFound(err) {
			return nil, nil
		}
		return nil, err
	}
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		if !strings.HasPrefix(k, prefix) {
			k = prefix + strings.TrimPrefix(k, "/")
		}
		out = append(out, k)
	}
	sort(out)
	return out, nil
}

func sort(s []string) { slices.Sort(s) }

// saveApp stores an app's definition and the version, trimming old
// versions beyond MaxVersions.
func (c *Core) saveApp(ctx context.Context, as *appState) error {
	b, err := json.Marshal(as.app)
	if err != nil {
		return err
	}
	if err := c.store.Put(ctx, versionKey(as.app.ID, as.app.Version), b); err != nil {
		return err
	}
	if err := c.store.Put(ctx, appKey(as.app.ID), b); err != nil {
		return err
	}
	if !slices.Contains(as.versions, as.app.Version) {
		as.versions = append(as.versions, as.app.Version)
	}
	for len(as.versions) > c.cfg.MaxVersions {
		old := as.versions[0]
		as.versions = as.versions[1:]
		if err := c.store.Delete(ctx, versionKey(as.app.ID, old)); err != nil && !isNotFound(err) {
			c.log.Warn("cannot delete old version", zap.String("app_id", as.app.ID), zap.String("version", old), zap.Error(err))
		}
	}
	return nil
}

// forgetApp deletes everything stored about an app.
func (c *Core) forgetApp(as *appState) {
	id := as.app.ID
	for _, v := range as.versions {
		c.deleteKey(versionKey(id, v))
	}
	c.deleteKey(instancesKey(id))
	c.deleteKey(appKey(id))
}

func (c *Core) saveDeployment(ctx context.Context, d *deployment) error {
	b, err := json.Marshal(d)
	if err != nil {
		return err
	}
	return c.store.Put(ctx, deploymentKey(d.ID), b)
}

// persistInstances writes the instance lists changed in this batch. Only
// launches and removals mark them: states come back by reconciliation.
func (c *Core) persistInstances() {
	for _, as := range c.apps {
		if !as.persist {
			continue
		}
		as.persist = false
		b, err := json.Marshal(as.sorted())
		if err != nil {
			c.log.Error("cannot encode instances", zap.Error(err))
			continue
		}
		c.putKey(instancesKey(as.app.ID), b)
	}
}

func (c *Core) persistGroups() {
	c.groupsDirty = false
	ctx, cancel := storeCtx()
	defer cancel()
	keys, err := c.list(ctx, prefixGroups)
	if err != nil {
		c.log.Error("cannot list groups", zap.Error(err))
		return
	}
	want := map[string]bool{}
	for id, g := range c.groups {
		b, _ := json.Marshal(g)
		c.putKey(groupKey(id), b)
		want[groupKey(id)] = true
	}
	for _, k := range keys {
		if !want[k] {
			c.deleteKey(k)
		}
	}
}

// becomeLeader loads everything from the store and resumes deployments.
// Task states are unknown until the master answers reconciliation; until
// then instances count as running, so nothing is launched twice.
func (c *Core) becomeLeader() error {
	c.reset()
	// Each commit of this term checks its election znode still exists, so
	// a write sent just before the session expired cannot land after the
	// next leader's.
	c.store = store.Fence(c.cfg.Store, c.fence)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	st := c.store
	if b, err := st.Get(ctx, keyFrameworkID); err == nil {
		c.frameworkID = string(b)
	} else if !isNotFound(err) {
		return fmt.Errorf("read %s: %w", keyFrameworkID, err)
	}
	if err := c.migrateLegacyKeys(ctx); err != nil {
		return fmt.Errorf("rename legacy keys: %w", err)
	}
	keys, err := c.list(ctx, prefixGroups)
	if err != nil {
		return err
	}
	for _, k := range keys {
		var g state.Group
		if err := c.getJSON(ctx, k, &g); err != nil {
			return err
		}
		if g.ID != "" {
			c.groups[g.ID] = g
		}
	}
	if keys, err = c.list(ctx, prefixApps); err != nil {
		return err
	}
	for _, k := range keys {
		a := &app.App{}
		if err := c.getJSON(ctx, k, a); err != nil {
			return err
		}
		if a.ID == "" {
			continue
		}
		as := newAppState(a)
		vs, err := c.list(ctx, versionsPrefix(a.ID))
		if err != nil {
			return err
		}
		for _, v := range vs {
			as.versions = append(as.versions, strings.TrimPrefix(v, versionsPrefix(a.ID)))
		}
		var ts []*task
		if err := c.getJSON(ctx, instancesKey(a.ID), &ts); err != nil && !isNotFound(err) {
			return err
		}
		for _, t := range ts {
			// Assume running until the master says otherwise.
			t.State = mesos.TaskState_TASK_RUNNING
			as.addTask(t)
			c.tasks[t.ID] = t
		}
		c.apps[a.ID] = as
	}
	if keys, err = c.list(ctx, prefixDeployments); err != nil {
		return err
	}
	for _, k := range keys {
		d := &deployment{}
		if err := c.getJSON(ctx, k, d); err != nil {
			return err
		}
		c.resume(d)
	}
	c.leader = true
	c.dirty = true
	for _, as := range c.apps {
		as.view = nil
		c.converge(as)
	}
	c.log.Info("state loaded", zap.Int("apps", len(c.apps)), zap.Int("tasks", len(c.tasks)),
		zap.Int("deployments", len(c.deployments)), zap.String("framework_id", c.frameworkID))
	return nil
}

func (c *Core) getJSON(ctx context.Context, key string, v any) error {
	b, err := c.store.Get(ctx, key)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("store key %s: %w", key, err)
	}
	return nil
}
