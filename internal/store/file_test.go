package store

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFile(t *testing.T) {
	f, err := OpenFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	conformance(t, f)
}

// A crash between writing the temporary file and renaming it leaves the
// temp file: the key keeps its old value, List does not show the temp file,
// and reopening removes it.
func TestFileCrashLeftoverIgnored(t *testing.T) {
	dir := t.TempDir()
	f, err := OpenFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	mustPut(t, f, "apps/web", []byte("old"))
	leftover := filepath.Join(dir, "apps.d", ".web.v-123"+tmpSuffix)
	if err := os.WriteFile(leftover, []byte("half-written new"), 0o644); err != nil {
		t.Fatal(err)
	}
	mustGet(t, f, "apps/web", []byte("old"))
	mustList(t, f, "", []string{"apps/web"})
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	f, err = OpenFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := os.Stat(leftover); !os.IsNotExist(err) {
		t.Fatalf("leftover temp file still there after reopen: %v", err)
	}
	mustGet(t, f, "apps/web", []byte("old"))
	// Put leaves no temp file behind and survives a reopen.
	mustPut(t, f, "apps/web", []byte("new"))
	entries, _ := os.ReadDir(filepath.Join(dir, "apps.d"))
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), tmpSuffix) {
			t.Fatalf("temp file %s left after Put", e.Name())
		}
	}
	f.Close()
	f, err = OpenFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	mustGet(t, f, "apps/web", []byte("new"))
}

// Keys whose segments look like the backend's own suffixes stay distinct.
func TestFileSuffixLookalikes(t *testing.T) {
	f, err := OpenFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	keys := []string{"a", "a.v", "a.d", "a/b", "a.v/b", "a.d/b.tmp", ".lock"}
	for _, k := range keys {
		mustPut(t, f, k, []byte(k))
	}
	for _, k := range keys {
		mustGet(t, f, k, []byte(k))
	}
	mustList(t, f, "", []string{".lock", "a", "a.d", "a.d/b.tmp", "a.v", "a.v/b", "a/b"})
}

func TestFileLockedByOneStore(t *testing.T) {
	dir := t.TempDir()
	f, err := OpenFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := OpenFile(dir); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("second OpenFile = %v, want in use", err)
	}
	s, c, err := Open("", t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	mustPut(t, s, "k", []byte("v"))
}
