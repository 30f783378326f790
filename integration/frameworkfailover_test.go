package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"
)

// TestFrameworkFailover disconnects two frameworks, each running a task.
// The one with a 5 s failover_timeout resubscribes with its framework ID
// after the other's 1 s timeout has passed: its task is still RUNNING, the
// same process, and it receives the TASK_FINISHED of a task that ended
// while it was away. The other stays away: the master removes it (it is listed
// in completed_frameworks), its task ends TASK_KILLED, and the agent kills
// the process.
func TestFrameworkFailover(t *testing.T) {
	m := startMaster(t)
	a := startAgent(t, m, "failover-agent")

	patientInfo := map[string]any{"user": "root", "name": "patient", "failover_timeout": 5}
	patient, hangUpPatient := subscribeCancelable(t, m, patientInfo)
	hasty, hangUpHasty := subscribeCancelable(t, m, map[string]any{"user": "root", "name": "hasty", "failover_timeout": 1})

	// brief-task finishes while its framework is away. One ACCEPT: a
	// second offer would wait out the 5 s filter on the unused resources.
	patientCmd, patientMarker := longSleep(t)
	patient.launchAll(patient.awaitOffer(a.id), map[string]string{"patient-task": patientCmd, "brief-task": "sleep 2"})
	patient.awaitStatus("patient-task", "TASK_RUNNING")
	patient.awaitStatus("brief-task", "TASK_RUNNING")
	hastyCmd, hastyMarker := longSleep(t)
	hasty.launch(hasty.awaitOffer(a.id), "hasty-task", hastyCmd, 0.1, 32)
	hasty.awaitStatus("hasty-task", "TASK_RUNNING")
	var patientPID int
	eventually(t, 5*time.Second, "patient-task's process", func() (err error) {
		patientPID, err = sleepPID(patientMarker)
		return err
	})

	hangUpPatient()
	hangUpHasty()
	gone := time.Now()
	eventually(t, 5*time.Second, "both frameworks inactive", func() error {
		st, err := masterState(m)
		if err != nil {
			return err
		}
		for _, fid := range []string{patient.frameworkID, hasty.frameworkID} {
			if f, ok := st.framework(fid); !ok || f.Active {
				return fmt.Errorf("framework %s: %+v", fid, f)
			}
		}
		return nil
	})

	// The hasty framework's timeout passes: it is removed, its task killed.
	eventually(t, 5*time.Second, "hasty removed with its task KILLED", func() error {
		st, err := masterState(m)
		if err != nil {
			return err
		}
		for _, f := range st.Frameworks {
			if f.ID == hasty.frameworkID {
				return fmt.Errorf("hasty still a current framework (active %v)", f.Active)
			}
		}
		var done *frameworkState
		for i, f := range st.CompletedFrameworks {
			if f.ID == hasty.frameworkID {
				done = &st.CompletedFrameworks[i]
			}
		}
		if done == nil {
			return fmt.Errorf("hasty not in completed_frameworks")
		}
		if len(done.Tasks) != 0 || len(done.CompletedTasks) != 1 || done.CompletedTasks[0].State != "TASK_KILLED" {
			return fmt.Errorf("hasty tasks %+v completed %+v, want hasty-task TASK_KILLED", done.Tasks, done.CompletedTasks)
		}
		return nil
	})
	if since := time.Since(gone); since < time.Second {
		t.Errorf("hasty removed %v after disconnecting, before its 1 s failover_timeout", since)
	}
	eventually(t, 5*time.Second, "hasty-task's process gone", func() error {
		if pid, err := sleepPID(hastyMarker); err == nil {
			return fmt.Errorf("pid %d still there", pid)
		}
		return nil
	})

	eventually(t, 5*time.Second, "brief-task FINISHED while its framework is away", func() error {
		st, err := masterState(m)
		if err != nil {
			return err
		}
		f, _ := st.framework(patient.frameworkID)
		if f.Active || len(f.CompletedTasks) != 1 || f.CompletedTasks[0].State != "TASK_FINISHED" {
			return fmt.Errorf("patient: %+v", f)
		}
		return nil
	})

	// Still within its 5 s, the patient framework fails over.
	if since := time.Since(gone); since > 4*time.Second {
		t.Fatalf("too slow: %v since the disconnect leaves no margin in the 5 s failover_timeout", since)
	}
	patientInfo["id"] = id{patient.frameworkID}
	again := subscribe(t, m, patientInfo)
	if again.frameworkID != patient.frameworkID {
		t.Fatalf("resubscribed as %s, want %s", again.frameworkID, patient.frameworkID)
	}
	again.reconcile("patient-task", a.id)
	again.awaitUpdate("patient-task", "TASK_RUNNING")
	// The update sent while nobody listened is not lost: the agent resends
	// it until the framework acknowledges.
	resubscribed := time.Now()
	again.awaitUpdate("brief-task", "TASK_FINISHED")
	t.Logf("brief-task's TASK_FINISHED arrived %v after the resubscription", time.Since(resubscribed).Round(time.Millisecond))
	if pid, err := sleepPID(patientMarker); err != nil || pid != patientPID {
		t.Fatalf("patient-task's process is %d (%v), want the original %d", pid, err, patientPID)
	}
	st, err := masterState(m)
	if err != nil {
		t.Fatal(err)
	}
	f, ok := st.framework(patient.frameworkID)
	if !ok || !f.Active || len(f.Tasks) != 1 || f.Tasks[0].State != "TASK_RUNNING" ||
		len(f.CompletedTasks) != 1 || f.CompletedTasks[0].State != "TASK_FINISHED" {
		t.Fatalf("patient after failover: %+v, want active with patient-task RUNNING and brief-task FINISHED", f)
	}
	// Past the first stream's timeout, the framework is still there.
	time.Sleep(time.Until(gone.Add(5500 * time.Millisecond)))
	if st, err = masterState(m); err != nil {
		t.Fatal(err)
	}
	if f, ok = st.framework(patient.frameworkID); !ok || !f.Active || len(f.Tasks) != 1 {
		t.Fatalf("patient 5.5 s after its disconnect: %+v, want active with its task", f)
	}
}

// subscribeCancelable subscribes like subscribe and also returns a
// function that closes the event stream, as a framework that dies does.
func subscribeCancelable(t *testing.T, m *masterProc, frameworkInfo map[string]any) (*scheduler, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	body, err := json.Marshal(map[string]any{"type": "SUBSCRIBE", "subscribe": map[string]any{"framework_info": frameworkInfo}})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.url+"/api/v1/scheduler", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := streamClient.Do(req)
	if err != nil {
		t.Fatalf("SUBSCRIBE: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		t.Fatalf("SUBSCRIBE: %s: %s", resp.Status, b)
	}
	s := &scheduler{t: t, url: m.url, streamID: resp.Header.Get("Mesos-Stream-Id"), events: make(chan event, 64)}
	go s.read(resp.Body)
	ev := s.await(10*time.Second, "SUBSCRIBED", func(e event) bool { return e.Type == "SUBSCRIBED" })
	s.subscribed, s.frameworkID = ev, ev.Subscribed.FrameworkID.Value
	return s, func() { cancel(); resp.Body.Close() }
}

// launchAll accepts o with one shell command task per entry of commands
// (task ID → command), each using 0.1 cpus and 32 MB of it.
func (s *scheduler) launchAll(o offer, commands map[string]string) {
	s.t.Helper()
	var tasks []any
	for taskID, command := range commands {
		tasks = append(tasks, map[string]any{
			"name":      taskID,
			"task_id":   id{taskID},
			"agent_id":  o.AgentID,
			"resources": []any{takeScalar(s.t, o, "cpus", 0.1), takeScalar(s.t, o, "mem", 32)},
			"command":   map[string]any{"shell": true, "value": command},
		})
	}
	s.call(map[string]any{"type": "ACCEPT", "accept": map[string]any{
		"offer_ids":  []id{o.ID},
		"operations": []any{map[string]any{"type": "LAUNCH", "launch": map[string]any{"task_infos": tasks}}},
	}})
}
