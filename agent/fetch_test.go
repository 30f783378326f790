package agent

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/proto/agora/agentpb"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// appArchive is a .tar.gz holding an executable script.
func appArchive(t *testing.T, script string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, h := range []*tar.Header{
		{Name: "app/", Typeflag: tar.TypeDir, Mode: 0o755},
		{Name: "app/hello.sh", Typeflag: tar.TypeReg, Mode: 0o755, Size: int64(len(script))},
	} {
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tw.Write([]byte(script)); err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(tw.Close(), zw.Close()); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func withURIs(ti *mesos.TaskInfo, uris ...string) *mesos.TaskInfo {
	for _, u := range uris {
		ti.Command.Uris = append(ti.Command.Uris, &mesos.CommandInfo_URI{Value: proto.String(u)})
	}
	return ti
}

// TestTaskFetchesItsURIs runs a task whose command is a script from a
// .tar.gz served over HTTP, and a task whose URI is missing.
func TestTaskFetchesItsURIs(t *testing.T) {
	tgz := appArchive(t, "#!/bin/sh\necho \"hello from the archive in $MESOS_TASK_ID\"\n")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/app.tar.gz" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(tgz)
	}))
	defer srv.Close()
	m := newFakeMaster(t)
	cfg := testConfig(t, m)
	startAgent(t, cfg)
	s := m.subscribe("M-F0", 30)
	fw := frameworkInfo("fw")
	seen := map[string]bool{}

	app := withURIs(shellTask("app", "./app/hello.sh"), srv.URL+"/app.tar.gz?v=1")
	app.Command.Uris[0].Cache = proto.Bool(true)
	s.events <- runTask(fw, app)
	m.expectUpdate(s, "fw", "app", mesos.TaskState_TASK_STARTING, seen)
	m.expectUpdate(s, "fw", "app", mesos.TaskState_TASK_RUNNING, seen)
	st := m.expectUpdate(s, "fw", "app", mesos.TaskState_TASK_FINISHED, seen)
	if st.GetMessage() != "Command exited with status 0" {
		t.Errorf("FINISHED message %q", st.GetMessage())
	}
	sandbox := filepath.Join(cfg.WorkDir, "slaves", "M-F0", "frameworks", "fw", "executors", "app", "runs", "latest")
	if b, err := os.ReadFile(filepath.Join(sandbox, "stdout")); err != nil || string(b) != "hello from the archive in app\n" {
		t.Errorf("stdout %q, %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(sandbox, "app.tar.gz")); err != nil {
		t.Errorf("the archive is not kept: %v", err)
	}

	if names, err := os.ReadDir(filepath.Join(cfg.WorkDir, DefaultFetcherCacheDir)); err != nil || len(names) != 1 {
		t.Errorf("fetcher cache: %v %v", names, err)
	}

	missing := srv.URL + "/missing.tgz"
	s.events <- runTask(fw, withURIs(shellTask("broken", "true"), missing))
	st = m.expectUpdate(s, "fw", "broken", mesos.TaskState_TASK_FAILED, seen)
	if st.GetSource() != mesos.TaskStatus_SOURCE_AGENT || st.GetReason() != mesos.TaskStatus_REASON_CONTAINER_LAUNCH_FAILED ||
		st.GetMessage() != "Failed to launch container: fetching "+missing+": HTTP 404 Not Found" {
		t.Errorf("failed fetch: %v", st)
	}
}

// TestKillDuringFetch checks that a download that hangs neither blocks
// other tasks nor a KILL, which cancels it: TASK_KILLED, never STARTING.
func TestKillDuringFetch(t *testing.T) {
	requested := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requested <- struct{}{}
		<-r.Context().Done() // hangs until the agent gives up
	}))
	defer srv.Close()
	m := newFakeMaster(t)
	startAgent(t, testConfig(t, m))
	s := m.subscribe("M-F1", 30)
	fw := frameworkInfo("fw")
	seen := map[string]bool{}

	s.events <- runTask(fw, withURIs(shellTask("slow", "true"), srv.URL+"/huge.tgz"))
	<-requested
	s.events <- runTask(fw, shellTask("quick", "true"))
	m.expectUpdate(s, "fw", "quick", mesos.TaskState_TASK_STARTING, seen)
	m.expectUpdate(s, "fw", "quick", mesos.TaskState_TASK_RUNNING, seen)
	m.expectUpdate(s, "fw", "quick", mesos.TaskState_TASK_FINISHED, seen)

	s.events <- killTask("fw", "slow", -1)
	st := m.expectUpdate(s, "fw", "slow", mesos.TaskState_TASK_KILLED, seen)
	if st.GetReason() != mesos.TaskStatus_REASON_TASK_KILLED_DURING_LAUNCH || st.GetSource() != mesos.TaskStatus_SOURCE_AGENT {
		t.Errorf("KILLED during fetch: %v", st)
	}
}

// TestTaskGroupFetchesPerTask checks that each task of a group gets its
// URIs in its own sandbox, and that a failed fetch fails the whole group
// before any of it starts.
func TestTaskGroupFetchesPerTask(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/missing" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte(strings.TrimPrefix(r.URL.Path, "/")))
	}))
	defer srv.Close()
	m := newFakeMaster(t)
	startAgent(t, testConfig(t, m))
	s := m.subscribe("M-F2", 30)
	fw := frameworkInfo("fw")
	seen := map[string]bool{}
	group := func(eid string, tasks ...*mesos.TaskInfo) *agentpb.Event {
		return &agentpb.Event{Type: agentpb.Event_RUN_TASK_GROUP.Enum(), RunTaskGroup: &agentpb.Event_RunTaskGroup{
			Framework: fw,
			Executor: &mesos.ExecutorInfo{Type: mesos.ExecutorInfo_DEFAULT.Enum(),
				ExecutorId: &mesos.ExecutorID{Value: proto.String(eid)}, FrameworkId: fw.Id},
			TaskGroup: &mesos.TaskGroupInfo{Tasks: tasks},
		}}
	}
	s.events <- group("pod",
		withURIs(shellTask("a", `test "$(cat one)" = one && test ! -e two`), srv.URL+"/one"),
		withURIs(shellTask("b", `test "$(cat two)" = two && test ! -e one`), srv.URL+"/two"))
	for _, id := range []string{"a", "b"} {
		m.expectUpdate(s, "fw", id, mesos.TaskState_TASK_STARTING, seen)
		m.expectUpdate(s, "fw", id, mesos.TaskState_TASK_RUNNING, seen)
	}
	for _, id := range []string{"a", "b"} {
		m.expectUpdate(s, "fw", id, mesos.TaskState_TASK_FINISHED, seen)
	}

	s.events <- group("pod2", shellTask("c", "sleep 30"), withURIs(shellTask("d", "true"), srv.URL+"/missing"))
	st := m.expectUpdate(s, "fw", "c", mesos.TaskState_TASK_FAILED, seen)
	if !strings.Contains(st.GetMessage(), "another task of the group failed to launch: fetching "+srv.URL+"/missing: HTTP 404") {
		t.Errorf("group member: %v", st)
	}
	st = m.expectUpdate(s, "fw", "d", mesos.TaskState_TASK_FAILED, seen)
	if st.GetReason() != mesos.TaskStatus_REASON_CONTAINER_LAUNCH_FAILED || !strings.Contains(st.GetMessage(), srv.URL+"/missing") {
		t.Errorf("failing task: %v", st)
	}
}

func TestFetcherConfigValidated(t *testing.T) {
	for _, cfg := range []Config{
		{Master: "m:5050", FetcherCacheSize: -1},
		{Master: "m:5050", FetcherStallTimeout: -1},
	} {
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "agent: fetcher: negative") {
			t.Errorf("Validate(%+v) = %v", cfg, err)
		}
	}
}

// TestKillDuringGroupFetch checks that killing one task of a group while
// the group's URIs download kills the whole group, as the default executor
// would once it ran.
func TestKillDuringGroupFetch(t *testing.T) {
	requested := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requested <- struct{}{}
		<-r.Context().Done()
	}))
	defer srv.Close()
	m := newFakeMaster(t)
	startAgent(t, testConfig(t, m))
	s := m.subscribe("M-F3", 30)
	fw := frameworkInfo("fw")
	s.events <- &agentpb.Event{Type: agentpb.Event_RUN_TASK_GROUP.Enum(), RunTaskGroup: &agentpb.Event_RunTaskGroup{
		Framework: fw,
		Executor: &mesos.ExecutorInfo{Type: mesos.ExecutorInfo_DEFAULT.Enum(),
			ExecutorId: &mesos.ExecutorID{Value: proto.String("pod")}, FrameworkId: fw.Id},
		TaskGroup: &mesos.TaskGroupInfo{Tasks: []*mesos.TaskInfo{
			shellTask("web", "sleep 30"), withURIs(shellTask("sidecar", "true"), srv.URL+"/big.tgz"),
		}},
	}}
	<-requested
	s.events <- killTask("fw", "sidecar", -1)
	seen := map[string]bool{}
	for _, id := range []string{"web", "sidecar"} {
		st := m.expectUpdate(s, "fw", id, mesos.TaskState_TASK_KILLED, seen)
		if st.GetReason() != mesos.TaskStatus_REASON_TASK_KILLED_DURING_LAUNCH {
			t.Errorf("%s: %v", id, st)
		}
	}
}
