package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"
	"go.uber.org/zap"

	"github.com/agoraproject/agora/internal/zkctx"
	"github.com/agoraproject/agora/internal/zkurl"
)

// ZK is a Store in ZooKeeper under the URL's path:
//
//	<path>/kv/<key>                       one znode per key segment
//	<path>/chunks/<escaped key>/<gen>/<i> the parts of a large value
//
// A key's znode holds a one-byte tag and then either the value or, for a
// value above ChunkSize, a header naming a generation of chunk znodes.
// ZooKeeper refuses znodes and requests near 1 MiB (jute.maxbuffer), so a
// large value is written chunk by chunk under a fresh generation and then
// committed in one Multi that switches the key's header to it and deletes the
// previous generation: readers see the old value or the new one, never a mix,
// and a writer that dies before the commit leaves only an unreferenced
// generation, which the key's next chunked write or its deletion removes. A znode with no data is a
// parent that holds no value.
type ZK struct {
	conn *zk.Conn
	root string
	acl  []zk.ACL
	log  *zap.Logger
	// orphanAge is how much older than a new generation another one must
	// be to count as a dead writer's rather than a concurrent writer's.
	orphanAge time.Duration
	// fence, when set, is a znode every commit checks still exists, in the
	// same Multi (see Fenced).
	fence string
}

// ErrFenced is returned by a write through a fenced store whose fence
// znode is gone: the writer no longer holds what entitled it to write.
var ErrFenced = errors.New("store: fenced off: the fence znode is gone (leadership lost)")

// Fenced returns a view of z whose commits (Put, Delete) succeed only while
// the znode at path exists: a leader passes its ephemeral election znode,
// so a write it sent before losing its session cannot land after that
// session expired and another leader was elected. Chunks of a large value
// are written before the fenced commit; a fenced-off write leaves them
// unreferenced, and they are removed as a dead writer's are.
func (z *ZK) Fenced(path string) *ZK {
	f := *z
	f.fence = path
	return &f
}

// Fence returns s fenced by the znode at path when s is kept in ZooKeeper
// (see ZK.Fenced), and s itself otherwise: a file or memory store has one
// writer by construction.
func Fence(s Store, path string) Store {
	if z, ok := s.(*ZK); ok && path != "" {
		return z.Fenced(path)
	}
	return s
}

// ChunkSize is the largest value kept in the key's own znode and the size
// of each chunk of a larger one: half of ZooKeeper's 1 MiB default limit.
const ChunkSize = 512 << 10

const (
	tagInline  = 0
	tagChunked = 1
	// zkSessionTimeout: the store holds no ephemeral nodes, so a long
	// session only spares reconnect work.
	zkSessionTimeout = 10 * time.Second
	// zkOpenTimeout bounds OpenZK's wait for a first session.
	zkOpenTimeout = 15 * time.Second
	// zkRetries bounds the optimistic-concurrency retries of one call; each
	// round lets at least one of the racing writers through.
	zkRetries = 32
	// listParallel is how many znodes List reads at once.
	listParallel = 32
)

// OpenZK connects to the ensemble in u and prepares u.Path for the store.
// With u.Auth it authenticates by digest and creates znodes readable and
// writable only by that user.
func OpenZK(u zkurl.URL, log *zap.Logger) (*ZK, error) {
	if log == nil {
		log = zap.NewNop()
	}
	if len(u.Servers) == 0 {
		return nil, errors.New("store: zk url has no servers")
	}
	conn, _, err := zk.Connect(u.Servers, zkSessionTimeout, zk.WithLogger(zkLogger{log}), zk.WithLogInfo(false))
	if err != nil {
		return nil, fmt.Errorf("store: zookeeper %s: %w", u.Redacted(), err)
	}
	z := &ZK{conn: conn, root: strings.TrimSuffix(u.Path, "/"), acl: zk.WorldACL(zk.PermAll), log: log, orphanAge: time.Minute}
	ctx, cancel := context.WithTimeout(context.Background(), zkOpenTimeout)
	defer cancel()
	if u.Auth != "" {
		user, pass, _ := strings.Cut(u.Auth, ":")
		z.acl = zk.DigestACL(zk.PermAll, user, pass)
		if _, err := zkctx.Call(ctx, func() (struct{}, error) { return struct{}{}, conn.AddAuth("digest", []byte(u.Auth)) }); err != nil {
			conn.Close()
			return nil, fmt.Errorf("store: zookeeper %s: auth: %w", u.Redacted(), err)
		}
	}
	for _, p := range []string{z.root + "/kv", z.root + "/chunks"} {
		if err := z.ensure(ctx, p); err != nil {
			conn.Close()
			return nil, fmt.Errorf("store: zookeeper %s: %w", u.Redacted(), err)
		}
	}
	log.Info("opened", zap.String("zk", u.Redacted()))
	return z, nil
}

// Close ends the session.
func (z *ZK) Close() error {
	z.conn.Close()
	return nil
}

func (z *ZK) keyPath(key string) string {
	if key == "" {
		return z.root + "/kv"
	}
	return z.root + "/kv/" + key
}

func (z *ZK) chunkDir(key string) string { return z.root + "/chunks/" + url.PathEscape(key) }

// ensure creates p and its missing ancestors as empty znodes.
func (z *ZK) ensure(ctx context.Context, p string) error {
	if p == "" || p == "/" {
		return nil
	}
	ok, err := zkctx.Call(ctx, func() (bool, error) { ok, _, err := z.conn.Exists(p); return ok, err })
	if err != nil || ok {
		return err
	}
	if err := z.ensure(ctx, path.Dir(p)); err != nil {
		return err
	}
	_, err = zkctx.Call(ctx, func() (string, error) { return z.conn.Create(p, nil, 0, z.acl) })
	if errors.Is(err, zk.ErrNodeExists) {
		return nil
	}
	return err
}

type node struct {
	data    []byte
	version int32
}

// getNode reads a znode; ok is false when it does not exist.
func (z *ZK) getNode(ctx context.Context, p string) (node, bool, error) {
	n, err := zkctx.Call(ctx, func() (node, error) {
		data, st, err := z.conn.Get(p)
		if err != nil {
			return node{}, err
		}
		return node{data, st.Version}, nil
	})
	if errors.Is(err, zk.ErrNoNode) {
		return node{}, false, nil
	}
	return n, err == nil, err
}

// Get implements Store.
func (z *ZK) Get(ctx context.Context, key string) ([]byte, error) {
	if err := check(ctx, key); err != nil {
		return nil, err
	}
	for range zkRetries {
		n, ok, err := z.getNode(ctx, z.keyPath(key))
		if err != nil {
			return nil, fmt.Errorf("store: get %q: %w", key, err)
		}
		if !ok || len(n.data) == 0 {
			return nil, ErrNotFound
		}
		switch n.data[0] {
		case tagInline:
			return n.data[1:], nil
		case tagChunked:
			h, err := decodeHeader(n.data[1:])
			if err != nil {
				return nil, fmt.Errorf("store: get %q: %w", key, err)
			}
			v, err := z.readChunks(ctx, key, h)
			if errors.Is(err, zk.ErrNoNode) {
				continue // replaced while we read; read the new header
			}
			if err != nil {
				return nil, fmt.Errorf("store: get %q: %w", key, err)
			}
			return v, nil
		default:
			return nil, fmt.Errorf("store: get %q: unknown value format %d", key, n.data[0])
		}
	}
	return nil, fmt.Errorf("store: get %q: value kept changing while being read", key)
}

func (z *ZK) readChunks(ctx context.Context, key string, h header) ([]byte, error) {
	v := make([]byte, 0, h.Size)
	for i := range h.Chunks {
		n, ok, err := z.getNode(ctx, chunkPath(z.chunkDir(key), h.Gen, i))
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, zk.ErrNoNode
		}
		v = append(v, n.data...)
	}
	if err := h.verify(v); err != nil {
		return nil, err
	}
	return v, nil
}

func chunkPath(dir, gen string, i int) string { return fmt.Sprintf("%s/%s/%06d", dir, gen, i) }

// Put implements Store.
func (z *ZK) Put(ctx context.Context, key string, value []byte) error {
	if err := check(ctx, key); err != nil {
		return err
	}
	if err := z.put(ctx, key, value); err != nil {
		return fmt.Errorf("store: put %q: %w", key, err)
	}
	return nil
}

func (z *ZK) put(ctx context.Context, key string, value []byte) error {
	data := append([]byte{tagInline}, value...)
	var gen string
	for range zkRetries {
		var pre []any
		if len(value) > ChunkSize {
			if gen == "" {
				var err error
				if gen, err = z.writeChunks(ctx, key, value); err != nil {
					return err
				}
				data = append([]byte{tagChunked}, newHeader(gen, value).encode()...)
			}
			// The commit fails if a concurrent cleanup took our chunks.
			pre = []any{&zk.CheckVersionRequest{Path: z.chunkDir(key) + "/" + gen, Version: -1}}
		}
		err := z.commit(ctx, key, data, pre)
		switch {
		case err == nil:
			if gen != "" {
				z.removeStaleGens(ctx, key, gen)
			}
			return nil
		case errors.Is(err, zk.ErrNoNode) && gen != "":
			gen = "" // our chunks or the key's parent went away: start over
		case errors.Is(err, zk.ErrNoNode), errors.Is(err, zk.ErrBadVersion), errors.Is(err, zk.ErrNodeExists):
			// Lost a race with another writer or a Delete: read again.
		default:
			return err
		}
	}
	return errors.New("too many concurrent changes")
}

// commit sets the key's znode to data in one Multi, after the ops in pre,
// deleting the chunks of the value it replaces.
func (z *ZK) commit(ctx context.Context, key string, data []byte, pre []any) error {
	p := z.keyPath(key)
	old, ok, err := z.getNode(ctx, p)
	if err != nil {
		return err
	}
	ops := pre
	if !ok {
		if err := z.ensure(ctx, path.Dir(p)); err != nil {
			return err
		}
		ops = append(ops, &zk.CreateRequest{Path: p, Data: data, Acl: z.acl})
	} else {
		ops = append(ops, &zk.SetDataRequest{Path: p, Data: data, Version: old.version})
		ops = append(ops, z.deleteChunkOps(key, old.data)...)
	}
	return z.multi(ctx, ops)
}

func (z *ZK) multi(ctx context.Context, ops []any) error {
	if z.fence != "" {
		ops = append([]any{&zk.CheckVersionRequest{Path: z.fence, Version: -1}}, ops...)
	}
	res, err := zkctx.Call(ctx, func() ([]zk.MultiResponse, error) { return z.conn.Multi(ops...) })
	if z.fence != "" && len(res) > 0 && res[0].Error != nil {
		return fmt.Errorf("%w: %s: %v", ErrFenced, z.fence, res[0].Error)
	}
	if err != nil {
		return err
	}
	for _, r := range res {
		if r.Error != nil {
			return r.Error
		}
	}
	return nil
}

// deleteChunkOps returns the deletes of the chunk generation a key's znode
// data refers to, if any.
func (z *ZK) deleteChunkOps(key string, data []byte) []any {
	if len(data) == 0 || data[0] != tagChunked {
		return nil
	}
	h, err := decodeHeader(data[1:])
	if err != nil {
		return nil
	}
	dir := z.chunkDir(key)
	var ops []any
	for i := range h.Chunks {
		ops = append(ops, &zk.DeleteRequest{Path: chunkPath(dir, h.Gen, i), Version: -1})
	}
	return append(ops, &zk.DeleteRequest{Path: dir + "/" + h.Gen, Version: -1})
}

// writeChunks stores value's chunks under a new generation and returns it.
func (z *ZK) writeChunks(ctx context.Context, key string, value []byte) (string, error) {
	var b [8]byte
	_, _ = rand.Read(b[:])
	gen := fmt.Sprintf("%d-%s", time.Now().UnixMilli(), hex.EncodeToString(b[:]))
	dir := z.chunkDir(key) + "/" + gen
	if err := z.ensure(ctx, dir); err != nil {
		return "", err
	}
	for i := 0; i*ChunkSize < len(value); i++ {
		part := value[i*ChunkSize : min((i+1)*ChunkSize, len(value))]
		if _, err := zkctx.Call(ctx, func() (string, error) { return z.conn.Create(chunkPath(z.chunkDir(key), gen, i), part, 0, z.acl) }); err != nil {
			return "", err
		}
	}
	return gen, nil
}

// removeStaleGens deletes the chunk generations of key that writers left
// when they died before their commit: with keep "" (the key was deleted)
// all of them, else those created orphanAge before keep — younger ones may
// belong to a writer still at work. Ages are the server's creation times.
// Best effort.
func (z *ZK) removeStaleGens(ctx context.Context, key, keep string) {
	dir := z.chunkDir(key)
	gens, err := zkctx.Call(ctx, func() ([]string, error) { c, _, err := z.conn.Children(dir); return c, err })
	if err != nil {
		return
	}
	ctime := func(g string) int64 {
		st, err := zkctx.Call(ctx, func() (*zk.Stat, error) { _, st, err := z.conn.Exists(dir + "/" + g); return st, err })
		if err != nil || st == nil {
			return 0
		}
		return st.Ctime
	}
	var cutoff int64
	if keep != "" {
		if cutoff = ctime(keep) - z.orphanAge.Milliseconds(); cutoff <= 0 {
			return
		}
	}
	for _, g := range gens {
		if g == keep || (keep != "" && ctime(g) > cutoff) {
			continue
		}
		parts, _ := zkctx.Call(ctx, func() ([]string, error) { c, _, err := z.conn.Children(dir + "/" + g); return c, err })
		ops := []any{}
		for _, c := range parts {
			ops = append(ops, &zk.DeleteRequest{Path: dir + "/" + g + "/" + c, Version: -1})
		}
		ops = append(ops, &zk.DeleteRequest{Path: dir + "/" + g, Version: -1})
		if err := z.multi(ctx, ops); err != nil {
			z.log.Debug("stale chunks not removed", zap.String("key", key), zap.String("gen", g), zap.Error(err))
		}
	}
	if keep == "" {
		_, _ = zkctx.Call(ctx, func() (struct{}, error) { return struct{}{}, z.conn.Delete(dir, -1) })
	}
}

// Delete implements Store.
func (z *ZK) Delete(ctx context.Context, key string) error {
	if err := check(ctx, key); err != nil {
		return err
	}
	p := z.keyPath(key)
	for range zkRetries {
		old, ok, err := z.getNode(ctx, p)
		if err != nil {
			return fmt.Errorf("store: delete %q: %w", key, err)
		}
		if !ok || len(old.data) == 0 {
			return nil
		}
		// A znode with children keeps them and loses only its value.
		ops := []any{&zk.DeleteRequest{Path: p, Version: old.version}}
		kids, err := zkctx.Call(ctx, func() (int32, error) { _, st, err := z.conn.Exists(p); return numChildren(st), err })
		if err != nil {
			return fmt.Errorf("store: delete %q: %w", key, err)
		}
		if kids > 0 {
			ops[0] = &zk.SetDataRequest{Path: p, Data: nil, Version: old.version}
		}
		ops = append(ops, z.deleteChunkOps(key, old.data)...)
		err = z.multi(ctx, ops)
		switch {
		case err == nil:
			if old.data[0] == tagChunked {
				z.removeStaleGens(ctx, key, "")
			}
			z.prune(ctx, key)
			return nil
		case errors.Is(err, zk.ErrBadVersion), errors.Is(err, zk.ErrNotEmpty), errors.Is(err, zk.ErrNoNode):
			// Changed under us: look again.
		default:
			return fmt.Errorf("store: delete %q: %w", key, err)
		}
	}
	return fmt.Errorf("store: delete %q: too many concurrent changes", key)
}

func numChildren(st *zk.Stat) int32 {
	if st == nil {
		return 0
	}
	return st.NumChildren
}

// prune removes the key's znode and its parents while they are empty and
// valueless, so
// deleted keys leave no trace. A concurrent Put that needs one recreates it.
func (z *ZK) prune(ctx context.Context, key string) {
	for ; key != "." && key != ""; key = path.Dir(key) {
		p := z.keyPath(key)
		st, err := zkctx.Call(ctx, func() (*zk.Stat, error) { _, st, err := z.conn.Exists(p); return st, err })
		if err != nil || st == nil || st.DataLength > 0 || st.NumChildren > 0 {
			return
		}
		if _, err := zkctx.Call(ctx, func() (struct{}, error) { return struct{}{}, z.conn.Delete(p, st.Version) }); err != nil {
			return
		}
	}
}

// List implements Store. It reads the znodes under the prefix's whole
// segments, listParallel at a time.
func (z *ZK) List(ctx context.Context, prefix string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := validatePrefix(prefix); err != nil {
		return nil, err
	}
	base := ""
	if i := strings.LastIndexByte(prefix, '/'); i >= 0 {
		base = prefix[:i]
	}
	w := &walk{z: z, ctx: ctx, prefix: prefix, sem: make(chan struct{}, listParallel), out: []string{}}
	w.wg.Add(1)
	go w.visit(base, base == "") // the base itself is a key only if it matches
	w.wg.Wait()
	if w.err != nil {
		return nil, fmt.Errorf("store: list %q: %w", prefix, w.err)
	}
	slices.Sort(w.out)
	return w.out, nil
}

type walk struct {
	z      *ZK
	ctx    context.Context
	prefix string
	sem    chan struct{}
	wg     sync.WaitGroup

	mu  sync.Mutex
	out []string
	err error
}

// visit reads key's znode and its children; isRoot marks the kv root,
// which is never a key.
func (w *walk) visit(key string, isRoot bool) {
	defer w.wg.Done()
	w.sem <- struct{}{}
	kids, st, err := func() ([]string, *zk.Stat, error) {
		defer func() { <-w.sem }()
		type r struct {
			kids []string
			st   *zk.Stat
		}
		v, err := zkctx.Call(w.ctx, func() (r, error) { k, st, err := w.z.conn.Children(w.z.keyPath(key)); return r{k, st}, err })
		return v.kids, v.st, err
	}()
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case errors.Is(err, zk.ErrNoNode):
		return // deleted meanwhile, or the prefix names nothing
	case err != nil:
		if w.err == nil {
			w.err = err
		}
		return
	}
	if !isRoot && st.DataLength > 0 && strings.HasPrefix(key, w.prefix) {
		w.out = append(w.out, key)
	}
	for _, c := range kids {
		child := c
		if !isRoot {
			child = key + "/" + c
		}
		if strings.HasPrefix(child, w.prefix) || strings.HasPrefix(w.prefix, child+"/") {
			w.wg.Add(1)
			go w.visit(child, false)
		}
	}
}

// zkLogger sends the ZooKeeper client's messages to zap at debug level.
type zkLogger struct{ log *zap.Logger }

func (l zkLogger) Printf(format string, args ...any) { l.log.Debug(fmt.Sprintf(format, args...)) }
