package integration

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// marathonProc is a running `agora marathon` with a file store.
type marathonProc struct {
	*proc
	url string
}

// startMarathon starts `agora marathon` against m and waits until its API
// answers /ping and it has registered with the master.
func startMarathon(t *testing.T, m *masterProc, extra ...string) *marathonProc {
	t.Helper()
	port := freePort(t)
	args := append([]string{"marathon", "--master=" + m.addr, "--http_address=127.0.0.1",
		"--http_port=" + strconv.Itoa(port), "--work_dir=" + t.TempDir(), "--hostname=127.0.0.1"}, extra...)
	mp := &marathonProc{proc: startProc(t, "marathon", agoraBin, args...), url: "http://127.0.0.1:" + strconv.Itoa(port)}
	eventually(t, 15*time.Second, "marathon answering /ping", func() error {
		if mp.exited() {
			t.Fatalf("marathon exited:\n%s", mp.out.String())
		}
		code, body, _, err := mp.do("GET", "/ping", "")
		if err != nil {
			return err
		}
		if code != 200 || string(body) != "pong" {
			return fmt.Errorf("/ping: %d %q", code, body)
		}
		return nil
	})
	eventually(t, 15*time.Second, "marathon registered", func() error {
		var info struct {
			FrameworkID *string `json:"frameworkId"`
			Elected     bool    `json:"elected"`
		}
		if err := getJSON(mp.url+"/v2/info", &info); err != nil {
			return err
		}
		if info.FrameworkID == nil || *info.FrameworkID == "" || !info.Elected {
			return fmt.Errorf("not registered yet: %+v", info)
		}
		return nil
	})
	return mp
}

// do sends one request with a JSON body (when not empty).
func (mp *marathonProc) do(method, path, body string) (int, []byte, http.Header, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, mp.url+path, rd)
	if err != nil {
		return 0, nil, nil, err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header, err
}

// mustDo is do that fails the test unless the status is want, decoding the
// JSON answer into out (when not nil).
func (mp *marathonProc) mustDo(t *testing.T, method, path, body string, want int, out any) http.Header {
	t.Helper()
	code, b, h, err := mp.do(method, path, body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	if code != want {
		t.Fatalf("%s %s: %d, want %d: %s", method, path, code, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: decoding %s: %v", method, path, b, err)
		}
	}
	return h
}

// The parts of Marathon's JSON the tests read.
type (
	mApp struct {
		ID             string `json:"id"`
		Instances      int    `json:"instances"`
		Version        string `json:"version"`
		TasksRunning   int    `json:"tasksRunning"`
		TasksStaged    int    `json:"tasksStaged"`
		TasksHealthy   int    `json:"tasksHealthy"`
		TasksUnhealthy int    `json:"tasksUnhealthy"`
		Deployments    []struct {
			ID string `json:"id"`
		} `json:"deployments"`
		Tasks []mTask `json:"tasks"`
	}
	mTask struct {
		ID                 string `json:"id"`
		AppID              string `json:"appId"`
		Host               string `json:"host"`
		State              string `json:"state"`
		Ports              []int  `json:"ports"`
		Version            string `json:"version"`
		HealthCheckResults []struct {
			Alive bool `json:"alive"`
		} `json:"healthCheckResults"`
	}
	mDeployment struct {
		ID             string `json:"id"`
		AffectedApps   []string
		CurrentActions []struct {
			Action  string `json:"action"`
			App     string `json:"app"`
			Waiting string `json:"waiting"`
		} `json:"currentActions"`
	}
	mDeploymentResult struct {
		Version      string `json:"version"`
		DeploymentID string `json:"deploymentId"`
	}
	mErrors struct {
		Message string `json:"message"`
		Details []struct {
			Path   string   `json:"path"`
			Errors []string `json:"errors"`
		} `json:"details"`
	}
)

func (mp *marathonProc) app(id string) (mApp, error) {
	var out struct {
		App mApp `json:"app"`
	}
	err := getJSON(mp.url+"/v2/apps/"+strings.TrimPrefix(id, "/"), &out)
	return out.App, err
}

func (mp *marathonProc) deployments() ([]mDeployment, error) {
	var out []mDeployment
	err := getJSON(mp.url+"/v2/deployments", &out)
	return out, err
}

// waitRunning waits until the app has exactly n running tasks, all of the
// given version when version is set, and no deployment.
func (mp *marathonProc) waitRunning(t *testing.T, id string, n int, timeout time.Duration) mApp {
	t.Helper()
	var a mApp
	eventually(t, timeout, fmt.Sprintf("%s with %d running tasks", id, n), func() error {
		var err error
		if a, err = mp.app(id); err != nil {
			return err
		}
		running := 0
		for _, tk := range a.Tasks {
			if tk.State == "TASK_RUNNING" {
				running++
			}
		}
		if running != n || len(a.Tasks) != n || a.TasksRunning != n || len(a.Deployments) != 0 {
			return fmt.Errorf("%d running of %d tasks (tasksRunning %d), deployments %v", running, len(a.Tasks), a.TasksRunning, a.Deployments)
		}
		return nil
	})
	return a
}

// eventLog collects what an event source delivered: SSE streams and
// callbacks append here.
type eventLog struct {
	mu     sync.Mutex
	events []map[string]any
}

func (l *eventLog) add(m map[string]any) {
	l.mu.Lock()
	l.events = append(l.events, m)
	l.mu.Unlock()
}

// has reports whether some event has the type and, for each key of want,
// that value.
func (l *eventLog) has(typ string, want map[string]any) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, e := range l.events {
		if e["eventType"] != typ {
			continue
		}
		ok := true
		for k, v := range want {
			ok = ok && e[k] == v
		}
		if ok {
			return true
		}
	}
	return false
}

func (l *eventLog) types() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]int{}
	for _, e := range l.events {
		out[fmt.Sprint(e["eventType"])]++
	}
	return out
}

// followEvents reads /v2/events into a log until the test ends, checking
// the SSE framing (the event line names the JSON's eventType).
func (mp *marathonProc) followEvents(t *testing.T, query string) *eventLog {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", mp.url+"/v2/events"+query, nil)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := streamClient.Do(req)
	if err != nil {
		cancel()
		t.Fatalf("/v2/events: %v", err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		cancel()
		t.Fatalf("/v2/events: %s %q", resp.Status, resp.Header.Get("Content-Type"))
	}
	log := &eventLog{}
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); resp.Body.Close(); <-done })
	go func() {
		defer close(done)
		r := bufio.NewReader(resp.Body)
		var typ string
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			line = strings.TrimRight(line, "\n")
			switch {
			case strings.HasPrefix(line, "event: "):
				typ = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				var m map[string]any
				if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &m); err != nil {
					t.Errorf("SSE data is not JSON: %q", line)
					continue
				}
				if m["eventType"] != typ {
					t.Errorf("SSE event line %q but eventType %v", typ, m["eventType"])
				}
				log.add(m)
			}
		}
	}()
	return log
}

// callbackReceiver is an HTTP endpoint registered as an event callback.
func callbackReceiver(t *testing.T) (*eventLog, string) {
	t.Helper()
	log := &eventLog{}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var m map[string]any
		if json.Unmarshal(bytes.TrimSpace(b), &m) == nil {
			log.add(m)
		}
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return log, "http://" + ln.Addr().String() + "/events"
}
