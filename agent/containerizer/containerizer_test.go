package containerizer

import (
	"errors"
	"reflect"
	"syscall"
	"testing"

	"google.golang.org/protobuf/proto"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

func TestArgv(t *testing.T) {
	for _, tc := range []struct {
		cmd     *mesos.CommandInfo
		program string
		argv    []string
		err     error
	}{
		{nil, "", nil, ErrNoCommand},
		{&mesos.CommandInfo{}, "", nil, ErrNoCommand},
		{&mesos.CommandInfo{Value: proto.String("echo hi")}, "/bin/sh", []string{"/bin/sh", "-c", "echo hi"}, nil},
		{&mesos.CommandInfo{Shell: proto.Bool(false), Value: proto.String("/bin/ls")}, "/bin/ls", []string{"/bin/ls"}, nil},
		{&mesos.CommandInfo{Shell: proto.Bool(false), Value: proto.String("/bin/ls"), Arguments: []string{"ls", "-l"}},
			"/bin/ls", []string{"ls", "-l"}, nil},
	} {
		program, argv, err := Argv(tc.cmd)
		if !errors.Is(err, tc.err) || program != tc.program || !reflect.DeepEqual(argv, tc.argv) {
			t.Errorf("Argv(%v) = %q %q %v, want %q %q %v", tc.cmd, program, argv, err, tc.program, tc.argv, tc.err)
		}
	}
}

func TestExitStatusString(t *testing.T) {
	for st, want := range map[ExitStatus]string{
		{Code: 0}:                                    "Command exited with status 0",
		{Code: 3}:                                    "Command exited with status 3",
		{Code: -1, Signal: syscall.SIGKILL}:          "Command terminated with signal Killed",
		{Code: -1, Signal: syscall.SIGTERM}:          "Command terminated with signal Terminated",
		{Code: -1, Message: "Memory limit exceeded"}: "Memory limit exceeded",
	} {
		if got := st.String(); got != want {
			t.Errorf("%+v: %q, want %q", st, got, want)
		}
	}
	if !(ExitStatus{}).Success() || (ExitStatus{Code: 1}).Success() || (ExitStatus{Signal: syscall.SIGKILL}).Success() {
		t.Error("Success")
	}
}
