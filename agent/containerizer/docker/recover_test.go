package docker

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"

	"github.com/agoraproject/agora/agent/containerizer"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// TestAgentEndpointThroughGateway: a BRIDGE container reaches an agent
// that advertised a loopback endpoint through the bridge's gateway.
func TestAgentEndpointThroughGateway(t *testing.T) {
	e := newEnv(t, nil)
	ln, err := net.Listen("tcp", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "agent here") })}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	spec := e.spec(t, `wget -q -O - "http://$MESOS_AGENT_ENDPOINT/"`)
	spec.Env = append(spec.Env, fmt.Sprintf("MESOS_AGENT_ENDPOINT=127.0.0.1:%d", ln.Addr().(*net.TCPAddr).Port))
	spec.Container.Docker.Network = mesos.ContainerInfo_DockerInfo_BRIDGE.Enum()
	if st := wait(t, e.launch(t, spec)); !st.Success() {
		t.Fatalf("exit %+v; stderr %q", st, readFile(t, filepath.Join(spec.Sandbox, "stderr")))
	}
	if out := readFile(t, filepath.Join(spec.Sandbox, "stdout")); out != "agent here" {
		t.Errorf("stdout %q", out)
	}
}

// TestRecover: a new containerizer (a restarted agent) finds the running
// container it is asked for, picks its output up where the old one left
// it, reports a container that exited meanwhile, and removes orphans.
func TestRecover(t *testing.T) {
	e := newEnv(t, nil)
	running := e.spec(t, `echo before; while [ ! -f go ]; do sleep 0.05; done; echo after; sleep 1000`)
	rc := e.launch(t, running)
	exited := e.spec(t, `while [ ! -f go ]; do sleep 0.05; done; exit 7`)
	e.launch(t, exited)
	orphan := e.spec(t, "sleep 1000")
	e.launch(t, orphan)
	waitFor(t, "output", func() bool { return readFile(t, filepath.Join(running.Sandbox, "stdout")) == "before\n" })

	// The agent goes away; its containers do not.
	e.d.Close()
	if _, err := rc.Wait(t.Context()); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("Wait after Close: %v", err)
	}
	time.Sleep(50 * time.Millisecond) // so that new output postdates the files' last change
	for _, s := range []containerizer.LaunchSpec{running, exited} {
		if err := os.WriteFile(filepath.Join(s.Sandbox, "go"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "the exit", func() bool {
		info, err := e.cli.ContainerInspect(t.Context(), NamePrefix+exited.ContainerID)
		return err == nil && !info.State.Running
	})

	d2 := e.newContainerizer(t)
	found, err := d2.Recover(t.Context(), []containerizer.Checkpointed{{ContainerID: running.ContainerID}, {ContainerID: exited.ContainerID}, {ContainerID: "gone"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 2 || found[running.ContainerID] == nil || found[exited.ContainerID] == nil {
		t.Fatalf("recovered %v", found)
	}
	if st := wait(t, found[exited.ContainerID]); st.Code != 7 {
		t.Errorf("exited meanwhile: %+v", st)
	}
	c := found[running.ContainerID]
	if c.Status().PID != rc.Status().PID || c.Status().ContainerID != running.ContainerID {
		t.Errorf("status %+v, was %+v", c.Status(), rc.Status())
	}
	waitFor(t, "the output after the restart", func() bool {
		return readFile(t, filepath.Join(running.Sandbox, "stdout")) == "before\nafter\n"
	})
	if _, err := e.cli.ContainerInspect(t.Context(), NamePrefix+orphan.ContainerID); !cerrdefs.IsNotFound(err) {
		t.Errorf("the orphan is still there: %v", err)
	}
	if err := c.Kill(); err != nil {
		t.Fatal(err)
	}
	if st := wait(t, c); st.Signal != 9 {
		t.Errorf("killed after recovery: %+v", st)
	}
}

// TestRecoverFailureRemoves: a listed container that cannot be followed
// again (here its stdout cannot be opened) is an orphan: removed, unless
// orphans are kept.
func TestRecoverFailureRemoves(t *testing.T) {
	for _, keep := range []bool{false, true} {
		e := newEnv(t, func(c *Config) { c.KeepOrphans = keep })
		spec := e.spec(t, "sleep 1000")
		e.launch(t, spec)
		e.d.Close()
		stdout := filepath.Join(spec.Sandbox, "stdout")
		if err := os.Remove(stdout); err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(stdout, 0o755); err != nil {
			t.Fatal(err)
		}
		found, err := e.newContainerizer(t).Recover(t.Context(), []containerizer.Checkpointed{{ContainerID: spec.ContainerID}})
		if err != nil {
			t.Fatal(err)
		}
		if len(found) != 0 {
			t.Errorf("keep=%v: recovered %v", keep, found)
		}
		_, err = e.cli.ContainerInspect(t.Context(), NamePrefix+spec.ContainerID)
		if removed := cerrdefs.IsNotFound(err); removed == keep {
			t.Errorf("keep=%v: inspect after Recover: %v", keep, err)
		}
	}
}
