package integration

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// chronosJob is the part of a Chronos job the tests read.
type chronosJob struct {
	Name         string `json:"name"`
	SuccessCount int    `json:"successCount"`
	ErrorCount   int    `json:"errorCount"`
	LastSuccess  string `json:"lastSuccess"`
}

type chronosStat struct {
	History []struct {
		TaskID    string `json:"taskId"`
		StartTime string `json:"startTime"`
		EndTime   string `json:"endTime"`
		Status    string `json:"status"`
		SlaveID   string `json:"slaveId"`
	} `json:"taskStatHistory"`
}

// startChronos runs `agora chronos` against m and waits for its API.
func startChronos(t *testing.T, m *masterProc, extra ...string) (string, *proc) {
	t.Helper()
	port := freePort(t)
	args := append([]string{"chronos", "--master=" + m.addr, "--ip=127.0.0.1", "--hostname=127.0.0.1",
		"--http_port=" + strconv.Itoa(port), "--work_dir=" + t.TempDir(), "--failure_retry=1secs",
		"--default_mem=32", "--default_disk=0"}, extra...)
	p := startProc(t, "chronos", agoraBin, args...)
	url := "http://127.0.0.1:" + strconv.Itoa(port)
	eventually(t, 15*time.Second, "chronos up", func() error {
		if p.exited() {
			t.Fatalf("chronos exited:\n%s", p.out.String())
		}
		resp, err := httpClient.Get(url + "/ping")
		if err != nil {
			return err
		}
		resp.Body.Close()
		return nil
	})
	return url, p
}

func chronosCall(t *testing.T, method, url, body string, want int) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %s %s, want %d", method, url, resp.Status, b, want)
	}
}

// TestChronosDAG adds a scheduled job and a dependent one to a real
// cluster, sees them run in order, runs the parent again by hand and
// deletes the child.
func TestChronosDAG(t *testing.T) {
	m := startMaster(t)
	startAgent(t, m, "agent-c1")
	url, _ := startChronos(t, m)
	api := url + "/v1/scheduler"

	chronosCall(t, "POST", api+"/iso8601", `{"name":"extract","command":"echo extracting; sleep 0.2","schedule":"R1//PT1H","cpus":0.1}`, 204)
	chronosCall(t, "POST", url+"/scheduler/dependency", `{"name":"load","command":"echo loading","parents":["extract"]}`, 204)

	job := func(name string) (chronosJob, error) {
		var j chronosJob
		err := getJSON(api+"/job/"+name, &j)
		return j, err
	}
	eventually(t, 30*time.Second, "both jobs succeeded", func() error {
		for _, n := range []string{"extract", "load"} {
			j, err := job(n)
			if err != nil {
				return err
			}
			if j.SuccessCount != 1 || j.ErrorCount != 0 {
				return fmt.Errorf("%s: %+v", n, j)
			}
		}
		return nil
	})
	var ps, cs chronosStat
	if err := getJSON(api+"/job/stat/extract", &ps); err != nil {
		t.Fatal(err)
	}
	if err := getJSON(api+"/job/stat/load", &cs); err != nil {
		t.Fatal(err)
	}
	if len(ps.History) != 1 || len(cs.History) != 1 || ps.History[0].Status != "success" || cs.History[0].Status != "success" {
		t.Fatalf("histories: %+v %+v", ps, cs)
	}
	if cs.History[0].StartTime < ps.History[0].EndTime {
		t.Fatalf("load started %s before extract ended %s", cs.History[0].StartTime, ps.History[0].EndTime)
	}
	if !strings.HasPrefix(ps.History[0].TaskID, "ct:") || !strings.HasSuffix(ps.History[0].TaskID, ":extract:") || ps.History[0].SlaveID == "" {
		t.Fatalf("history entry %+v", ps.History[0])
	}

	// Run the parent now: the child follows.
	chronosCall(t, "PUT", api+"/job/extract", "", 204)
	eventually(t, 30*time.Second, "second round", func() error {
		j, err := job("load")
		if err != nil {
			return err
		}
		if j.SuccessCount != 2 {
			return fmt.Errorf("load: %+v", j)
		}
		return nil
	})
	st, err := masterState(m)
	if err != nil {
		t.Fatal(err)
	}
	finished := 0
	for _, f := range st.Frameworks {
		if f.Name == "chronos" {
			for _, task := range f.CompletedTasks {
				if task.State == "TASK_FINISHED" {
					finished++
				}
			}
		}
	}
	if finished != 4 {
		t.Fatalf("master lists %d finished chronos tasks, want 4 (no run repeated)", finished)
	}

	chronosCall(t, "DELETE", api+"/job/load", "", 204)
	chronosCall(t, "GET", api+"/job/load", "", 404)
	var summary struct {
		Jobs []struct{ Name string } `json:"jobs"`
	}
	if err := getJSON(api+"/jobs/summary", &summary); err != nil {
		t.Fatal(err)
	}
	if len(summary.Jobs) != 1 || summary.Jobs[0].Name != "extract" {
		t.Fatalf("summary after delete: %+v", summary)
	}
}
