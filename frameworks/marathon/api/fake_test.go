package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/agoraproject/agora/frameworks/marathon/app"
	"github.com/agoraproject/agora/frameworks/marathon/state"
)

// fakeBackend is a Backend that serves canned state, records every write
// and answers with canned errors.
type fakeBackend struct {
	mu          sync.Mutex
	apps        map[string]*state.AppStatus
	versions    map[string]map[string]*app.App
	groups      []state.Group
	deployments []state.Deployment
	queue       []state.QueueEntry
	info        state.Info

	deployErr, killErr, cancelErr, delayErr, abdicateErr error

	deploys    []deployCall
	kills      []killCall
	cancels    []cancelCall
	delays     []string
	abdicated  int
	published  []state.Event
	subs       map[int]chan state.Event
	nextSub    int
	nextDeploy int
}

type deployCall struct {
	ch    state.Change
	force bool
}

type killCall struct {
	ids                []string
	scale, wipe, force bool
}

type cancelCall struct {
	id    string
	force bool
}

func newFake() *fakeBackend {
	return &fakeBackend{apps: map[string]*state.AppStatus{}, versions: map[string]map[string]*app.App{},
		subs: map[int]chan state.Event{}}
}

// addApp adds an app (normalized) with the given tasks; counts follow the
// tasks' states.
func (f *fakeBackend) addApp(a *app.App, tasks ...state.Task) *state.AppStatus {
	a.Normalize()
	if a.Version == "" {
		a.Version = "2024-01-01T00:00:00.000Z"
	}
	st := &state.AppStatus{App: a, Tasks: tasks}
	for _, t := range tasks {
		switch t.State {
		case "TASK_RUNNING":
			st.TasksRunning++
		case "TASK_STAGING":
			st.TasksStaged++
		}
	}
	f.apps[a.ID] = st
	if f.versions[a.ID] == nil {
		f.versions[a.ID] = map[string]*app.App{}
	}
	f.versions[a.ID][a.Version] = a.Clone()
	return st
}

func (f *fakeBackend) Apps(withTasks bool) []state.AppStatus {
	f.mu.Lock()
	defer f.mu.Unlock()
	ids := make([]string, 0, len(f.apps))
	for id := range f.apps {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	out := make([]state.AppStatus, 0, len(ids))
	for _, id := range ids {
		st := *f.apps[id]
		if !withTasks {
			st.Tasks = nil
		}
		out = append(out, st)
	}
	return out
}

func (f *fakeBackend) App(id string) (state.AppStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st, ok := f.apps[id]
	if !ok {
		return state.AppStatus{}, &state.NotFoundError{Kind: "App", ID: id}
	}
	return *st, nil
}

func (f *fakeBackend) AppVersions(id string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	vs, ok := f.versions[id]
	if !ok {
		return nil, &state.NotFoundError{Kind: "App", ID: id}
	}
	var out []string
	for v := range vs {
		out = append(out, v)
	}
	sort.Sort(sort.Reverse(sort.StringSlice(out)))
	return out, nil
}

func (f *fakeBackend) AppVersion(id, version string) (*app.App, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	a, ok := f.versions[id][version]
	if !ok {
		return nil, &state.NotFoundError{Kind: "Version", ID: version}
	}
	return a, nil
}

func (f *fakeBackend) Deploy(ctx context.Context, ch state.Change, force bool) (state.Deployment, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.deployErr != nil {
		return state.Deployment{}, f.deployErr
	}
	f.deploys = append(f.deploys, deployCall{ch, force})
	f.nextDeploy++
	return f.deployment(), nil
}

func (f *fakeBackend) deployment() state.Deployment {
	return state.Deployment{ID: fmt.Sprintf("dep-%d", f.nextDeploy), Version: fmt.Sprintf("2024-02-01T00:00:%02d.000Z", f.nextDeploy)}
}

func (f *fakeBackend) lastDeploy(t *testing.T) deployCall {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.deploys) == 0 {
		t.Fatal("no deployment was started")
	}
	return f.deploys[len(f.deploys)-1]
}

func (f *fakeBackend) Tasks() []state.Task {
	var out []state.Task
	for _, st := range f.Apps(true) {
		out = append(out, st.Tasks...)
	}
	return out
}

func (f *fakeBackend) KillTasks(ctx context.Context, ids []string, scale, wipe, force bool) ([]state.Task, *state.Deployment, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.killErr != nil {
		return nil, nil, f.killErr
	}
	f.kills = append(f.kills, killCall{ids, scale, wipe, force})
	var killed []state.Task
	for _, id := range ids {
		found := false
		for _, st := range f.apps {
			for _, t := range st.Tasks {
				if t.ID == id {
					killed = append(killed, t)
					found = true
				}
			}
		}
		if !found {
			return nil, nil, &state.NotFoundError{Kind: "Task", ID: id}
		}
	}
	if scale {
		f.nextDeploy++
		d := f.deployment()
		return killed, &d, nil
	}
	return killed, nil, nil
}

func (f *fakeBackend) Deployments() []state.Deployment {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]state.Deployment(nil), f.deployments...)
}

func (f *fakeBackend) CancelDeployment(ctx context.Context, id string, force bool) (*state.Deployment, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cancelErr != nil {
		return nil, f.cancelErr
	}
	found := false
	for _, d := range f.deployments {
		found = found || d.ID == id
	}
	if !found {
		return nil, &state.NotFoundError{Kind: "Deployment", ID: id}
	}
	f.cancels = append(f.cancels, cancelCall{id, force})
	if force {
		return nil, nil
	}
	f.nextDeploy++
	d := f.deployment()
	return &d, nil
}

func (f *fakeBackend) Queue() []state.QueueEntry { return f.queue }

func (f *fakeBackend) ResetDelay(appID string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.delayErr != nil {
		return f.delayErr
	}
	f.delays = append(f.delays, appID)
	return nil
}

func (f *fakeBackend) Groups() []state.Group { return f.groups }

func (f *fakeBackend) Subscribe(buffer int) (<-chan state.Event, func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := f.nextSub
	f.nextSub++
	ch := make(chan state.Event, buffer)
	f.subs[id] = ch
	return ch, func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		if c, ok := f.subs[id]; ok {
			delete(f.subs, id)
			close(c)
		}
	}
}

// Publish records the event and sends it to every subscriber, dropping
// those that fell behind, as the Backend contract says.
func (f *fakeBackend) Publish(e state.Event) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.published = append(f.published, e)
	for id, ch := range f.subs {
		select {
		case ch <- e:
		default:
			delete(f.subs, id)
			close(ch)
		}
	}
}

func (f *fakeBackend) publishedTypes() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, e := range f.published {
		out = append(out, e.Type)
	}
	return out
}

func (f *fakeBackend) subscribers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.subs)
}

func (f *fakeBackend) Info() state.Info { return f.info }

func (f *fakeBackend) Abdicate() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.abdicated++
	return f.abdicateErr
}

var fixedNow = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

func newTestServer(t testing.TB, f *fakeBackend, cfg Config) *Server {
	t.Helper()
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return fixedNow }
	}
	s, err := NewServer(f, zap.NewNop(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// call sends one request through the handler. headers alternate name,
// value.
func call(t testing.TB, h http.Handler, method, target, body string, headers ...string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Set(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func strp(s string) *string { return &s }

// sampleApp is an app as the core would hold it.
func sampleApp(id, cmd string) *app.App {
	a, err := app.Decode([]byte(fmt.Sprintf(`{"id":%q,"cmd":%q}`, id, cmd)))
	if err != nil {
		panic(err)
	}
	a.Normalize()
	return a
}

func task(appID, uuid, host, st string, ports ...int) state.Task {
	return state.Task{ID: app.TaskID(appID, uuid), AppID: appID, Host: host, SlaveID: "agent-" + host,
		Ports: ports, State: st, Version: "2024-01-01T00:00:00.000Z",
		StagedAt: "2024-03-01T11:59:00.000Z", StartedAt: "2024-03-01T11:59:30.000Z"}
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

type bytesBuffer struct{ bytes.Buffer }
