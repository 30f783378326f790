package health

import (
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// TestContainerHooks: a task whose container dials and execs itself
// (Docker) gets its HTTP and TCP checks dialled and its COMMAND checks run
// through them, not from the host.
func TestContainerHooks(t *testing.T) {
	var dialed []string
	dial := func(_ context.Context, network, address string) (net.Conn, error) {
		dialed = append(dialed, network+" "+address)
		return nil, errors.New("refused in the container")
	}
	var ran [][]string
	exec := func(_ context.Context, argv, env []string) ([]byte, int, error) {
		ran = append(ran, append(slices.Clone(argv), env...))
		return []byte("not ready\n"), 3, nil
	}
	task := Task{Sandbox: t.TempDir(), Dial: dial, Exec: exec}

	tcp := &mesos.HealthCheck{Type: mesos.HealthCheck_TCP.Enum(), Tcp: &mesos.HealthCheck_TCPCheckInfo{Port: proto.Uint32(8080)}}
	if err := probeOnce(t, tcp, task); err == nil || !strings.Contains(err.Error(), "refused in the container") {
		t.Errorf("TCP: %v", err)
	}
	if err := probeOnce(t, httpCheck(8080, "", "/health"), task); err == nil || !strings.Contains(err.Error(), "refused in the container") {
		t.Errorf("HTTP: %v", err)
	}
	if want := []string{"tcp 127.0.0.1:8080", "tcp 127.0.0.1:8080"}; !slices.Equal(dialed, want) {
		t.Errorf("dialed %q, want %q", dialed, want)
	}

	cmd := shell("curl localhost")
	cmd.Environment = &mesos.Environment{Variables: []*mesos.Environment_Variable{{Name: proto.String("X"), Value: proto.String("1")}}}
	err := probeOnce(t, commandCheck(cmd), task)
	if err == nil || err.Error() != "command exited with status 3: not ready" {
		t.Errorf("COMMAND: %v", err)
	}
	if len(ran) != 1 || !slices.Equal(ran[0], []string{"/bin/sh", "-c", "curl localhost", "X=1"}) {
		t.Errorf("ran %q", ran)
	}
}
