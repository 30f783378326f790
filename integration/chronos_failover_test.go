package integration

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/agoraproject/agora/internal/zktest"
)

// chronosReplica is one `agora chronos --zk` process.
type chronosReplica struct {
	*proc
	hostPort string // what /leader names when it leads
	url      string
}

// startChronosReplica starts a replica that contends for leadership in
// zkURL and waits until it answers /ping.
func startChronosReplica(t *testing.T, m *masterProc, zkURL string) *chronosReplica {
	t.Helper()
	port := freePort(t)
	hp := "127.0.0.1:" + strconv.Itoa(port)
	p := startProc(t, "chronos@"+hp, agoraBin, "chronos", "--master="+m.addr, "--zk="+zkURL,
		"--zk_session_timeout=2secs", "--ip=127.0.0.1", "--hostname=127.0.0.1",
		"--http_port="+strconv.Itoa(port), "--failure_retry=1secs", "--default_mem=32", "--default_disk=0")
	r := &chronosReplica{proc: p, hostPort: hp, url: "http://" + hp}
	eventually(t, 15*time.Second, "chronos "+hp+" up", func() error {
		if p.exited() {
			t.Fatalf("chronos exited:\n%s", p.out.String())
		}
		resp, err := httpClient.Get(r.url + "/ping")
		if err != nil {
			return err
		}
		resp.Body.Close()
		return nil
	})
	return r
}

// leaderOf asks a replica who leads.
func leaderOf(r *chronosReplica) (string, error) {
	var l struct{ Leader string }
	if err := getJSON(r.url+"/leader", &l); err != nil {
		return "", err
	}
	return l.Leader, nil
}

// TestChronosFailover runs a three-job chain a → b → c with two replicas
// sharing a real ZooKeeper, kills the leader with SIGKILL while b runs and
// checks that the standby takes over and finishes the chain: every job
// ran exactly once, in order, and b's run in flight was followed to its
// end rather than launched again.
func TestChronosFailover(t *testing.T) {
	zk := zktest.Start(t)
	m := startMaster(t)
	startAgent(t, m, "agent-cf")
	zkURL := "zk://" + zk.Addr + "/chronos-failover"
	r1 := startChronosReplica(t, m, zkURL)
	r2 := startChronosReplica(t, m, zkURL)

	var leader, standby *chronosReplica
	eventually(t, 15*time.Second, "a leader both replicas agree on", func() error {
		l1, err1 := leaderOf(r1)
		l2, err2 := leaderOf(r2)
		if err1 != nil || err2 != nil {
			return fmt.Errorf("%v; %v", err1, err2)
		}
		if l1 != l2 {
			return fmt.Errorf("r1 says %q, r2 says %q", l1, l2)
		}
		switch l1 {
		case r1.hostPort:
			leader, standby = r1, r2
		case r2.hostPort:
			leader, standby = r2, r1
		default:
			return fmt.Errorf("leader %q is neither replica", l1)
		}
		return nil
	})

	// Everything goes through the standby, which forwards to the leader.
	api := standby.url + "/v1/scheduler"
	start := time.Now().Add(2 * time.Second).UTC().Format("2006-01-02T15:04:05.000Z")
	chronosCall(t, "POST", api+"/iso8601", `{"name":"a","command":"sleep 1","schedule":"R1/`+start+`/PT1H","cpus":0.1}`, 204)
	chronosCall(t, "POST", api+"/dependency", `{"name":"b","command":"sleep 2","parents":["a"],"cpus":0.1}`, 204)
	chronosCall(t, "POST", api+"/dependency", `{"name":"c","command":"sleep 1","parents":["b"],"cpus":0.1}`, 204)
	var jobs []chronosJob
	if err := getJSON(leader.url+"/v1/scheduler/jobs", &jobs); err != nil || len(jobs) != 3 {
		t.Fatalf("the leader lists %+v (%v), want the 3 jobs posted through the standby", jobs, err)
	}

	// Wait until the agent runs b, then kill the leader.
	var bTask string
	eventually(t, 20*time.Second, "b running", func() error {
		st, err := masterState(m)
		if err != nil {
			return err
		}
		for _, f := range st.Frameworks {
			for _, task := range f.Tasks {
				if strings.HasSuffix(task.ID, ":b:") && task.State == "TASK_RUNNING" {
					bTask = task.ID
					return nil
				}
			}
		}
		return fmt.Errorf("b is not running yet")
	})
	leader.kill9()
	killed := time.Now()

	eventually(t, 15*time.Second, "the standby leads", func() error {
		l, err := leaderOf(standby)
		if err != nil {
			return err
		}
		if l != standby.hostPort {
			return fmt.Errorf("leader is %q", l)
		}
		return nil
	})
	t.Logf("standby leads %v after the kill", time.Since(killed).Round(time.Millisecond))

	api = standby.url + "/v1/scheduler"
	stats := map[string]chronosStat{}
	eventually(t, 20*time.Second, "c succeeded under the new leader", func() error {
		var c chronosJob
		if err := getJSON(api+"/job/c", &c); err != nil {
			return err
		}
		if c.SuccessCount+c.ErrorCount == 0 {
			return fmt.Errorf("c: %+v", c)
		}
		return nil
	})
	for _, n := range []string{"a", "b", "c"} {
		var j chronosJob
		var s chronosStat
		if err := getJSON(api+"/job/"+n, &j); err != nil {
			t.Fatal(err)
		}
		if err := getJSON(api+"/job/stat/"+n, &s); err != nil {
			t.Fatal(err)
		}
		if j.SuccessCount != 1 || j.ErrorCount != 0 || len(s.History) != 1 || s.History[0].Status != "success" {
			t.Fatalf("%s: %+v, history %+v: want exactly one successful run", n, j, s.History)
		}
		stats[n] = s
	}
	a, b, c := stats["a"].History[0], stats["b"].History[0], stats["c"].History[0]
	if b.StartTime < a.EndTime || c.StartTime < b.EndTime {
		t.Fatalf("out of order: a %s–%s, b %s–%s, c %s–%s", a.StartTime, a.EndTime, b.StartTime, b.EndTime, c.StartTime, c.EndTime)
	}
	if b.TaskID != bTask {
		t.Fatalf("b's history shows task %s, but %s was running at the kill: relaunched", b.TaskID, bTask)
	}

	// The master agrees: one framework (its ID reused by the new leader),
	// one task per job.
	st, err := masterState(m)
	if err != nil {
		t.Fatal(err)
	}
	var fws []frameworkState
	for _, f := range append(st.Frameworks, st.CompletedFrameworks...) {
		if f.Name == "chronos" {
			fws = append(fws, f)
		}
	}
	if len(fws) != 1 || !fws[0].Active {
		t.Fatalf("master lists chronos frameworks %+v, want one active (the framework ID reused)", fws)
	}
	perJob := map[string]int{}
	for _, task := range append(fws[0].Tasks, fws[0].CompletedTasks...) {
		parts := strings.Split(task.ID, ":")
		if len(parts) >= 4 {
			perJob[parts[3]]++
		}
	}
	if perJob["a"] != 1 || perJob["b"] != 1 || perJob["c"] != 1 || len(perJob) != 3 {
		t.Fatalf("master lists tasks per job %v, want one each of a, b, c", perJob)
	}
}
