package integration

import (
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/agoraproject/agora/internal/zktest"
)

// marathonZKSession is the replicas' ZooKeeper session timeout: a killed
// leader is replaced after about this long.
const marathonZKSession = 2 * time.Second

// startMarathonReplica starts `agora marathon --zk` contending for
// leadership in zkURL, and waits until it answers /ping.
func startMarathonReplica(t *testing.T, m *masterProc, zkURL string, extra ...string) (*marathonProc, string) {
	t.Helper()
	port := freePort(t)
	hp := "127.0.0.1:" + strconv.Itoa(port)
	args := append([]string{"marathon", "--master=" + m.addr, "--zk=" + zkURL,
		"--zk_session_timeout=" + strconv.Itoa(int(marathonZKSession.Milliseconds())),
		"--http_address=127.0.0.1", "--http_port=" + strconv.Itoa(port), "--hostname=127.0.0.1"}, extra...)
	mp := &marathonProc{proc: startProc(t, "marathon@"+hp, agoraBin, args...), url: "http://" + hp}
	eventually(t, 15*time.Second, "marathon "+hp+" answering /ping", func() error {
		if mp.exited() {
			t.Fatalf("marathon exited:\n%s", mp.out.String())
		}
		code, _, _, err := mp.do("GET", "/ping", "")
		if err == nil && code != 200 {
			err = fmt.Errorf("/ping: %d", code)
		}
		return err
	})
	return mp, hp
}

// leaderSeenBy is what a replica's GET /v2/leader answers.
func leaderSeenBy(mp *marathonProc) (string, error) {
	var l struct{ Leader string }
	err := getJSON(mp.url+"/v2/leader", &l)
	return l.Leader, err
}

// waitLeader waits until every replica names the same leader, which must
// be one of them, and returns its index.
func waitLeader(t *testing.T, timeout time.Duration, rs []*marathonProc, hps []string) int {
	t.Helper()
	idx := -1
	eventually(t, timeout, "a leader all replicas agree on", func() error {
		var first string
		for i, r := range rs {
			l, err := leaderSeenBy(r)
			if err != nil {
				return err
			}
			if i == 0 {
				first = l
			} else if l != first {
				return fmt.Errorf("replicas disagree: %q vs %q", first, l)
			}
		}
		if idx = slices.Index(hps, first); idx < 0 {
			return fmt.Errorf("leader %q is none of %v", first, hps)
		}
		var info struct {
			Elected     bool    `json:"elected"`
			FrameworkID *string `json:"frameworkId"`
		}
		if err := getJSON(rs[idx].url+"/v2/info", &info); err != nil {
			return err
		}
		if !info.Elected || info.FrameworkID == nil || *info.FrameworkID == "" {
			return fmt.Errorf("leader %s not registered yet: %+v", first, info)
		}
		return nil
	})
	return idx
}

// frameworkTasks lists the marathon framework's tasks on the master by
// state.
func frameworkTasks(m *masterProc) (map[string]string, error) {
	st, err := masterState(m)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, f := range append(st.Frameworks, st.CompletedFrameworks...) {
		if f.Name != "marathon" {
			continue
		}
		for _, tk := range append(f.Tasks, f.CompletedTasks...) {
			out[tk.ID] = tk.State
		}
	}
	return out, nil
}

func taskIDs(ts []mTask) []string {
	var out []string
	for _, tk := range ts {
		out = append(out, tk.ID)
	}
	slices.Sort(out)
	return out
}

// TestMarathonFailover runs two replicas sharing a real ZooKeeper against a
// real master and agent. The standby forwards API calls to the leader;
// after the leader is killed with SIGKILL the standby takes over within
// about the session timeout, finds the two running tasks — neither killed
// nor launched again — and scales the app through the new leader. DELETE
// /v2/leader hands leadership to another replica, tasks untouched.
func TestMarathonFailover(t *testing.T) {
	zk := zktest.Start(t)
	m := startMaster(t)
	startAgent(t, m, "mara-ha")
	callbacks, cbURL := callbackReceiver(t)
	zkURL := "zk://" + zk.Addr + "/marathon-failover"
	r1, hp1 := startMarathonReplica(t, m, zkURL, "--http_endpoints="+cbURL)
	r2, hp2 := startMarathonReplica(t, m, zkURL, "--http_endpoints="+cbURL)
	rs, hps := []*marathonProc{r1, r2}, []string{hp1, hp2}
	li := waitLeader(t, 20*time.Second, rs, hps)
	leader, standby := rs[li], rs[1-li]

	// Everything goes through the standby.
	h := standby.mustDo(t, "POST", "/v2/apps",
		`{"id": "/ha/web", "cmd": "sleep 1000", "cpus": 0.1, "mem": 16, "instances": 2}`, 201, nil)
	if got := h.Get("X-Marathon-Leader"); got != "http://"+hps[li] {
		t.Errorf("X-Marathon-Leader %q through the standby, want http://%s", got, hps[li])
	}
	before := taskIDs(standby.waitRunning(t, "/ha/web", 2, 20*time.Second).Tasks)
	eventually(t, 10*time.Second, "deployment_success at the --http_endpoints callback", func() error {
		if !callbacks.has("deployment_success", nil) {
			return fmt.Errorf("events so far: %v", callbacks.types())
		}
		return nil
	})

	leader.kill9()
	killed := time.Now()
	eventually(t, 15*time.Second, "the standby leads", func() error {
		l, err := leaderSeenBy(standby)
		if err == nil && l != hps[1-li] {
			err = fmt.Errorf("leader %q", l)
		}
		return err
	})
	took := time.Since(killed)
	t.Logf("standby elected %v after SIGKILL (session timeout %v)", took.Round(10*time.Millisecond), marathonZKSession)
	if took > 2*marathonZKSession+2*time.Second {
		t.Errorf("takeover took %v with a %v session timeout", took, marathonZKSession)
	}
	leader = standby
	waitLeader(t, 15*time.Second, []*marathonProc{leader}, []string{hps[1-li]})

	// Reconciled: the same two tasks run, nothing was killed or added.
	after := taskIDs(leader.waitRunning(t, "/ha/web", 2, 15*time.Second).Tasks)
	if !slices.Equal(before, after) {
		t.Fatalf("tasks before failover %v, after %v", before, after)
	}
	checkMasterTasks := func(want []string) {
		t.Helper()
		eventually(t, 10*time.Second, "the master runs exactly the app's tasks", func() error {
			ts, err := frameworkTasks(m)
			if err != nil {
				return err
			}
			for id, st := range ts {
				if st != "TASK_RUNNING" || !slices.Contains(want, id) {
					return fmt.Errorf("master tasks %v, want %v all running", ts, want)
				}
			}
			if len(ts) != len(want) {
				return fmt.Errorf("master tasks %v, want %v", ts, want)
			}
			return nil
		})
	}
	checkMasterTasks(before)

	// Scale through the new leader: one more, the first two kept.
	leader.mustDo(t, "PUT", "/v2/apps/ha/web", `{"instances": 3}`, 200, nil)
	three := taskIDs(leader.waitRunning(t, "/ha/web", 3, 20*time.Second).Tasks)
	for _, id := range before {
		if !slices.Contains(three, id) {
			t.Fatalf("scaling to 3 replaced %s: %v", id, three)
		}
	}
	checkMasterTasks(three)

	// Abdication: a fresh replica joins; the leader steps down and the
	// other one leads, with the tasks untouched.
	r3, hp3 := startMarathonReplica(t, m, zkURL)
	rs, hps = []*marathonProc{leader, r3}, []string{hps[1-li], hp3}
	if i := waitLeader(t, 15*time.Second, rs, hps); i != 0 {
		t.Fatalf("the newcomer leads before any abdication")
	}
	var msg struct{ Message string }
	leader.mustDo(t, "DELETE", "/v2/leader", "", 200, &msg)
	if i := waitLeader(t, 15*time.Second, rs, hps); i != 1 {
		t.Fatalf("after DELETE /v2/leader the leader is still %s", hps[i])
	}
	if got := taskIDs(r3.waitRunning(t, "/ha/web", 3, 15*time.Second).Tasks); !slices.Equal(got, three) {
		t.Fatalf("after abdication tasks %v, want %v", got, three)
	}
	checkMasterTasks(three)
	// The old leader, now a standby, forwards to the new one.
	var a struct {
		App mApp `json:"app"`
	}
	hdr := leader.mustDo(t, "GET", "/v2/apps/ha/web", "", 200, &a)
	if hdr.Get("X-Marathon-Leader") != "http://"+hp3 || a.App.TasksRunning != 3 {
		t.Errorf("through the old leader: leader %q, %d running", hdr.Get("X-Marathon-Leader"), a.App.TasksRunning)
	}
}
