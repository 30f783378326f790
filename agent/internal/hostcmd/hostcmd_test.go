package hostcmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/agent/containerizer"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

func TestFindExecutable(t *testing.T) {
	dir := t.TempDir()
	if p, err := FindExecutable("sh", "/nonexistent:/bin:/usr/bin", dir); err != nil || p != "/bin/sh" {
		t.Errorf("sh = %q, %v", p, err)
	}
	if p, err := FindExecutable("sh", "", dir); err != nil || p == "" {
		t.Errorf("default PATH: %q, %v", p, err)
	}
	plain := filepath.Join(dir, "plain")
	if err := os.WriteFile(plain, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := FindExecutable(plain, "", dir); err == nil {
		t.Error("non-executable file accepted")
	}
	if _, err := FindExecutable("./prog", "", dir); err == nil {
		t.Error("missing relative program accepted")
	}
}

func TestLookupEnv(t *testing.T) {
	env := []string{"PATH=/a", "X=1", "PATH=/b"}
	if got := LookupEnv(env, "PATH"); got != "/b" {
		t.Errorf("PATH = %q, want the last one", got)
	}
	if got := LookupEnv(env, "Y"); got != "" {
		t.Errorf("Y = %q", got)
	}
}

func TestCheckHostContainer(t *testing.T) {
	if err := CheckHostContainer(nil, "posix"); err != nil {
		t.Error(err)
	}
	docker := &mesos.ContainerInfo{Type: mesos.ContainerInfo_DOCKER.Enum()}
	if err := CheckHostContainer(docker, "cgroups"); err == nil || !strings.Contains(err.Error(), "cgroups containerizer") {
		t.Errorf("Docker: %v", err)
	}
}

func TestCredential(t *testing.T) {
	if c, err := Credential(""); c != nil || err != nil {
		t.Errorf("no user: %v, %v", c, err)
	}
	if os.Geteuid() != 0 {
		if c, err := Credential("nobody"); c != nil || err != nil {
			t.Errorf("not root: %v, %v; want nothing to switch", c, err)
		}
		return
	}
	if c, err := Credential("root"); c != nil || err != nil {
		t.Errorf("root: %v, %v; want nothing to switch", c, err)
	}
	c, err := Credential("nobody")
	if err != nil || c == nil || c.Uid == 0 {
		t.Fatalf("nobody: %+v, %v", c, err)
	}
	if _, err := Credential("agora-no-such-user"); err == nil || !strings.Contains(err.Error(), "agora-no-such-user") {
		t.Errorf("unknown user: %v", err)
	}
}

func TestBuild(t *testing.T) {
	dir := t.TempDir()
	cmd, err := Build(containerizer.LaunchSpec{
		Sandbox: dir,
		Command: &mesos.CommandInfo{Value: proto.String("echo hi")},
		Env:     []string{"PATH=/bin:/usr/bin", "A=b"},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer cmd.Close()
	if cmd.Cmd.Path != "/bin/sh" || cmd.Cmd.Dir != dir || len(cmd.Cmd.Env) != 2 || !cmd.Cmd.SysProcAttr.Setpgid {
		t.Errorf("cmd %+v", cmd.Cmd)
	}
	if _, err := os.Stat(filepath.Join(dir, "stderr")); err != nil {
		t.Error(err)
	}
	if _, err := Build(containerizer.LaunchSpec{Sandbox: dir}); err == nil {
		t.Error("nil command accepted")
	}
}

// TestLookup resolves users whoever the agent runs as, root included.
func TestLookup(t *testing.T) {
	if c, err := Lookup("root"); err != nil || c.Uid != 0 || c.Gid != 0 {
		t.Errorf("root: %+v, %v", c, err)
	}
	if _, err := Lookup("agora-no-such-user"); err == nil || !strings.Contains(err.Error(), "agora-no-such-user") {
		t.Errorf("unknown user: %v", err)
	}
}

func TestChownTreeAndOpenOutput(t *testing.T) {
	dir := t.TempDir()
	f, err := OpenOutput(dir, "stdout")
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	if err := ChownTree(dir, os.Getuid(), os.Getgid()); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenOutput(filepath.Join(dir, "missing"), "stdout"); err == nil || !strings.Contains(err.Error(), "sandbox's stdout") {
		t.Errorf("missing dir: %v", err)
	}
}
