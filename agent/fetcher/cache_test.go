package fetcher

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

func cacheFiles(t *testing.T, dir string) int {
	t.Helper()
	names, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return len(names)
}

func fetchOne(t *testing.T, f *Fetcher, u *mesos.CommandInfo_URI) (string, error) {
	t.Helper()
	_, sandbox := newSandbox(t)
	return sandbox, f.Fetch(context.Background(), []*mesos.CommandInfo_URI{u}, sandbox, "")
}

func TestCacheReused(t *testing.T) {
	srv := newFileServer(t, map[string][]byte{"/tool": []byte("#!/bin/sh\n"), "/app.tgz": gzipBytes(t, tarBytes(t, member{name: "x", body: "x"}))})
	dir := t.TempDir()
	f := newFetcher(t, Config{CacheDir: dir})
	for i := range 3 {
		sandbox, err := fetchOne(t, f, uri(srv.URL+"/tool", cached, executable))
		if err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(filepath.Join(sandbox, "tool"))
		if err != nil || fi.Mode().Perm() != 0o755 {
			t.Fatalf("fetch %d: %v %v", i, fi, err)
		}
		if sandbox, err = fetchOne(t, f, uri(srv.URL+"/app.tgz", cached)); err != nil || readFile(t, filepath.Join(sandbox, "x")) != "x" {
			t.Fatalf("fetch %d of the archive: %v", i, err)
		}
	}
	if n := srv.count("/tool") + srv.count("/app.tgz"); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
	// The cached copy is the cache's: the executable bit went to the copy.
	if fi, _ := os.ReadDir(dir); len(fi) != 2 {
		t.Errorf("cache holds %d files", len(fi))
	}
	if _, err := fetchOne(t, f, uri(srv.URL+"/tool")); err != nil || srv.count("/tool") != 2 {
		t.Errorf("uncached fetch: %v, %d requests", err, srv.count("/tool"))
	}
}

// blockingServer holds every request until release is closed.
func blockingServer(t *testing.T) (srv *httptest.Server, requests *atomic.Int32, release chan struct{}) {
	requests, release = &atomic.Int32{}, make(chan struct{})
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		select {
		case <-release:
			_, _ = w.Write([]byte("payload"))
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	return srv, requests, release
}

// waitRefs polls until key's cache entry has n fetches attached.
func waitRefs(t *testing.T, c *cache, key string, n int) {
	t.Helper()
	eventually(t, fmt.Sprintf("%d fetches on %s", n, key), func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		e := c.entries[key]
		return e != nil && e.refs == n
	})
}

// eventually polls cond, which depends on other goroutines and a server.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestCacheCoalesces(t *testing.T) {
	srv, requests, release := blockingServer(t)
	f := newFetcher(t, Config{CacheDir: t.TempDir()})
	u := uri(srv.URL+"/artifact", cached)
	var wg sync.WaitGroup
	errs := make([]error, 3)
	sandboxes := make([]string, 3)
	for i := range 3 {
		_, sandboxes[i] = newSandbox(t)
		wg.Go(func() { errs[i] = f.Fetch(context.Background(), []*mesos.CommandInfo_URI{u}, sandboxes[i], "") })
	}
	waitRefs(t, f.cache, cacheKey("", u.GetValue()), 3)
	close(release)
	wg.Wait()
	for i, err := range errs {
		if err != nil || readFile(t, filepath.Join(sandboxes[i], "artifact")) != "payload" {
			t.Errorf("fetch %d: %v", i, err)
		}
	}
	if n := requests.Load(); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

// TestCacheWaiterGivesUp checks that a fetch cancelled while it waits
// leaves the shared download to the others, and that a download everyone
// gave up on is cancelled and started afresh by the next fetch.
func TestCacheWaiterGivesUp(t *testing.T) {
	srv, requests, release := blockingServer(t)
	f := newFetcher(t, Config{CacheDir: t.TempDir()})
	u := uri(srv.URL+"/artifact", cached)
	key := cacheKey("", u.GetValue())
	fetch := func(ctx context.Context, done chan<- error) {
		_, sandbox := newSandbox(t)
		go func() { done <- f.Fetch(ctx, []*mesos.CommandInfo_URI{u}, sandbox, "") }()
	}

	ctx, cancel := context.WithCancel(context.Background())
	alone := make(chan error, 1)
	fetch(ctx, alone)
	eventually(t, "the first request", func() bool { return requests.Load() == 1 })
	cancel()
	if err := <-alone; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled fetch: %v", err)
	}

	ctx, cancel = context.WithCancel(context.Background())
	quitter, stayer := make(chan error, 1), make(chan error, 1)
	fetch(ctx, quitter)
	fetch(context.Background(), stayer)
	waitRefs(t, f.cache, key, 2)
	cancel()
	if err := <-quitter; !errors.Is(err, context.Canceled) {
		t.Fatalf("quitter: %v", err)
	}
	close(release)
	if err := <-stayer; err != nil {
		t.Fatalf("stayer: %v", err)
	}
	if n := requests.Load(); n != 2 {
		t.Errorf("%d requests, want 2 (the abandoned one and the shared one)", n)
	}
}

func TestCacheEvictsLeastRecentlyUsed(t *testing.T) {
	ten := []byte("0123456789")
	srv := newFileServer(t, map[string][]byte{"/a": ten, "/b": ten, "/c": ten, "/huge": make([]byte, 100)})
	dir := t.TempDir()
	f := newFetcher(t, Config{CacheDir: dir, CacheSize: 25})
	for _, p := range []string{"/a", "/b", "/a", "/c", "/a", "/b"} {
		if _, err := fetchOne(t, f, uri(srv.URL+p, cached)); err != nil {
			t.Fatal(err)
		}
	}
	// a stayed (most recently used each time); b was evicted by c, then
	// came back and pushed c out.
	if a, b, c := srv.count("/a"), srv.count("/b"), srv.count("/c"); a != 1 || b != 2 || c != 1 {
		t.Errorf("requests a=%d b=%d c=%d, want 1 2 1", a, b, c)
	}
	if n := cacheFiles(t, dir); n != 2 {
		t.Errorf("%d cache files, want 2", n)
	}
	// Larger than the whole cache: fetched, not kept.
	for range 2 {
		if _, err := fetchOne(t, f, uri(srv.URL+"/huge", cached)); err != nil {
			t.Fatal(err)
		}
	}
	if srv.count("/huge") != 2 || cacheFiles(t, dir) != 2 {
		t.Errorf("huge: %d requests, %d cache files", srv.count("/huge"), cacheFiles(t, dir))
	}
}

func TestCacheFailuresNotKept(t *testing.T) {
	srv := newFileServer(t, map[string][]byte{})
	dir := t.TempDir()
	f := newFetcher(t, Config{CacheDir: dir})
	_, err := fetchOne(t, f, uri(srv.URL+"/late", cached))
	wantErr(t, err, "HTTP 404 Not Found")
	srv.mu.Lock()
	srv.files["/late"] = []byte("here")
	srv.mu.Unlock()
	if _, err := fetchOne(t, f, uri(srv.URL+"/late", cached)); err != nil {
		t.Fatal(err)
	}
	if names, _ := os.ReadDir(dir); len(names) != 1 || strings.Contains(names[0].Name(), ".part") {
		t.Errorf("cache holds %v", names)
	}
}

func TestNewClearsOldCacheFiles(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, cacheKey("", "http://x/y")+"-1")
	keep := filepath.Join(dir, "operator-notes.txt")
	for _, p := range []string{old, keep} {
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	newFetcher(t, Config{CacheDir: dir})
	if _, err := os.Stat(old); !os.IsNotExist(err) {
		t.Errorf("old cache file survived: %v", err)
	}
	if _, err := os.Stat(keep); err != nil {
		t.Errorf("unrelated file removed: %v", err)
	}
}
