// Package store is a small durable key/value store for the bundled
// frameworks' state (Marathon apps and deployments, Chronos jobs): keys are
// slash-separated paths ("apps/web/versions/2026-01-02T03:04:05Z"), values
// are opaque bytes. Backends: ZooKeeper for replicated frameworks (OpenZK),
// one file per key in a directory for a single replica (OpenFile), and an
// in-memory map for tests (NewMemory).
//
// It is not a database: no transactions across keys, no watches, last
// writer wins. A framework's leader is its only writer.
package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"

	"go.uber.org/zap"

	"github.com/agoraproject/agora/internal/zkurl"
)

// ErrNotFound is returned by Get for a key that has no value.
var ErrNotFound = errors.New("store: not found")

// Store is what the frameworks persist through.
type Store interface {
	// Get returns the key's value, or ErrNotFound when absent.
	Get(ctx context.Context, key string) ([]byte, error)
	// Put creates or replaces the key's value atomically: a reader sees the
	// old value or the new one, never a mix, also across a crash.
	Put(ctx context.Context, key string, value []byte) error
	// Delete removes the key's value. Deleting an absent key is not an
	// error; keys under it ("key/child") are kept.
	Delete(ctx context.Context, key string) error
	// List returns, sorted, every key that has a value and starts with
	// prefix: List(ctx, "apps/") gives "apps/a" and "apps/a/versions/1".
	List(ctx context.Context, prefix string) ([]string, error)
}

// maxSegment bounds one path segment of a key, so the file backend's file
// names stay under the usual 255-byte limit.
const maxSegment = 250

// ValidateKey reports why key is not a usable key: keys are non-empty
// slash-separated paths without empty, "." or ".." segments, without
// leading or trailing slashes and without control characters.
func ValidateKey(key string) error {
	if key == "" {
		return errors.New("store: empty key")
	}
	for _, seg := range strings.Split(key, "/") {
		switch {
		case seg == "":
			return fmt.Errorf("store: key %q: empty segment (leading, trailing or double slash)", key)
		case seg == "." || seg == "..":
			return fmt.Errorf("store: key %q: %q segment", key, seg)
		case len(seg) > maxSegment:
			return fmt.Errorf("store: key %q: segment longer than %d bytes", key, maxSegment)
		case strings.ContainsFunc(seg, isControl):
			return fmt.Errorf("store: key %q: control character", key)
		}
	}
	return nil
}

func validatePrefix(prefix string) error {
	if strings.ContainsFunc(prefix, isControl) {
		return fmt.Errorf("store: prefix %q: control character", prefix)
	}
	if strings.HasPrefix(prefix, "/") {
		return fmt.Errorf("store: prefix %q: keys do not start with a slash", prefix)
	}
	return nil
}

// isControl matches the characters ZooKeeper refuses in paths.
func isControl(r rune) bool {
	return unicode.IsControl(r) || r == unicode.ReplacementChar || (r >= 0xd800 && r <= 0xf8ff) || (r >= 0xfff0 && r <= 0xffff)
}

// Open opens the store a framework's --zk style flag names: "zk://..." is
// ZooKeeper, "" is files under fileDir. The Closer releases it.
func Open(spec string, fileDir string, log *zap.Logger) (Store, io.Closer, error) {
	switch {
	case spec == "":
		if fileDir == "" {
			return nil, nil, errors.New("store: no zk:// URL and no directory for the file store")
		}
		f, err := OpenFile(fileDir)
		if err != nil {
			return nil, nil, err
		}
		return f, f, nil
	case strings.HasPrefix(spec, "zk://"):
		u, err := zkurl.Parse(spec)
		if err != nil {
			return nil, nil, fmt.Errorf("store: %w", err)
		}
		z, err := OpenZK(u, log)
		if err != nil {
			return nil, nil, err
		}
		return z, z, nil
	default:
		return nil, nil, fmt.Errorf("store: %q: want a zk://host:port/path URL, or empty for files", spec)
	}
}
