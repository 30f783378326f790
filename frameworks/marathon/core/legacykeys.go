package core

import (
	"context"
	"net/url"
	"strings"

	"go.uber.org/zap"
)

// migrateLegacyKeys renames the keys of apps and groups stored with the
// earlier escaping, where an ID's "/" became "_" ("apps/_prod_web"). Valid
// IDs never contained "_", so such a segment maps back to exactly one ID.
// New keys always start with "%2F", so a legacy key is one whose segment
// starts with "_". Each value is written under its new key before the old
// one is deleted: a crash in between leaves a copy, never a loss.
func (c *Core) migrateLegacyKeys(ctx context.Context) error {
	for _, prefix := range []string{prefixApps, prefixGroups} {
		keys, err := c.list(ctx, prefix)
		if err != nil {
			return err
		}
		for _, k := range keys {
			seg := strings.TrimPrefix(k, prefix)
			if !strings.HasPrefix(seg, "_") || strings.Contains(seg, "/") {
				continue
			}
			raw, err := url.PathUnescape(seg)
			if err != nil {
				continue
			}
			id := strings.ReplaceAll(raw, "_", "/")
			if err := c.renameKey(ctx, k, prefix+esc(id)); err != nil {
				return err
			}
			if prefix != prefixApps {
				continue
			}
			if err := c.renameKey(ctx, prefixInstances+seg, instancesKey(id)); err != nil {
				return err
			}
			old := prefixVersions + seg + "/"
			vs, err := c.list(ctx, old)
			if err != nil {
				return err
			}
			for _, v := range vs {
				if err := c.renameKey(ctx, v, versionKey(id, strings.TrimPrefix(v, old))); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// renameKey moves a value to a new key; an absent key is nothing to move.
func (c *Core) renameKey(ctx context.Context, from, to string) error {
	b, err := c.store.Get(ctx, from)
	if isNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := c.store.Put(ctx, to, b); err != nil {
		return err
	}
	if err := c.store.Delete(ctx, from); err != nil && !isNotFound(err) {
		return err
	}
	c.log.Info("store key renamed", zap.String("from", from), zap.String("to", to))
	return nil
}
