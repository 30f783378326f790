package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
)

// File is a Store with one file per key under a directory, for a framework
// that runs as a single replica. A key's segments become directories with a
// ".d" suffix and its value a file with a ".v" suffix, so "apps/web" (value
// apps.d/web.v) and "apps/web/1" (value apps.d/web.d/1.v) never collide.
//
// Writes are crash-safe: the value goes to a temporary file that is synced
// and renamed over the old one, then the directory is synced, so after a
// crash a key holds its old value or its new one. Temporary files a crash
// leaves behind end in ".tmp"; they are never read and OpenFile removes them.
//
// One process owns a directory at a time (an flock on its ".lock").
type File struct {
	dir  string
	lock *os.File
	// mu orders a Put's directory creation against a Delete's pruning of
	// empty directories.
	mu sync.RWMutex
}

const (
	dirSuffix   = ".d"
	valueSuffix = ".v"
	tmpSuffix   = ".tmp"
)

// OpenFile opens (creating it if needed) the file store in dir.
func OpenFile(dir string) (*File, error) {
	if dir == "" {
		return nil, errors.New("store: file store: empty directory")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	lock, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lock.Close()
		return nil, fmt.Errorf("store: %s is in use by another store (flock: %v)", dir, err)
	}
	f := &File{dir: dir, lock: lock}
	if err := f.removeTemps(); err != nil {
		lock.Close()
		return nil, err
	}
	return f, nil
}

// Close releases the directory.
func (f *File) Close() error { return f.lock.Close() }

// removeTemps deletes the temporary files of writes a crash interrupted.
func (f *File) removeTemps() error {
	return filepath.WalkDir(f.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(d.Name(), tmpSuffix) {
			if err := os.Remove(p); err != nil {
				return fmt.Errorf("store: remove leftover %s: %w", p, err)
			}
		}
		return nil
	})
}

// dirOf returns the directory that holds the values of keys "<prefix>x",
// for a prefix of whole segments ("" or "a/b/").
func (f *File) dirOf(segs []string) string {
	parts := []string{f.dir}
	for _, s := range segs {
		parts = append(parts, s+dirSuffix)
	}
	return filepath.Join(parts...)
}

func (f *File) valuePath(key string) string {
	segs := strings.Split(key, "/")
	return filepath.Join(f.dirOf(segs[:len(segs)-1]), segs[len(segs)-1]+valueSuffix)
}

// Get implements Store.
func (f *File) Get(ctx context.Context, key string) ([]byte, error) {
	if err := check(ctx, key); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(f.valuePath(key))
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: get %q: %w", key, err)
	}
	return b, nil
}

// Put implements Store.
func (f *File) Put(ctx context.Context, key string, value []byte) error {
	if err := check(ctx, key); err != nil {
		return err
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	segs := strings.Split(key, "/")
	if err := f.mkdirs(segs[:len(segs)-1]); err != nil {
		return fmt.Errorf("store: put %q: %w", key, err)
	}
	if err := writeAtomic(f.valuePath(key), value); err != nil {
		return fmt.Errorf("store: put %q: %w", key, err)
	}
	return nil
}

// mkdirs creates the directories for segs, syncing each parent that got a
// new entry so the directory survives a crash together with the value.
func (f *File) mkdirs(segs []string) error {
	for i := range segs {
		d := f.dirOf(segs[:i+1])
		err := os.Mkdir(d, 0o755)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return err
		}
		if err := syncDir(filepath.Dir(d)); err != nil {
			return err
		}
	}
	return nil
}

// writeAtomic replaces path's content: temp file, fsync, rename, fsync dir.
func writeAtomic(path string, value []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+"-*"+tmpSuffix)
	if err != nil {
		return err
	}
	_, err = tmp.Write(value)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Delete implements Store. It removes directories left empty, so deleted
// keys leave no trace.
func (f *File) Delete(ctx context.Context, key string) error {
	if err := check(ctx, key); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.valuePath(key)
	err := os.Remove(p)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("store: delete %q: %w", key, err)
	}
	if err := syncDir(filepath.Dir(p)); err != nil {
		return fmt.Errorf("store: delete %q: %w", key, err)
	}
	// Prune empty directories upwards; Remove fails on a non-empty one,
	// which ends the walk.
	for d := filepath.Dir(p); d != f.dir; d = filepath.Dir(d) {
		if os.Remove(d) != nil {
			break
		}
		_ = syncDir(filepath.Dir(d))
	}
	return nil
}

// List implements Store.
func (f *File) List(ctx context.Context, prefix string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := validatePrefix(prefix); err != nil {
		return nil, err
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	// Walk only the directory of the prefix's whole segments.
	var base []string
	if i := strings.LastIndexByte(prefix, '/'); i >= 0 {
		base = strings.Split(prefix[:i], "/")
	}
	root := f.dirOf(base)
	out := []string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
				return nil
			}
			return err
		}
		name, ok := strings.CutSuffix(d.Name(), valueSuffix)
		if d.IsDir() || !ok {
			return nil
		}
		rel, err := filepath.Rel(root, filepath.Dir(p))
		if err != nil {
			return err
		}
		key := slices.Clone(base)
		if rel != "." {
			for _, s := range strings.Split(rel, string(filepath.Separator)) {
				key = append(key, strings.TrimSuffix(s, dirSuffix))
			}
		}
		k := strings.Join(append(key, name), "/")
		if strings.HasPrefix(k, prefix) {
			out = append(out, k)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: list %q: %w", prefix, err)
	}
	slices.Sort(out)
	return out, nil
}
