package fetcher

import (
	"archive/tar"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// TestTraversalRefused feeds archives that try to write outside the
// sandbox, or through a symlink, and checks each is refused with the entry
// named and nothing written outside.
func TestTraversalRefused(t *testing.T) {
	for _, tc := range []struct {
		name    string
		zip     bool
		members func(outer string) []member
		err     string
	}{
		{name: "dot-dot", members: func(string) []member {
			return []member{{name: "ok", body: "fine"}, {name: "../evil", body: "x"}}
		}, err: "entry ../evil escapes the sandbox"},
		{name: "dot-dot deep", members: func(string) []member {
			return []member{{name: "a/../../../etc/passwd", body: "root::0:0::/:/bin/sh"}}
		}, err: "entry a/../../../etc/passwd escapes the sandbox"},
		{name: "absolute", members: func(outer string) []member {
			return []member{{name: filepath.Join(outer, "abs"), body: "x"}}
		}, err: "escapes the sandbox"},
		{name: "symlink to parent, then through it", members: func(string) []member {
			return []member{{name: "up", typ: tar.TypeSymlink, link: ".."}, {name: "up/evil", body: "x"}}
		}, err: "entry up: symlink to .. escapes the sandbox"},
		{name: "absolute symlink", members: func(outer string) []member {
			return []member{{name: "out", typ: tar.TypeSymlink, link: outer}, {name: "out/evil", body: "x"}}
		}, err: "entry out: symlink to " + "/"},
		{name: "symlink chain", members: func(string) []member {
			return []member{{name: "here", typ: tar.TypeSymlink, link: "."}, {name: "sub/", typ: tar.TypeDir},
				{name: "sub/back", typ: tar.TypeSymlink, link: "../here/.."}}
		}, err: "entry sub/back: symlink to ../here/.. escapes the sandbox"},
		{name: "write through an inner symlink", members: func(string) []member {
			return []member{{name: "real/", typ: tar.TypeDir}, {name: "alias", typ: tar.TypeSymlink, link: "real"},
				{name: "alias/x", body: "x"}}
		}, err: "entry alias/x: alias goes through the symlink alias"},
		{name: "file swapped for a link after a link used it", members: func(string) []member {
			return []member{{name: "a", body: "file"}, {name: "x", typ: tar.TypeSymlink, link: "a/.."},
				{name: "a", typ: tar.TypeSymlink, link: "."}}
		}, err: "symlink x -> a/.. escapes the sandbox"},
		{name: "hard link outside", members: func(outer string) []member {
			return []member{{name: "h", typ: tar.TypeLink, link: "../secret"}}
		}, err: "entry h: hard link to ../secret escapes the sandbox"},
		{name: "hard link absolute", members: func(outer string) []member {
			return []member{{name: "h", typ: tar.TypeLink, link: filepath.Join(outer, "secret")}}
		}, err: "escapes the sandbox"},
		{name: "hard link through a symlink", members: func(string) []member {
			return []member{{name: "d/", typ: tar.TypeDir}, {name: "d/f", body: "x"}, {name: "l", typ: tar.TypeSymlink, link: "d"},
				{name: "h", typ: tar.TypeLink, link: "l/f"}}
		}, err: "entry h: l goes through the symlink l"},
		{name: "device node", members: func(string) []member {
			return []member{{name: "null", typ: tar.TypeChar}}
		}, err: "entry null: unsupported type"},
		{name: "zip slip", zip: true, members: func(string) []member {
			return []member{{name: "../../evil", body: "x"}}
		}, err: "entry ../../evil escapes the sandbox"},
		{name: "zip absolute", zip: true, members: func(outer string) []member {
			return []member{{name: filepath.Join(outer, "abs"), body: "x"}}
		}, err: "escapes the sandbox"},
		{name: "zip symlink escape", zip: true, members: func(string) []member {
			return []member{{name: "etc", typ: tar.TypeSymlink, link: "../../../etc"}, {name: "etc/passwd", body: "x"}}
		}, err: "entry etc: symlink to ../../../etc escapes the sandbox"},
		{name: "zip write through symlink", zip: true, members: func(string) []member {
			return []member{{name: "d/", typ: tar.TypeDir}, {name: "l", typ: tar.TypeSymlink, link: "d"}, {name: "l/x", body: "x"}}
		}, err: "entry l/x: l goes through the symlink l"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			outer, sandbox := newSandbox(t)
			secret := filepath.Join(outer, "secret")
			if err := os.WriteFile(secret, []byte("s"), 0o600); err != nil {
				t.Fatal(err)
			}
			body, name := gzipBytes(t, tarBytes(t, tc.members(outer)...)), "/a.tar.gz"
			if tc.zip {
				body, name = zipBytes(t, tc.members(outer)...), "/a.zip"
			}
			srv := newFileServer(t, map[string][]byte{name: body})
			err := newFetcher(t, Config{}).Fetch(context.Background(), []*mesos.CommandInfo_URI{uri(srv.URL + name)}, sandbox, "")
			wantErr(t, err, "fetching "+srv.URL+name+": ", tc.err)
			outside := slices.DeleteFunc(tree(t, outer), func(p string) bool { return strings.HasPrefix(p, "sandbox/") })
			if !slices.Equal(outside, []string{"secret"}) {
				t.Errorf("written outside the sandbox: %q", outside)
			}
			var st syscall.Stat_t
			if err := syscall.Stat(secret, &st); err != nil || st.Nlink != 1 || readFile(t, secret) != "s" {
				t.Errorf("the file outside was touched: %+v %v", st, err)
			}
			for _, p := range tree(t, sandbox) {
				if _, target, ok := strings.Cut(p, " -> "); ok && (strings.HasPrefix(target, "/") || strings.Contains(target, "..")) {
					t.Errorf("an escaping symlink was left: %s", p)
				}
			}
		})
	}
}

// TestSymlinksReplacedNotFollowed checks that a file written where a
// symlink was replaces the link instead of writing to its target, and that
// a later URI cannot write through a link an earlier archive made.
func TestSymlinksReplacedNotFollowed(t *testing.T) {
	srv := newFileServer(t, map[string][]byte{
		"/a.tar": tarBytes(t, member{name: "t", body: "orig"}, member{name: "l", typ: tar.TypeSymlink, link: "t"},
			member{name: "l", body: "new"}, member{name: "dir", typ: tar.TypeSymlink, link: "."}),
		"/f": []byte("f"),
	})
	outer, sandbox := newSandbox(t)
	f := newFetcher(t, Config{})
	err := f.Fetch(context.Background(), []*mesos.CommandInfo_URI{uri(srv.URL + "/a.tar")}, sandbox, "")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := tree(t, sandbox), []string{"a.tar", "dir -> .", "l", "t"}; !slices.Equal(got, want) {
		t.Fatalf("sandbox %q, want %q", got, want)
	}
	if readFile(t, filepath.Join(sandbox, "t")) != "orig" || readFile(t, filepath.Join(sandbox, "l")) != "new" {
		t.Error("wrote through the symlink")
	}
	err = f.Fetch(context.Background(), []*mesos.CommandInfo_URI{uri(srv.URL+"/f", output("dir/f"))}, sandbox, "")
	wantErr(t, err, "fetching "+srv.URL+"/f: dir goes through the symlink dir")
	if got := tree(t, outer); len(got) != 5 {
		t.Errorf("tree %q", got)
	}
}

// TestMaxSizeBoundsExtraction checks that an archive unpacking to more
// than MaxSize (a compression bomb) is stopped.
func TestMaxSizeBoundsExtraction(t *testing.T) {
	bomb := gzipBytes(t, tarBytes(t, member{name: "zeros", body: strings.Repeat("\x00", 1<<20)}))
	srv := newFileServer(t, map[string][]byte{"/bomb.tgz": bomb})
	_, sandbox := newSandbox(t)
	f := newFetcher(t, Config{MaxSize: 64 << 10})
	err := f.Fetch(context.Background(), []*mesos.CommandInfo_URI{uri(srv.URL + "/bomb.tgz")}, sandbox, "")
	wantErr(t, err, "entry zeros: the archive unpacks to more than 65536 bytes")
	if fi, err := os.Stat(filepath.Join(sandbox, "zeros")); err == nil && fi.Size() > 64<<10+1 {
		t.Errorf("wrote %d bytes", fi.Size())
	}
}
