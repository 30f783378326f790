package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/agoraproject/agora/frameworks/marathon/state"
)

// snapshotBackend serves precomputed snapshots, as the core does: the
// benchmark measures the handler, not the backend.
type snapshotBackend struct {
	*fakeBackend
	with, without []state.AppStatus
}

func (b *snapshotBackend) Apps(withTasks bool) []state.AppStatus {
	if withTasks {
		return b.with
	}
	return b.without
}

// benchBackend holds 1,000 apps with 10 running tasks each.
func benchBackend() *snapshotBackend {
	f := newFake()
	for i := 0; i < 1000; i++ {
		id := fmt.Sprintf("/prod/team%02d/svc%04d", i%50, i)
		a := sampleApp(id, "./server --port $PORT0")
		a.Instances = 10
		a.Labels = map[string]string{"team": fmt.Sprintf("team%02d", i%50), "HAPROXY_GROUP": "external"}
		a.Version = "2024-01-01T00:00:00.000Z"
		var tasks []state.Task
		for j := 0; j < 10; j++ {
			tk := task(id, fmt.Sprintf("%08d-aaaa-bbbb-cccc-%012d", i, j), fmt.Sprintf("agent%03d", (i+j)%200), "TASK_RUNNING", 31000+j)
			tk.ServicePorts = []int{10000 + i}
			tk.IPAddresses = []state.IPAddress{{IPAddress: "10.0.0.1", Protocol: "IPv4"}}
			tk.HealthCheckResults = []state.HealthCheckResult{{Alive: true, InstanceID: tk.ID}}
			tasks = append(tasks, tk)
		}
		st := f.addApp(a, tasks...)
		st.TasksHealthy = 10
	}
	b := &snapshotBackend{fakeBackend: f}
	b.with = f.Apps(true)
	b.without = f.Apps(false)
	return b
}

// BenchmarkListApps1kApps10kTasks: GET /v2/apps over 1,000 apps and 10,000
// tasks, as clients poll it (counts and deployments), and with every task
// embedded (embed=apps.tasks, what marathon-lb and other service
// discovery tools request).
func BenchmarkListApps1kApps10kTasks(b *testing.B) {
	backend := benchBackend()
	s, err := NewServer(backend, nil, Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for _, q := range []string{"", "?embed=apps.tasks"} {
		name := "counts"
		if q != "" {
			name = "tasks"
		}
		b.Run(name, func(b *testing.B) {
			var size int
			for b.Loop() {
				r := httptest.NewRequest("GET", "/v2/apps"+q, nil)
				w := httptest.NewRecorder()
				s.ServeHTTP(w, r)
				if w.Code != 200 {
					b.Fatalf("status %d", w.Code)
				}
				size = w.Body.Len()
			}
			b.ReportMetric(float64(size)/1e6, "MB/response")
		})
	}
}

// BenchmarkEncodeTasks10k compares the hand-written task encoder with
// encoding/json on the 10,000 tasks of the listing above.
func BenchmarkEncodeTasks10k(b *testing.B) {
	var tasks []state.Task
	for _, st := range benchBackend().with {
		tasks = append(tasks, st.Tasks...)
	}
	b.Run("appendTasksJSON", func(b *testing.B) {
		var buf bytes.Buffer
		for b.Loop() {
			buf.Reset()
			appendTasksJSON(&buf, tasks)
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		for b.Loop() {
			if _, err := json.Marshal(tasks); err != nil {
				b.Fatal(err)
			}
		}
	})
}
