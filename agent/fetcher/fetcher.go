// Package fetcher downloads a task's CommandInfo.uris into its sandbox
// before the task starts, as the Mesos fetcher does: over http and https,
// or as a copy of a local file (file:// URIs and absolute paths). Each
// URI's flags are Mesos's: output_file names the destination, executable
// makes it 0755, extract (the default) unpacks .tar, .tar.gz, .tgz,
// .tar.bz2, .tbz2 and .zip archives and gunzips a bare .gz file into the
// sandbox, and cache keeps a copy in an LRU cache shared by all tasks.
//
// Everything fetched stays inside the sandbox: destinations and archive
// entries are written through an os.Root, names that are absolute or climb
// with ".." are refused, nothing is written through a symlink, and a
// symlink whose target leaves the sandbox is refused.
//
// It is not a scheduler of fetches (the agent decides when to call Fetch,
// off its event loop), and it does not create the sandbox or switch users:
// when the agent runs as root it reads local files on the task user's
// behalf only if their permission bits allow that user, and chowns what it
// writes to the user.
package fetcher

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.uber.org/zap"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// Defaults, as Mesos's --fetcher_stall_timeout and --fetcher_cache_size.
const (
	DefaultStallTimeout = time.Minute
	DefaultCacheSize    = 2 << 30
)

// Config configures a Fetcher. Zero fields take the defaults.
type Config struct {
	// CacheDir holds the downloads of URIs with cache set
	// (--fetcher_cache_dir). Cache files left by an earlier run are
	// removed by New, as Mesos clears its cache when the agent starts.
	// Empty disables caching: such URIs are fetched directly.
	CacheDir string
	// CacheSize bounds the bytes kept in CacheDir (--fetcher_cache_size);
	// the least recently used entries are evicted first. A file larger
	// than the whole cache is fetched but not kept.
	CacheSize int64
	// StallTimeout aborts a download that receives no data for this long
	// (--fetcher_stall_timeout). It bounds silence, not the whole
	// download, so large artifacts on slow links still arrive.
	StallTimeout time.Duration
	// MaxSize, when positive, bounds each downloaded file and the bytes
	// extracted from each archive, so a compression bomb cannot fill the
	// agent's disk.
	MaxSize int64
	// HTTPClient downloads http and https URIs (default: one that follows
	// redirects and honours the proxy environment, without an overall
	// timeout since StallTimeout guards against hangs).
	HTTPClient *http.Client
	// Logger receives one line per fetched URI (default: none).
	Logger *zap.Logger
}

// Validate reports the first invalid setting.
func (c Config) Validate() error {
	switch {
	case c.CacheSize < 0:
		return fmt.Errorf("fetcher: negative cache size %d", c.CacheSize)
	case c.StallTimeout < 0:
		return fmt.Errorf("fetcher: negative stall timeout %v", c.StallTimeout)
	case c.MaxSize < 0:
		return fmt.Errorf("fetcher: negative max size %d", c.MaxSize)
	}
	return nil
}

// Fetcher fetches URIs into sandboxes. It is safe for concurrent use.
type Fetcher struct {
	cfg   Config
	log   *zap.Logger
	http  *http.Client
	cache *cache // nil without a cache directory
}

// New checks cfg and clears the cache directory of an earlier run's files.
func New(cfg Config) (*Fetcher, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.StallTimeout == 0 {
		cfg.StallTimeout = DefaultStallTimeout
	}
	if cfg.CacheSize == 0 {
		cfg.CacheSize = DefaultCacheSize
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	f := &Fetcher{cfg: cfg, log: cfg.Logger.Named("fetcher"), http: cfg.HTTPClient}
	if f.http == nil {
		f.http = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	}
	if cfg.CacheDir != "" {
		dir, err := filepath.Abs(cfg.CacheDir)
		if err != nil {
			return nil, fmt.Errorf("fetcher: cache dir: %w", err)
		}
		f.cache = newCache(dir, cfg.CacheSize, f.log)
		f.cache.clear()
	}
	return f, nil
}

// Fetch fetches every URI, in order, into sandbox, an existing directory,
// as user (see the package doc). It stops at the first failure and returns
// an error naming the URI and the cause; when ctx ends first, the error
// wraps ctx's error. Files fetched before a failure are left in place.
func (f *Fetcher) Fetch(ctx context.Context, uris []*mesos.CommandInfo_URI, sandbox, user string) error {
	if len(uris) == 0 {
		return nil
	}
	own, err := lookupOwner(user)
	if err != nil {
		return fmt.Errorf("fetching URIs: %w", err)
	}
	root, err := os.OpenRoot(sandbox)
	if err != nil {
		return fmt.Errorf("fetching URIs: opening the sandbox: %w", err)
	}
	defer root.Close()
	w := &writer{root: root, owner: own, maxSize: f.cfg.MaxSize}
	for _, u := range uris {
		err := f.fetchOne(ctx, w, u)
		// Re-check every symlink written so far, failed or not: an entry
		// written after a link can change where it leads, and an escaping
		// link must not stay behind even in a failed task's sandbox.
		if lerr := w.checkLinks(); err == nil {
			err = lerr
		}
		if err != nil {
			if ctx.Err() != nil {
				// Whatever broke, it broke because the caller gave up.
				err = ctx.Err()
			}
			return fmt.Errorf("fetching %s: %w", strings.TrimSpace(u.GetValue()), err)
		}
	}
	return w.chownAll()
}

func (f *Fetcher) fetchOne(ctx context.Context, w *writer, u *mesos.CommandInfo_URI) error {
	start := time.Now()
	// Mesos trims leading whitespace, which frameworks sometimes leave in.
	value := strings.TrimLeft(u.GetValue(), " \t\r\n")
	src, err := parseSource(value)
	if err != nil {
		return err
	}
	name := u.GetOutputFile()
	if name == "" {
		if name, err = src.basename(); err != nil {
			return err
		}
	}
	dest, err := localName(name)
	if err != nil {
		return fmt.Errorf("destination %q %w", name, err)
	}
	if dest == "" {
		return fmt.Errorf("destination %q is not a file name", name)
	}
	file, err := w.create(dest, 0o644)
	if err != nil {
		return err
	}
	var n int64
	cached := u.GetCache() && f.cache != nil
	if cached {
		n, err = f.fromCache(ctx, src, w.owner, file)
	} else {
		n, err = f.download(ctx, src, w.owner, file)
	}
	if cerr := file.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	switch {
	case u.GetExecutable():
		// Mesos never extracts an executable, whatever its name.
		if err := w.root.Chmod(dest, 0o755); err != nil {
			return fmt.Errorf("making %s executable: %w", dest, err)
		}
	case u.GetExtract() && archiveKind(dest) != notArchive:
		if err := w.extract(dest); err != nil {
			return fmt.Errorf("extracting: %w", err)
		}
	}
	f.log.Info("fetched URI", zap.String("uri", value), zap.String("sandbox", w.root.Name()),
		zap.String("output_file", dest), zap.Int64("bytes", n), zap.Bool("cached", cached),
		zap.Duration("took", time.Since(start)))
	return nil
}

// fromCache copies the cached download of src into file, downloading it
// first unless it is cached or another fetch is downloading it already.
func (f *Fetcher) fromCache(ctx context.Context, src source, own owner, file *os.File) (int64, error) {
	path, release, err := f.cache.get(ctx, cacheKey(own.name, src.uri), func(ctx context.Context, tmp *os.File) (int64, error) {
		return f.download(ctx, src, own, tmp)
	})
	if err != nil {
		return 0, err
	}
	defer release()
	in, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("reading the cache: %w", err)
	}
	defer in.Close()
	return copyContext(ctx, file, in)
}
