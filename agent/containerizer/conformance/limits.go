package conformance

import (
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// needRoot skips a test that needs root, or fails it under CI=true,
// where a missing capability is an error in the test setup.
func needRoot(t *testing.T, what string) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s needs root (CI=true)", what)
	}
	t.Skipf("%s needs root; skipped as uid %d", what, os.Geteuid())
}

// user runs a task as nobody: its uid, gid and groups are nobody's, and
// it can write its sandbox.
func (s *suite) user(t *testing.T) {
	needRoot(t, "switching users")
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Fatalf("no user nobody on this host: %v", err)
	}
	spec := s.shell(t, `id -u; id -g; touch mine && echo wrote`)
	spec.User = "nobody"
	// t.TempDir's parent is 0700: let nobody reach the sandbox.
	if err := os.Chmod(filepath.Dir(spec.Sandbox), 0o755); err != nil {
		t.Fatal(err)
	}
	st := s.wait(t, s.launch(t, spec))
	out := readFile(t, filepath.Join(spec.Sandbox, "stdout"))
	if !st.Success() {
		t.Fatalf("exit %+v; stdout %q stderr %q", st, out, readFile(t, filepath.Join(spec.Sandbox, "stderr")))
	}
	if s.opts.Container != nil {
		return // an image has its own user database
	}
	if want := nobody.Uid + "\n" + nobody.Gid + "\nwrote\n"; out != want {
		t.Errorf("stdout %q, want %q", out, want)
	}
}

// unknownUser refuses to launch as a user the host does not know, rather
// than running the task as root.
func (s *suite) unknownUser(t *testing.T) {
	needRoot(t, "switching users")
	spec := s.shell(t, "true")
	spec.User = "agora-no-such-user"
	c, err := s.c.Launch(t.Context(), spec)
	if err == nil {
		_ = c.Kill()
		t.Fatal("Launch as an unknown user succeeded")
	}
	if !strings.Contains(err.Error(), "agora-no-such-user") {
		t.Errorf("error %q does not name the user", err)
	}
}

// memoryLimit lets a 32 MB container allocate far more: it must end
// with the memory limitation and a message naming the limit.
func (s *suite) memoryLimit(t *testing.T) {
	spec := s.shell(t, `head -c 200m /dev/zero | tail; echo survived`)
	spec.Resources = []*mesos.Resource{
		{Name: proto.String("cpus"), Type: mesos.Value_SCALAR.Enum(), Scalar: &mesos.Value_Scalar{Value: proto.Float64(0.5)}},
		{Name: proto.String("mem"), Type: mesos.Value_SCALAR.Enum(), Scalar: &mesos.Value_Scalar{Value: proto.Float64(32)}},
	}
	st := s.wait(t, s.launch(t, spec))
	if st.Reason != mesos.TaskStatus_REASON_CONTAINER_LIMITATION_MEMORY || st.Success() {
		t.Fatalf("exit %+v, want the memory limitation", st)
	}
	if !strings.HasPrefix(st.Message, "Memory limit exceeded: Requested: 32MB") {
		t.Errorf("message %q does not name the 32MB limit", st.Message)
	}
}
