package integration

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestMarathon drives `agora marathon` through its REST API as Marathon
// clients do, against a real master and two agents: deploy, scale,
// rolling restart gated by health checks, an unsatisfiable constraint that
// the queue and the deployment explain, rollback, kill-and-scale, events
// over SSE and HTTP callbacks, and the error shapes clients parse.
func TestMarathon(t *testing.T) {
	m := startMaster(t)
	startAgent(t, m, "mara-a1")
	startAgent(t, m, "mara-a2")
	mp := startMarathon(t, m)

	sse := mp.followEvents(t, "")
	deployOnly := mp.followEvents(t, "?event_type=deployment_success")
	callbacks, cbURL := callbackReceiver(t)
	var sub map[string]any
	mp.mustDo(t, "POST", "/v2/eventSubscriptions?callbackUrl="+url.QueryEscape(cbURL), "", 200, &sub)
	if sub["eventType"] != "subscribe_event" {
		t.Errorf("subscribe answer %v", sub)
	}

	t.Run("invalid app is 422 with the path", func(t *testing.T) {
		var e mErrors
		mp.mustDo(t, "POST", "/v2/apps", `{"id": "bad", "cmd": "sleep 1", "cpus": -1}`, 422, &e)
		if len(e.Details) == 0 || e.Details[0].Path != "/cpus" {
			t.Errorf("422 body %+v", e)
		}
		mp.mustDo(t, "POST", "/v2/apps", `{"id": "bad", "cmd": `, 400, &e)
		if e.Message != "Invalid JSON" {
			t.Errorf("400 body %+v", e)
		}
	})

	// Deploy as curl users write it: no leading slash, "ports": null.
	var sleepyTasks []mTask
	t.Run("deploy and scale", func(t *testing.T) {
		h := mp.mustDo(t, "POST", "/v2/apps",
			`{"id": "sleepy", "cmd": "sleep 1000", "cpus": 0.1, "mem": 16, "instances": 2, "ports": null, "dependencies": null}`, 201, nil)
		if h.Get("Location") != "/v2/apps/sleepy" || h.Get("Marathon-Deployment-Id") == "" || h.Get("X-Marathon-Leader") == "" {
			t.Errorf("headers %v", h)
		}
		a := mp.waitRunning(t, "sleepy", 2, 20*time.Second)
		for _, tk := range a.Tasks {
			if !strings.HasPrefix(tk.ID, "sleepy.") || tk.AppID != "/sleepy" || len(tk.Ports) != 1 || tk.Ports[0] < 31000 || tk.Ports[0] > 31100 {
				t.Errorf("task %+v", tk)
			}
		}
		var r mDeploymentResult
		mp.mustDo(t, "PUT", "/v2/apps/sleepy", `{"instances": 4}`, 200, &r)
		if r.DeploymentID == "" || r.Version == "" {
			t.Errorf("PUT answer %+v", r)
		}
		mp.waitRunning(t, "sleepy", 4, 20*time.Second)
		mp.mustDo(t, "PATCH", "/v2/apps/sleepy", `{"instances": 2}`, 200, nil)
		a = mp.waitRunning(t, "sleepy", 2, 20*time.Second)
		if a.Instances != 2 {
			t.Errorf("instances %d", a.Instances)
		}
		sleepyTasks = a.Tasks
	})

	t.Run("kill and scale, kill and replace", func(t *testing.T) {
		if len(sleepyTasks) != 2 {
			t.Skip("deploy failed")
		}
		var r mDeploymentResult
		mp.mustDo(t, "DELETE", "/v2/apps/sleepy/tasks/"+sleepyTasks[0].ID+"?scale=true", "", 200, &r)
		if r.DeploymentID == "" {
			t.Errorf("kill-and-scale answer %+v", r)
		}
		a := mp.waitRunning(t, "sleepy", 1, 20*time.Second)
		if a.Instances != 1 || a.Tasks[0].ID != sleepyTasks[1].ID {
			t.Errorf("after kill-and-scale: instances %d, tasks %+v", a.Instances, a.Tasks)
		}
		var killed struct {
			Task mTask `json:"task"`
		}
		mp.mustDo(t, "DELETE", "/v2/apps/sleepy/tasks/"+sleepyTasks[1].ID, "", 200, &killed)
		if killed.Task.ID != sleepyTasks[1].ID {
			t.Errorf("kill answer %+v", killed)
		}
		eventually(t, 20*time.Second, "a replacement task", func() error {
			a, err := mp.app("sleepy")
			if err != nil {
				return err
			}
			if len(a.Tasks) != 1 || a.Tasks[0].ID == sleepyTasks[1].ID || a.Tasks[0].State != "TASK_RUNNING" {
				return fmt.Errorf("tasks %+v", a.Tasks)
			}
			return nil
		})
	})

	t.Run("rolling restart gated by a command health check", func(t *testing.T) {
		mp.mustDo(t, "POST", "/v2/apps", `{"id": "/svc/checked", "cmd": "sleep 1000", "cpus": 0.1, "mem": 16, "instances": 2,
			"healthChecks": [{"protocol": "COMMAND", "command": {"value": "true"}, "gracePeriodSeconds": 10,
				"intervalSeconds": 1, "timeoutSeconds": 2, "maxConsecutiveFailures": 3, "delaySeconds": 0}],
			"upgradeStrategy": {"minimumHealthCapacity": 0.5, "maximumOverCapacity": 0}}`, 201, nil)
		before := waitHealthyApp(t, mp, "svc/checked", 2)
		var r mDeploymentResult
		mp.mustDo(t, "POST", "/v2/apps/svc/checked/restart", "", 200, &r)
		eventually(t, 30*time.Second, "restart finished", func() error {
			a, err := mp.app("svc/checked")
			if err != nil {
				return err
			}
			if len(a.Deployments) != 0 || a.TasksHealthy != 2 || len(a.Tasks) != 2 {
				return fmt.Errorf("healthy %d of %d tasks, deployments %v", a.TasksHealthy, len(a.Tasks), a.Deployments)
			}
			for _, tk := range a.Tasks {
				for _, old := range before.Tasks {
					if tk.ID == old.ID {
						return fmt.Errorf("task %s not replaced yet", tk.ID)
					}
				}
			}
			return nil
		})
		if !deployOnly.has("deployment_success", map[string]any{"id": r.DeploymentID}) {
			t.Errorf("no deployment_success for %s on the filtered stream", r.DeploymentID)
		}
	})

	t.Run("HTTP health check", func(t *testing.T) {
		if _, err := os.Stat("/usr/bin/python3"); err != nil {
			t.Skip("no python3")
		}
		mp.mustDo(t, "POST", "/v2/apps", `{"id": "svc/web", "cmd": "exec python3 -m http.server $PORT0 --bind 127.0.0.1",
			"cpus": 0.1, "mem": 64, "instances": 1, "portDefinitions": [{"port": 0, "name": "http"}],
			"healthChecks": [{"protocol": "MESOS_HTTP", "path": "/", "portIndex": 0, "gracePeriodSeconds": 15,
				"intervalSeconds": 1, "timeoutSeconds": 2, "maxConsecutiveFailures": 3, "delaySeconds": 0}]}`, 201, nil)
		a := waitHealthyApp(t, mp, "svc/web", 1)
		resp, err := httpClient.Get("http://127.0.0.1:" + strconv.Itoa(a.Tasks[0].Ports[0]) + "/")
		if err != nil {
			t.Fatalf("the task does not serve on its PORT0: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("task answered %s", resp.Status)
		}
	})

	t.Run("unsatisfiable constraint is explained, then rolled back", func(t *testing.T) {
		var r mDeploymentResult
		h := mp.mustDo(t, "POST", "/v2/apps", `{"id": "nowhere", "cmd": "sleep 1000", "cpus": 0.1, "mem": 16,
			"constraints": [["hostname", "LIKE", "no-such-host"]]}`, 201, nil)
		depID := h.Get("Marathon-Deployment-Id")
		eventually(t, 15*time.Second, "queue explains the constraint", func() error {
			var q struct {
				Queue []struct {
					App struct {
						ID string `json:"id"`
					} `json:"app"`
					Count   int `json:"count"`
					Summary struct {
						Rejects []struct {
							Reason   string `json:"reason"`
							Declined int    `json:"declined"`
						} `json:"rejectSummaryLastOffers"`
					} `json:"processedOffersSummary"`
				} `json:"queue"`
			}
			if err := getJSON(mp.url+"/v2/queue", &q); err != nil {
				return err
			}
			for _, e := range q.Queue {
				if e.App.ID != "/nowhere" {
					continue
				}
				for _, rc := range e.Summary.Rejects {
					if rc.Reason == "UnfulfilledConstraint" && rc.Declined > 0 {
						return nil
					}
				}
				return fmt.Errorf("queue entry %+v", e)
			}
			return fmt.Errorf("/nowhere not queued: %+v", q)
		})
		eventually(t, 10*time.Second, "deployment says what it waits for", func() error {
			deps, err := mp.deployments()
			if err != nil {
				return err
			}
			for _, d := range deps {
				if d.ID != depID {
					continue
				}
				for _, ca := range d.CurrentActions {
					if ca.App == "/nowhere" && strings.Contains(ca.Waiting, "UnfulfilledConstraint") {
						return nil
					}
				}
				return fmt.Errorf("currentActions %+v", d.CurrentActions)
			}
			return fmt.Errorf("deployment %s not listed: %+v", depID, deps)
		})
		// Another change to the locked app is refused with the deployment.
		var locked struct {
			Deployments []struct {
				ID string `json:"id"`
			} `json:"deployments"`
		}
		mp.mustDo(t, "PUT", "/v2/apps/nowhere", `{"instances": 2}`, 409, &locked)
		if len(locked.Deployments) != 1 || locked.Deployments[0].ID != depID {
			t.Errorf("409 body %+v", locked)
		}
		var rb struct {
			DeploymentID string `json:"deploymentId"`
			Version      string `json:"version"`
		}
		mp.mustDo(t, "DELETE", "/v2/deployments/"+depID, "", 200, &rb)
		if rb.DeploymentID == "" || rb.DeploymentID == depID {
			t.Errorf("rollback answer %+v", rb)
		}
		_ = r
		eventually(t, 15*time.Second, "the new app rolled back away", func() error {
			code, body, _, err := mp.do("GET", "/v2/apps/nowhere", "")
			if err != nil {
				return err
			}
			if code != http.StatusNotFound {
				return fmt.Errorf("GET /v2/apps/nowhere: %d %s", code, body)
			}
			deps, err := mp.deployments()
			if err != nil || len(deps) != 0 {
				return fmt.Errorf("deployments %+v %v", deps, err)
			}
			return nil
		})
	})

	t.Run("groups, tasks and delete", func(t *testing.T) {
		var root struct {
			ID     string `json:"id"`
			Groups []struct {
				ID   string `json:"id"`
				Apps []struct {
					ID string `json:"id"`
				} `json:"apps"`
			} `json:"groups"`
		}
		mp.mustDo(t, "GET", "/v2/groups", "", 200, &root)
		if root.ID != "/" || len(root.Groups) != 1 || root.Groups[0].ID != "/svc" || len(root.Groups[0].Apps) == 0 {
			t.Errorf("root group %+v", root)
		}
		var tasks struct {
			Tasks []mTask `json:"tasks"`
		}
		mp.mustDo(t, "GET", "/v2/tasks?status=running", "", 200, &tasks)
		if len(tasks.Tasks) < 3 {
			t.Errorf("%d running tasks", len(tasks.Tasks))
		}
		mp.mustDo(t, "DELETE", "/v2/groups/svc", "", 200, nil)
		mp.mustDo(t, "DELETE", "/v2/apps/sleepy", "", 200, nil)
		eventually(t, 20*time.Second, "apps removed and tasks killed", func() error {
			var apps struct {
				Apps []mApp `json:"apps"`
			}
			if err := getJSON(mp.url+"/v2/apps", &apps); err != nil {
				return err
			}
			var tasks struct {
				Tasks []mTask `json:"tasks"`
			}
			if err := getJSON(mp.url+"/v2/tasks", &tasks); err != nil {
				return err
			}
			if len(apps.Apps) != 0 || len(tasks.Tasks) != 0 {
				return fmt.Errorf("%d apps, %d tasks left", len(apps.Apps), len(tasks.Tasks))
			}
			return nil
		})
	})

	t.Run("events over SSE and callbacks", func(t *testing.T) {
		for name, log := range map[string]*eventLog{"SSE": sse, "callback": callbacks} {
			eventually(t, 5*time.Second, name+" events", func() error {
				for _, want := range []struct {
					typ    string
					fields map[string]any
				}{
					{"api_post_event", nil},
					{"status_update_event", map[string]any{"appId": "/sleepy", "taskStatus": "TASK_RUNNING"}},
					{"status_update_event", map[string]any{"appId": "/sleepy", "taskStatus": "TASK_KILLED"}},
					{"deployment_success", nil},
				} {
					if !log.has(want.typ, want.fields) {
						return fmt.Errorf("no %s %v among %v", want.typ, want.fields, log.types())
					}
				}
				return nil
			})
		}
		if !sse.has("event_stream_attached", nil) {
			t.Errorf("SSE never saw event_stream_attached: %v", sse.types())
		}
		if types := deployOnly.types(); len(types) != 1 || types["deployment_success"] == 0 {
			t.Errorf("?event_type=deployment_success delivered %v", types)
		}
	})
}

// waitHealthyApp waits until the app has n running tasks that all pass
// their health checks and no deployment.
func waitHealthyApp(t *testing.T, mp *marathonProc, id string, n int) mApp {
	t.Helper()
	var a mApp
	eventually(t, 30*time.Second, id+" healthy", func() error {
		var err error
		if a, err = mp.app(id); err != nil {
			return err
		}
		if a.TasksHealthy != n || a.TasksRunning != n || len(a.Deployments) != 0 {
			return fmt.Errorf("healthy %d running %d deployments %v", a.TasksHealthy, a.TasksRunning, a.Deployments)
		}
		return nil
	})
	return a
}
