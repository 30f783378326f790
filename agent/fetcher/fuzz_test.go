package fetcher

import (
	"archive/tar"
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// FuzzExtract unpacks arbitrary bytes as a tar and as a zip archive and
// checks that, whatever the outcome, nothing exists outside the sandbox
// and no symlink inside leads out of it.
func FuzzExtract(f *testing.F) {
	f.Add(tarBytes(f, member{name: "a/b", body: "x"}, member{name: "l", typ: tar.TypeSymlink, link: "a/../.."}))
	f.Add(tarBytes(f, member{name: "x", body: "f"}, member{name: "y", typ: tar.TypeSymlink, link: "x/.."},
		member{name: "x", typ: tar.TypeSymlink, link: "."}, member{name: "h", typ: tar.TypeLink, link: "y"}))
	f.Add(zipBytes(f, member{name: "d/", typ: tar.TypeDir}, member{name: "d/s", typ: tar.TypeSymlink, link: ".."},
		member{name: "../z", body: "z"}))
	f.Fuzz(func(t *testing.T, data []byte) {
		outer := t.TempDir()
		sandbox := filepath.Join(outer, "sandbox")
		if err := os.Mkdir(sandbox, 0o755); err != nil {
			t.Fatal(err)
		}
		root, err := os.OpenRoot(sandbox)
		if err != nil {
			t.Fatal(err)
		}
		defer root.Close()
		w := &writer{root: root, maxSize: 1 << 20}
		budget := int64(1 << 20)
		_ = w.untar(bytes.NewReader(data), &budget)
		_ = w.checkLinks()
		_ = w.unzip(bytes.NewReader(data), int64(len(data)), &budget)
		_ = w.checkLinks()
		names, err := os.ReadDir(outer)
		if err != nil || len(names) != 1 {
			t.Fatalf("outside the sandbox: %v %v", names, err)
		}
		_ = filepath.WalkDir(sandbox, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.Type()&fs.ModeSymlink == 0 {
				return nil
			}
			rel, _ := filepath.Rel(sandbox, p)
			target, _ := os.Readlink(p)
			if _, ok := w.resolve(filepath.Dir(rel), target); !ok {
				t.Errorf("symlink %s -> %s leads out of the sandbox", rel, target)
			}
			return nil
		})
	})
}
