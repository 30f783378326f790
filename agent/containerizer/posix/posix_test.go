package posix

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/agoraproject/agora/agent/containerizer/conformance"
)

func TestConformance(t *testing.T) {
	c, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	conformance.Run(t, c)
}

func TestFindExecutable(t *testing.T) {
	dir := t.TempDir()
	if p, err := findExecutable("sh", "/nonexistent:/bin:/usr/bin", dir); err != nil || p != "/bin/sh" {
		t.Errorf("sh = %q, %v", p, err)
	}
	if p, err := findExecutable("sh", "", dir); err != nil || p == "" {
		t.Errorf("default PATH: %q, %v", p, err)
	}
	plain := filepath.Join(dir, "plain")
	if err := os.WriteFile(plain, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := findExecutable(plain, "", dir); err == nil {
		t.Error("non-executable file accepted")
	}
	if _, err := findExecutable("./prog", "", dir); err == nil {
		t.Error("missing relative program accepted")
	}
}

func TestLookupEnv(t *testing.T) {
	env := []string{"PATH=/a", "X=1", "PATH=/b"}
	if got := lookupEnv(env, "PATH"); got != "/b" {
		t.Errorf("PATH = %q, want the last one", got)
	}
	if got := lookupEnv(env, "Y"); got != "" {
		t.Errorf("Y = %q", got)
	}
}
