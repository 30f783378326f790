package fetcher

import (
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"go.uber.org/zap"
)

// cache keeps the downloads of URIs with cache set, within a byte budget.
// Keys cover the user as well as the URI (as in Mesos), since a local file
// one user may read must not reach another through the cache. Concurrent
// fetches of one key share one download, which is cancelled only when all
// of them have given up. The least recently used entries that no fetch is
// reading are evicted first.
type cache struct {
	dir      string
	capacity int64
	log      *zap.Logger

	mu      sync.Mutex
	entries map[string]*entry // downloading or kept
	lru     list.List         // kept entries, most recently used in front
	size    int64             // bytes of kept entries
	seq     int
}

type entry struct {
	key    string
	file   string        // unique per entry: a replaced entry's file may still be read
	done   chan struct{} // closed when the download has ended
	err    error         // why it failed; set before done is closed
	size   int64
	refs   int // fetches waiting for or reading the entry
	cancel context.CancelFunc
	elem   *list.Element // set while kept in lru
	gone   bool          // out of entries: delete the file when refs drop to 0
}

type downloadFunc func(ctx context.Context, to *os.File) (int64, error)

func newCache(dir string, capacity int64, log *zap.Logger) *cache {
	return &cache{dir: dir, capacity: capacity, log: log, entries: map[string]*entry{}}
}

func cacheKey(user, uri string) string {
	sum := sha256.Sum256([]byte(user + "\x00" + uri))
	return "c" + hex.EncodeToString(sum[:])
}

// isCacheFile recognises the files this cache writes, so that clearing the
// directory never removes anything else an operator keeps there.
func isCacheFile(name string) bool {
	if len(name) < 65 || name[0] != 'c' {
		return false
	}
	_, err := hex.DecodeString(name[1:65])
	return err == nil
}

// clear removes the files of an earlier run: Mesos starts with an empty
// cache too, which gives operators a way to pick up changed artifacts.
func (c *cache) clear() {
	names, err := os.ReadDir(c.dir)
	if err != nil {
		return // not created yet, or unreadable: the first fetch will say
	}
	for _, n := range names {
		if isCacheFile(n.Name()) {
			if err := os.RemoveAll(filepath.Join(c.dir, n.Name())); err != nil {
				c.log.Warn("cannot clear the fetcher cache", zap.Error(err))
			}
		}
	}
}

// get returns the path of key's complete download, downloading it first if
// no fetch has. The caller reads the file, then calls release; until then
// the file is not evicted.
func (c *cache) get(ctx context.Context, key string, download downloadFunc) (string, func(), error) {
	c.mu.Lock()
	e := c.entries[key]
	if e == nil {
		c.seq++
		e = &entry{key: key, file: filepath.Join(c.dir, fmt.Sprintf("%s-%d", key, c.seq)), done: make(chan struct{})}
		// The download outlives the fetch that started it if others wait.
		dctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		e.cancel = cancel
		c.entries[key] = e
		go c.fill(dctx, e, download)
	} else if e.elem != nil {
		c.lru.MoveToFront(e.elem)
	}
	e.refs++
	c.mu.Unlock()
	var once sync.Once
	release := func() { once.Do(func() { c.release(e) }) }
	select {
	case <-e.done:
	case <-ctx.Done():
		release()
		return "", nil, ctx.Err()
	}
	if e.err != nil {
		release()
		return "", nil, e.err
	}
	return e.file, release, nil
}

func (c *cache) fill(ctx context.Context, e *entry, download downloadFunc) {
	defer e.cancel()
	n, err := c.write(ctx, e.file, download)
	c.mu.Lock()
	defer c.mu.Unlock()
	e.err, e.size = err, n
	switch {
	case e.gone: // everyone gave up while it downloaded
		_ = os.Remove(e.file)
	case err != nil:
		// Failures are not cached: the next fetch tries again.
		c.forget(e)
	case n > c.capacity:
		// It can never fit: serve the waiting fetches from it, but evict
		// nothing for it.
		c.forget(e)
		c.log.Info("file larger than the fetcher cache; not kept", zap.Int64("bytes", n), zap.Int64("cache_size", c.capacity))
	default:
		e.elem = c.lru.PushFront(e)
		c.size += n
		c.evict()
	}
	close(e.done)
}

// write downloads into a temporary file and renames it into place, so a
// file under an entry's name is always complete.
func (c *cache) write(ctx context.Context, path string, download downloadFunc) (int64, error) {
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		return 0, fmt.Errorf("creating the cache: %w", err)
	}
	tmp, err := os.CreateTemp(c.dir, filepath.Base(path)+".part*")
	if err != nil {
		return 0, fmt.Errorf("writing the cache: %w", err)
	}
	n, err := download(ctx, tmp)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
		return 0, err
	}
	return n, nil
}

func (c *cache) release(e *entry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e.refs--
	if e.refs > 0 {
		return
	}
	select {
	case <-e.done:
	default:
		// Nobody wants it any more: stop the download, and let the next
		// fetch of the key start afresh rather than inherit a cancellation.
		e.cancel()
		c.forget(e)
		return
	}
	if e.gone {
		_ = os.Remove(e.file)
		return
	}
	c.evict()
}

// forget takes e out of the cache; its file is deleted by whoever sees its
// last reference go.
func (c *cache) forget(e *entry) {
	if c.entries[e.key] == e {
		delete(c.entries, e.key)
	}
	if e.elem != nil {
		c.lru.Remove(e.elem)
		c.size -= e.size
		e.elem = nil
	}
	e.gone = true
}

// evict drops least recently used entries nobody reads until the cache
// fits. Entries being read stay; they go when released, if still over.
func (c *cache) evict() {
	for el := c.lru.Back(); el != nil && c.size > c.capacity; {
		prev := el.Prev()
		if e := el.Value.(*entry); e.refs == 0 {
			c.forget(e)
			_ = os.Remove(e.file)
			c.log.Debug("evicted from the fetcher cache", zap.String("file", e.file), zap.Int64("bytes", e.size))
		}
		el = prev
	}
}
