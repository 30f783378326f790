package integration

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/agoraproject/agora/internal/zktest"
)

// haSessionTimeout is the masters' --zk_session_timeout in these tests:
// short, so a killed leader is replaced in about a second (zktest's 100 ms
// tick lets ZooKeeper expire the session within a tick of the timeout).
const haSessionTimeout = "1secs"

// startHAMaster starts a master contending in the election at zk.
func startHAMaster(t *testing.T, zk string, extra ...string) *masterProc {
	t.Helper()
	port := freePort(t)
	workDir := t.TempDir()
	args := []string{"master", "--ip=127.0.0.1", "--advertise_ip=127.0.0.1",
		"--port=" + strconv.Itoa(port), "--work_dir=" + workDir,
		"--zk=" + zk, "--zk_session_timeout=" + haSessionTimeout, "--quorum=2"}
	args = append(append(args, fastMasterFlags...), extra...)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	m := &masterProc{
		proc: startProc(t, "master@"+addr, agoraBin, args...),
		port: port, workDir: workDir, addr: addr, url: "http://" + addr,
	}
	waitHealthy(t, m.proc, m.url)
	return m
}

// noRedirect is a client that shows 307s instead of following them.
var noRedirect = &http.Client{
	Timeout:       5 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// masterLeaderOf asks m which master leads (GET /master/redirect).
func masterLeaderOf(m *masterProc) (string, error) {
	resp, err := noRedirect.Get(m.url + "/master/redirect")
	if err != nil {
		return "", err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTemporaryRedirect {
		return "", fmt.Errorf("/master/redirect on %s: %s", m.addr, resp.Status)
	}
	return strings.TrimPrefix(resp.Header.Get("Location"), "//"), nil
}

// awaitLeader waits until every live master names the same leader among
// them and returns it.
func awaitLeader(t *testing.T, masters []*masterProc) *masterProc {
	t.Helper()
	var leader *masterProc
	eventually(t, 20*time.Second, "one leader named by every master", func() error {
		leader = nil
		var name string
		for _, m := range masters {
			if m.exited() {
				continue
			}
			l, err := masterLeaderOf(m)
			if err != nil {
				return err
			}
			if name != "" && l != name {
				return fmt.Errorf("masters disagree: %s and %s", name, l)
			}
			name = l
		}
		for _, m := range masters {
			if m.addr == name && !m.exited() {
				leader = m
			}
		}
		if leader == nil {
			return fmt.Errorf("leader %q is not a live master", name)
		}
		return nil
	})
	return leader
}

// startZKAgent starts an agent that finds the master through zk.
func startZKAgent(t *testing.T, zk, hostname string) *agentProc {
	t.Helper()
	port := freePort(t)
	a := &agentProc{hostname: hostname, workDir: t.TempDir()}
	a.args = []string{"agent", "--master=" + zk, "--work_dir=" + a.workDir, "--resources=" + agentResources,
		"--ip=127.0.0.1", "--advertise_ip=127.0.0.1", "--port=" + strconv.Itoa(port),
		"--hostname=" + hostname, "--kill_grace_period=1secs"}
	a.proc = startProc(t, "agent "+hostname, agoraBin, a.args...)
	waitHealthy(t, a.proc, "http://127.0.0.1:"+strconv.Itoa(port))
	return a
}

// activeAgents lists the active agents' IDs by hostname on m.
func activeAgents(m *masterProc) (map[string]string, error) {
	st, err := masterState(m)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, s := range st.Slaves {
		if s.Active {
			out[s.Hostname] = s.ID
		}
	}
	return out, nil
}

// TestHAMasterFailover runs three masters on a three-server ZooKeeper
// ensemble, kills the leader with SIGKILL while examples/batch (finding
// the master through ZooKeeper, as the agents do) is launching tasks, and
// checks that a new leader takes over, followers redirect to it, agents
// reregister with their IDs and every task finishes exactly once.
func TestHAMasterFailover(t *testing.T) {
	ens := zktest.StartEnsemble(t, 3)
	zk := "zk://" + strings.Join(ens.Servers(), ",") + "/agora"
	masters := []*masterProc{startHAMaster(t, zk), startHAMaster(t, zk), startHAMaster(t, zk)}
	leader := awaitLeader(t, masters)

	// A follower answers API calls with 307 to the leader.
	for _, m := range masters {
		if m == leader {
			continue
		}
		resp, err := noRedirect.Post(m.url+"/api/v1/scheduler", "application/json", strings.NewReader(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusTemporaryRedirect || resp.Header.Get("Location") != "//"+leader.addr+"/api/v1/scheduler" {
			t.Fatalf("follower %s: %s Location %q, want 307 to %s", m.addr, resp.Status, resp.Header.Get("Location"), leader.addr)
		}
	}

	startZKAgent(t, zk, "ha-a1")
	startZKAgent(t, zk, "ha-a2")
	var ids map[string]string
	eventually(t, 15*time.Second, "both agents active on the leader", func() (err error) {
		ids, err = activeAgents(leader)
		if err == nil && len(ids) != 2 {
			err = fmt.Errorf("active agents %v", ids)
		}
		return err
	})

	const tasks = 8
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, batchBin, "--master", zk, "--tasks", strconv.Itoa(tasks),
		"--cmd", "sleep 4", "--cpus", "0.1", "--mem", "32", "--retries", "2", "--verbose")
	var stdout, stderr syncBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer func() {
		if t.Failed() {
			t.Logf("---- batch stdout\n%s---- batch stderr\n%s", stdout.String(), stderr.String())
		}
	}()

	// Kill the leader once some tasks run and others are being launched.
	eventually(t, 30*time.Second, "batch tasks running", func() error {
		st, err := masterState(leader)
		if err != nil {
			return err
		}
		running := 0
		for _, f := range st.Frameworks {
			for _, task := range f.Tasks {
				if task.State == "TASK_RUNNING" {
					running++
				}
			}
		}
		if running < 2 {
			return fmt.Errorf("%d running", running)
		}
		return nil
	})
	leader.kill9()
	killedAt := time.Now()
	newLeader := awaitLeader(t, masters)
	t.Logf("new leader %s named %v after the kill", newLeader.addr, time.Since(killedAt).Round(time.Millisecond))

	eventually(t, 20*time.Second, "agents reregistered with their IDs", func() error {
		got, err := activeAgents(newLeader)
		if err != nil {
			return err
		}
		for host, id := range ids {
			if got[host] != id {
				return fmt.Errorf("active agents %v, want %v", got, ids)
			}
		}
		return nil
	})

	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("batch: %v (want exit 0)", err)
		}
	case <-ctx.Done():
		t.Fatal("batch did not finish")
	}
	out := stdout.String()
	for _, bad := range []string{"TASK_KILLED", "TASK_KILLING", "TASK_FAILED"} {
		if strings.Contains(out, " "+bad+" ") {
			t.Errorf("a task was %s across the failover", bad)
		}
	}
	finished := map[string]int{}
	for _, m := range regexp.MustCompile(`(batch-\d+) TASK_FINISHED`).FindAllStringSubmatch(out, -1) {
		finished[m[1]]++
	}
	if len(finished) != tasks {
		t.Errorf("finished tasks %v, want %d distinct", finished, tasks)
	}
	for task, n := range finished {
		if n != 1 {
			t.Errorf("%s finished %d times", task, n)
		}
	}
}

// TestFileRegistrySurvivesRestart restarts a single master on its
// --work_dir: the registry there keeps a gone agent refused, and the other
// agent reregisters with its ID.
func TestFileRegistrySurvivesRestart(t *testing.T) {
	m := startMaster(t)
	keep := startAgent(t, m, "reg-keep")
	gone := startAgent(t, m, "reg-gone")
	// A removed agent deletes its checkpoint; keep a copy so that it can
	// come back with its old ID, as one cut off during the mark would.
	backup := t.TempDir()
	if out, err := exec.Command("cp", "-a", gone.workDir+"/meta", backup+"/meta").CombinedOutput(); err != nil {
		t.Fatalf("copying the checkpoint: %v %s", err, out)
	}
	resp := post(t, httpClient, m.url+"/api/v1", "", map[string]any{
		"type": "MARK_AGENT_GONE", "mark_agent_gone": map[string]any{"agent_id": map[string]any{"value": gone.id}},
	})
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("MARK_AGENT_GONE: %s", resp.Status)
	}
	select {
	case <-gone.done: // told to shut down
	case <-time.After(10 * time.Second):
		t.Fatal("the gone agent did not exit")
	}

	m.kill9()
	m2 := startMasterAt(t, m.port, m.workDir)
	eventually(t, 15*time.Second, "the kept agent back with its ID", func() error {
		got, err := activeAgents(m2)
		if err == nil && (got["reg-keep"] != keep.id || len(got) != 1) {
			err = fmt.Errorf("active agents %v, want only reg-keep as %s", got, keep.id)
		}
		return err
	})

	// The gone agent, restarted with its old checkpoint, is still refused.
	if out, err := exec.Command("cp", "-a", backup+"/meta", gone.workDir+"/meta").CombinedOutput(); err != nil {
		t.Fatalf("restoring the checkpoint: %v %s", err, out)
	}
	g := startProc(t, "agent reg-gone again", agoraBin, gone.args...)
	select {
	case <-g.done:
	case <-time.After(15 * time.Second):
		t.Fatal("the gone agent was not refused after the master restarted")
	}
	if !bytes.Contains([]byte(g.out.String()), []byte("gone")) {
		t.Errorf("the refused agent's log does not say why:\n%s", g.out.String())
	}
	got, err := activeAgents(m2)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := got["reg-gone"]; ok {
		t.Fatalf("the gone agent is active again: %v", got)
	}
}
