package fetcher

import (
	"archive/tar"
	"context"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// asNobody skips unless the test runs as root with a "nobody" user, and
// returns nobody's uid.
func asNobody(t *testing.T) int {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	u, err := user.Lookup("nobody")
	if err != nil {
		t.Skip("no user nobody")
	}
	uid, _ := strconv.Atoi(u.Uid)
	return uid
}

func TestChownToTaskUser(t *testing.T) {
	uid := asNobody(t)
	srv := newFileServer(t, map[string][]byte{
		"/app.tgz": gzipBytes(t, tarBytes(t, member{name: "d/e/", typ: tar.TypeDir}, member{name: "d/e/f", body: "f"},
			member{name: "d/l", typ: tar.TypeSymlink, link: "e/f"})),
		"/tool": []byte("t"),
	})
	_, sandbox := newSandbox(t)
	f := newFetcher(t, Config{CacheDir: t.TempDir()})
	uris := []*mesos.CommandInfo_URI{uri(srv.URL + "/app.tgz"), uri(srv.URL+"/tool", output("bin/tool"), cached)}
	if err := f.Fetch(context.Background(), uris, sandbox, "nobody"); err != nil {
		t.Fatal(err)
	}
	err := filepath.WalkDir(sandbox, func(p string, _ fs.DirEntry, err error) error {
		if err != nil || p == sandbox {
			return err
		}
		var st syscall.Stat_t
		if err := syscall.Lstat(p, &st); err != nil {
			return err
		}
		if int(st.Uid) != uid {
			t.Errorf("%s owned by %d, want nobody (%d)", p, st.Uid, uid)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The cache is keyed by user too: root's fetch downloads again.
	if _, err := fetchOne(t, f, uri(srv.URL+"/tool", cached)); err != nil || srv.count("/tool") != 2 {
		t.Errorf("fetch as root: %v, %d requests", err, srv.count("/tool"))
	}
}

// TestLocalFilesReadAsTaskUser checks that the agent, root, copies a local
// file for a task only if the task's user could read it.
func TestLocalFilesReadAsTaskUser(t *testing.T) {
	asNobody(t)
	// Not t.TempDir: its parent is private to root.
	dir, err := os.MkdirTemp("", "agora-fetch-perm")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	private := filepath.Join(dir, "private")
	public := filepath.Join(dir, "public")
	closed := filepath.Join(dir, "closed")
	hidden := filepath.Join(closed, "public-inside")
	linked := filepath.Join(dir, "link-to-private")
	if err := os.Mkdir(closed, 0o700); err != nil {
		t.Fatal(err)
	}
	for p, mode := range map[string]os.FileMode{private: 0o600, public: 0o644, hidden: 0o644} {
		if err := os.WriteFile(p, []byte("x"), mode); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(private, linked); err != nil {
		t.Fatal(err)
	}
	f := newFetcher(t, Config{})
	for path, want := range map[string]string{
		private: private + ": permission denied for user nobody",
		hidden:  closed + ": permission denied for user nobody",
		linked:  private + ": permission denied for user nobody",
		public:  "",
	} {
		_, sandbox := newSandbox(t)
		err := f.Fetch(context.Background(), []*mesos.CommandInfo_URI{uri(path)}, sandbox, "nobody")
		if want == "" {
			if err != nil {
				t.Errorf("%s: %v", path, err)
			}
			continue
		}
		wantErr(t, err, "fetching "+path+": "+want)
	}
	// The agent's own user (or root) reads anything.
	_, sandbox := newSandbox(t)
	if err := f.Fetch(context.Background(), []*mesos.CommandInfo_URI{uri(private)}, sandbox, "root"); err != nil {
		t.Error(err)
	}
}

func TestUnknownUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only root switches users")
	}
	_, sandbox := newSandbox(t)
	err := newFetcher(t, Config{}).Fetch(context.Background(), []*mesos.CommandInfo_URI{uri("/etc/hostname")}, sandbox, "no-such-user-agora")
	wantErr(t, err, `fetching URIs: user "no-such-user-agora"`)
}

// TestLocalFileSwappedForSymlink: a user who swaps the file, or a
// directory on its path, for a symbolic link between the agent's
// resolution of the path and its opening gains nothing: the permissions
// are those of the file actually opened.
func TestLocalFileSwappedForSymlink(t *testing.T) {
	asNobody(t)
	dir, err := os.MkdirTemp("", "agora-fetch-swap")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	closed := filepath.Join(dir, "closed")
	if err := os.Mkdir(closed, 0o700); err != nil {
		t.Fatal(err)
	}
	private := filepath.Join(dir, "private")
	hidden := filepath.Join(closed, "public")
	for p, mode := range map[string]os.FileMode{private: 0o600, hidden: 0o644} {
		if err := os.WriteFile(p, []byte("secret"), mode); err != nil {
			t.Fatal(err)
		}
	}
	public := filepath.Join(dir, "public")
	sub := filepath.Join(dir, "sub")
	inSub := filepath.Join(sub, "public")
	f := newFetcher(t, Config{})
	for _, c := range []struct {
		name, path, want string
		swap             func()
	}{
		{"file", public, "changed into a symbolic link", func() {
			_ = os.Remove(public)
			_ = os.Symlink(private, public)
		}},
		{"directory", inSub, closed + ": permission denied for user nobody", func() {
			_ = os.RemoveAll(sub)
			_ = os.Symlink(closed, sub)
		}},
	} {
		_ = os.RemoveAll(public)
		_ = os.RemoveAll(sub)
		if err := os.Mkdir(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{public, inSub} {
			if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		beforeOpen = func(string) { c.swap() }
		_, sandbox := newSandbox(t)
		err := f.Fetch(context.Background(), []*mesos.CommandInfo_URI{uri(c.path)}, sandbox, "nobody")
		beforeOpen = nil
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s swapped: %v, want %q", c.name, err, c.want)
		}
		if b, _ := os.ReadFile(filepath.Join(sandbox, "public")); string(b) == "secret" {
			t.Errorf("%s swapped: the secret was fetched", c.name)
		}
	}
}
