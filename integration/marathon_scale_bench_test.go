package integration

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// BenchmarkMarathonScale measures Marathon scaling one app from 0 to
// 10,000 instances on real processes: `agora master`, `agora sim` with
// 1,000 simulated agents (cpus:8;mem:16384 each) and `agora marathon`.
// Each iteration starts a fresh cluster, POSTs the app to /v2/apps and
// stops the clock once its deployment is gone from /v2/deployments and
// /v2/apps counts 10,000 tasks RUNNING; it then checks every task in
// /v2/apps/<id>. Run with:
//
//	go test ./integration -run '^$' -bench MarathonScale -benchtime 3x
//
// AGORA_SCALE_INSTANCES and AGORA_SCALE_AGENTS change the sizes;
// AGORA_SCALE_PROFILE=<dir> writes marathon-<i>.pprof, Marathon's CPU
// profile of each iteration, there.
func BenchmarkMarathonScale(b *testing.B) {
	instances := envInt(b, "AGORA_SCALE_INSTANCES", 10000)
	agents := envInt(b, "AGORA_SCALE_AGENTS", 1000)
	profileDir := os.Getenv("AGORA_SCALE_PROFILE")
	var runs []time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		profile := ""
		if profileDir != "" {
			profile = filepath.Join(profileDir, fmt.Sprintf("marathon-%d.pprof", i))
		}
		c := startScaleCluster(b, agents, profile)
		before := c.cpu()
		b.StartTimer()
		d := c.scale(b, instances)
		b.StopTimer()
		after := c.cpu()
		c.check(b, instances)
		c.stop()
		runs = append(runs, d)
		b.Logf("run %d: %d instances on %d agents RUNNING after %v; CPU used meanwhile: master %v, sim %v, marathon %v",
			i+1, instances, agents, d.Round(time.Millisecond),
			after[0]-before[0], after[1]-before[1], after[2]-before[2])
	}
	slices.Sort(runs)
	b.ReportMetric(runs[len(runs)/2].Seconds(), "median-s")
	b.ReportMetric(0, "ns/op") // one run takes seconds; the median says it
}

func envInt(b *testing.B, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		b.Fatalf("%s=%q: want a positive integer", name, s)
	}
	return n
}

// scaleProc is one process of a benchmark iteration; iterations stop
// their processes themselves rather than at the benchmark's end.
type scaleProc struct {
	name string
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
}

func startScaleProc(b *testing.B, name string, args ...string) *scaleProc {
	b.Helper()
	p := &scaleProc{name: name, out: &syncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(agoraBin, args...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		b.Fatalf("starting %s: %v", name, err)
	}
	go func() { _ = p.cmd.Wait(); close(p.done) }()
	b.Cleanup(func() {
		p.stop()
		if b.Failed() {
			b.Logf("---- %s\n%s---- end of %s", name, lastLines(p.out.String(), 60), name)
		}
	})
	return p
}

// stop sends SIGTERM (Marathon writes its profile then) and SIGKILL after
// 10 s.
func (p *scaleProc) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

func lastLines(s string, n int) string {
	lines := strings.SplitAfter(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "")
}

type scaleCluster struct {
	master, sim, marathon *scaleProc
	masterURL, url        string
}

// startScaleCluster starts the three processes and waits until every
// agent is active and Marathon has registered.
func startScaleCluster(b *testing.B, agents int, profile string) *scaleCluster {
	b.Helper()
	mport, port := freePortTB(b), freePortTB(b)
	maddr := "127.0.0.1:" + strconv.Itoa(mport)
	c := &scaleCluster{masterURL: "http://" + maddr, url: "http://127.0.0.1:" + strconv.Itoa(port)}
	// The harness's fast flags but its agent ping timeouts: a thousand
	// agents on a loaded 2-core machine would miss 1 s pings, and their
	// tasks turn unreachable mid-run.
	margs := []string{"master", "--ip=127.0.0.1", "--advertise_ip=127.0.0.1",
		"--port=" + strconv.Itoa(mport), "--work_dir=" + b.TempDir(), "--logging_level=WARNING",
		"--tls=false", "--allow_root_tasks", "--allocation_interval=100ms"}
	c.master = startScaleProc(b, "master", margs...)
	waitFor(b, c.master, 15*time.Second, "master healthy", func() error {
		resp, err := httpClient.Get(c.masterURL + "/health")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("/health: %s", resp.Status)
		}
		return nil
	})
	c.sim = startScaleProc(b, "sim", "sim", "--master="+maddr, "--agents="+strconv.Itoa(agents),
		"--logging_level=WARNING", "--stats_interval=0")
	waitFor(b, c.sim, 60*time.Second, "agents active", func() error {
		var m map[string]float64
		if err := getJSON(c.masterURL+"/metrics/snapshot", &m); err != nil {
			return err
		}
		if n := int(m["master/slaves_active"]); n != agents {
			return fmt.Errorf("%d of %d agents active", n, agents)
		}
		return nil
	})
	args := []string{"marathon", "--master=" + maddr, "--http_address=127.0.0.1",
		"--http_port=" + strconv.Itoa(port), "--work_dir=" + b.TempDir(), "--hostname=127.0.0.1",
		"--logging_level=WARNING"}
	if profile != "" {
		args = append(args, "--cpuprofile="+profile)
	}
	c.marathon = startScaleProc(b, "marathon", args...)
	waitFor(b, c.marathon, 15*time.Second, "marathon registered", func() error {
		var info struct {
			FrameworkID *string `json:"frameworkId"`
			Elected     bool    `json:"elected"`
		}
		if err := getJSON(c.url+"/v2/info", &info); err != nil {
			return err
		}
		if info.FrameworkID == nil || *info.FrameworkID == "" || !info.Elected {
			return fmt.Errorf("not registered yet: %+v", info)
		}
		return nil
	})
	return c
}

// waitFor polls cond every 50 ms, failing when p exits or timeout passes.
func waitFor(b *testing.B, p *scaleProc, timeout time.Duration, what string, cond func() error) {
	b.Helper()
	deadline := time.Now().Add(timeout)
	for {
		select {
		case <-p.done:
			b.Fatalf("%s exited while waiting for %s", p.name, what)
		default:
		}
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("%s: not within %v: %v", what, timeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

const scaleAppID = "/scale"

// scale POSTs the app and returns how long it took until its deployment
// was done and all instances ran.
func (c *scaleCluster) scale(b *testing.B, instances int) time.Duration {
	b.Helper()
	body := fmt.Sprintf(`{"id":%q,"cmd":"sleep 3600","cpus":0.01,"mem":16,"instances":%d}`, scaleAppID, instances)
	start := time.Now()
	resp, err := httpClient.Post(c.url+"/v2/apps", "application/json", strings.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		b.Fatalf("POST /v2/apps: %s", resp.Status)
	}
	last := ""
	waitFor(b, c.marathon, 5*time.Minute, fmt.Sprintf("%d instances running", instances), func() error {
		var apps struct {
			Apps []mApp `json:"apps"`
		}
		if err := getJSON(c.url+"/v2/apps?id="+scaleAppID, &apps); err != nil {
			return err
		}
		if len(apps.Apps) != 1 {
			return fmt.Errorf("%d apps", len(apps.Apps))
		}
		a := apps.Apps[0]
		if s := fmt.Sprintf("staged %d running %d", a.TasksStaged, a.TasksRunning); s != last {
			last = s
			b.Logf("%6.2fs: %s", time.Since(start).Seconds(), s)
		}
		if a.TasksRunning != instances || len(a.Deployments) != 0 {
			return fmt.Errorf("%d of %d running, deployments %v", a.TasksRunning, instances, a.Deployments)
		}
		var ds []mDeployment
		if err := getJSON(c.url+"/v2/deployments", &ds); err != nil {
			return err
		}
		if len(ds) != 0 {
			return fmt.Errorf("%d deployments", len(ds))
		}
		return nil
	})
	return time.Since(start)
}

// check reads every task: all RUNNING, on as many distinct task IDs.
func (c *scaleCluster) check(b *testing.B, instances int) {
	b.Helper()
	var out struct {
		App mApp `json:"app"`
	}
	if err := getJSON(c.url+"/v2/apps"+scaleAppID, &out); err != nil {
		b.Fatal(err)
	}
	ids := map[string]bool{}
	for _, t := range out.App.Tasks {
		if t.State != "TASK_RUNNING" {
			b.Fatalf("task %s is %s", t.ID, t.State)
		}
		ids[t.ID] = true
	}
	if len(ids) != instances {
		b.Fatalf("%d distinct running tasks, want %d", len(ids), instances)
	}
}

// cpu is the CPU time (user and system) the master, the simulated agents
// and Marathon have used so far, from /proc (zero where unreadable).
func (c *scaleCluster) cpu() [3]time.Duration {
	var out [3]time.Duration
	for i, p := range []*scaleProc{c.master, c.sim, c.marathon} {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
		if err != nil {
			continue
		}
		// Fields after the command's closing parenthesis: utime and
		// stime are the 12th and 13th, in clock ticks (100 a second).
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		if len(f) < 13 {
			continue
		}
		u, _ := strconv.Atoi(f[11])
		s, _ := strconv.Atoi(f[12])
		out[i] = time.Duration(u+s) * 10 * time.Millisecond
	}
	return out
}

func (c *scaleCluster) stop() {
	c.marathon.stop()
	c.sim.stop()
	c.master.stop()
}
