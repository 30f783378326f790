package api

import (
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// flatCache memoizes appendFlatResources for one worker of one read. The
// master shares equal Resource messages between tasks, so the 100,000
// tasks of a cold read have a few distinct resource lists, and the
// flattened object of each was computed twice per task (its own and its
// command executor's). Keys are the messages' pointers, which is sound
// because kept resources are never modified; the cache lives no longer
// than the read, so it keeps no message alive. A nil cache memoizes
// nothing.
type flatCache struct {
	m map[flatKey][]byte
}

// flatKey is a list of up to flatKeyMax resources, by identity.
type flatKey struct {
	rs     [flatKeyMax]*mesos.Resource
	n      int
	summed bool
}

const (
	flatKeyMax = 4
	// flatCacheMax bounds a cache whose lists do not repeat.
	flatCacheMax = 4096
)

func (c *flatCache) appendFlatResources(b []byte, rs []*mesos.Resource, summed bool) []byte {
	if c == nil || len(rs) > flatKeyMax {
		return appendFlatResources(b, rs, summed)
	}
	k := flatKey{n: len(rs), summed: summed}
	copy(k.rs[:], rs)
	if enc, ok := c.m[k]; ok {
		return append(b, enc...)
	}
	start := len(b)
	b = appendFlatResources(b, rs, summed)
	if c.m == nil {
		c.m = make(map[flatKey][]byte)
	}
	if len(c.m) < flatCacheMax {
		c.m[k] = append([]byte(nil), b[start:]...)
	}
	return b
}
