package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/agoraproject/agora/master"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	masterpb "github.com/agoraproject/agora/proto/mesos/v1/master"
	"github.com/agoraproject/agora/proto/mesos/v1/scheduler"
	"github.com/agoraproject/agora/proto/mesosjson"
)

// smallStreams makes streamed reads encode one item per chunk, two chunks
// ahead at most, so that a few tasks make many chunks.
func smallStreams(t *testing.T) {
	chunk, window := streamChunk, streamWindow
	streamChunk, streamWindow = 1, 2
	t.Cleanup(func() { streamChunk, streamWindow = chunk, window })
}

// A cold JSON read streams the encodings it misses (statebody_stream.go):
// the bytes are those of the whole document, the response has no length,
// and the encodings kept afterwards serve the next read without encoding.
func TestStreamedColdReadsMatchReference(t *testing.T) {
	smallStreams(t)
	om := startOperatorMaster(t, nil)
	ag := registerAgentWithWorkDir(t, om.srv.URL, "cpus:8;mem:4096;ports:[31000-32000]", "/var/lib/agora")
	fw := subscribeFramework(t, om.srv.URL, webFramework("reader"))
	launchTasks(fw, ag, [2]string{"t1", "exec-1"}, [2]string{"t2"}, [2]string{"t3"}, [2]string{"t4"}, [2]string{"t5"})
	ag.update(fw.id, "t2", mesos.TaskState_TASK_FINISHED, bytes.Repeat([]byte{2}, 16))
	fw.next(scheduler.Event_UPDATE)
	// A second framework of command tasks: a cold /master/state read is
	// written framework by framework as it is assembled.
	fw2 := subscribeFramework(t, om.srv.URL, webFramework("second"))
	ag2 := registerAgentWithWorkDir(t, om.srv.URL, "cpus:8;mem:4096", "/srv/agora")
	launchTasksOn(fw2, []*fakeAgent{ag, ag2}, [2]string{"u1"}, [2]string{"u2"}, [2]string{"u3"})

	ref := func(s *master.State) (state, getState []byte) {
		state, _ = json.Marshal(refRenderState(s))
		getState, _ = mesosjson.Marshal(&masterpb.Response{Type: masterpb.Response_GET_STATE.Enum(), GetState: master.OperatorState(s)})
		return state, getState
	}
	for _, tc := range []struct {
		name   string
		kind   string
		encode func(*stateCaches) func(*master.State) (*body, error)
		want   func(s *master.State) []byte
	}{
		{"/master/state", "state tasks", func(c *stateCaches) func(*master.State) (*body, error) { return c.masterState },
			func(s *master.State) []byte { b, _ := ref(s); return b }},
		{"GET_STATE json", "json tasks", func(c *stateCaches) func(*master.State) (*body, error) { return c.getStateJSON },
			func(s *master.State) []byte { _, b := ref(s); return b }},
	} {
		c := newStateCaches(DefaultStateCacheTTL)
		c.parallelFrom, c.streamFrom = 1, 1
		// The read after the cold one comes while the warm-up may still
		// run: it takes the encodings from there, or finds them kept.
		for _, step := range []string{"cold", "during warm-up", "warm"} {
			s, err := om.m.State(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			c.stats.reset()
			b, err := tc.encode(c)(s)
			if err != nil {
				t.Fatal(err)
			}
			if b.streamed() != (step == "cold") {
				t.Errorf("%s: %s read streamed: %v", tc.name, step, b.streamed())
			}
			rec := httptest.NewRecorder()
			b.serve(rec, "application/json")
			if got, want := rec.Body.Bytes(), tc.want(s); !bytes.Equal(got, want) {
				t.Errorf("%s: %s read differs from the whole document's encoding:\n got %s\nwant %s", tc.name, step, got, want)
			}
			if cl := rec.Header().Get("Content-Length"); (cl == "") != (step == "cold") {
				t.Errorf("%s: %s read has Content-Length %q", tc.name, step, cl)
			}
			if step == "cold" {
				continue
			}
			c.warmer.wait()
			if n := c.stats.count(tc.kind); step == "warm" && n != 0 {
				t.Errorf("%s: the read after the warm-up encoded %d tasks", tc.name, n)
			}
		}
	}
}

// failingWriter is a client that goes away after left bytes.
type failingWriter struct {
	left   int
	header http.Header
}

func (w *failingWriter) Header() http.Header { return w.header }
func (w *failingWriter) WriteHeader(int)     {}

var errGone = errors.New("client gone")

func (w *failingWriter) Write(p []byte) (int, error) {
	if len(p) > w.left {
		return 0, errGone
	}
	w.left -= len(p)
	return len(p), nil
}

// A client that goes away stops a streamed read: the write fails, the
// workers stop, and nothing is kept in the background.
func TestStreamedReadStopsWithItsClient(t *testing.T) {
	smallStreams(t)
	om := startOperatorMaster(t, nil)
	ag := registerAgentWithWorkDir(t, om.srv.URL, "cpus:8;mem:4096;ports:[31000-32000]", "/var/lib/agora")
	fw := subscribeFramework(t, om.srv.URL, webFramework("reader"))
	launchTasks(fw, ag, [2]string{"t1"}, [2]string{"t2"}, [2]string{"t3"}, [2]string{"t4"}, [2]string{"t5"}, [2]string{"t6"})
	c := newStateCaches(DefaultStateCacheTTL)
	c.parallelFrom, c.streamFrom = 1, 1
	s, err := om.m.State(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.masterState(s)
	if err != nil || !b.streamed() {
		t.Fatalf("not streamed (%v)", err)
	}
	size := responseBuffer
	responseBuffer = 16
	t.Cleanup(func() { responseBuffer = size })
	if err := b.writeTo(&failingWriter{left: 600}); !errors.Is(err, errGone) {
		t.Fatalf("write: %v, want the client's error", err)
	}
	b, _ = c.masterState(s)
	b.serve(&failingWriter{left: 600, header: http.Header{}}, "application/json")
	c.warmer.wait()
	if c.warmer.warmed != 0 {
		t.Errorf("a failed read kept %d encodings", c.warmer.warmed)
	}
}

// Workers sharing an encoding job (a warm-up and the reads that join it)
// encode each missing item once between them, and together all of them.
func TestEncodeJobSharedByWorkers(t *testing.T) {
	chunk := encodeJobChunk
	encodeJobChunk = 1
	t.Cleanup(func() { encodeJobChunk = chunk })
	om := startOperatorMaster(t, nil)
	ag := registerAgentWithWorkDir(t, om.srv.URL, "cpus:8;mem:4096;ports:[31000-32000]", "/var/lib/agora")
	fw := subscribeFramework(t, om.srv.URL, webFramework("reader"))
	launchTasks(fw, ag, [2]string{"t1"}, [2]string{"t2"}, [2]string{"t3"}, [2]string{"t4"}, [2]string{"t5"}, [2]string{"t6"})
	s, err := om.m.State(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	objects, commands := stateFills(agentWorkDirs(s))
	fills := []*taskFill{objects, commands}
	missing, count := missingTasks(s, fills)
	if count != 12 {
		t.Fatalf("%d encodings missing of 6 command tasks, want 12", count)
	}
	job := &encodeJob{missing: missing, fills: fills}
	counts := make(chan []int, 3)
	for range 3 {
		go func() { counts <- job.work() }()
	}
	total := 0
	for range 3 {
		for _, n := range <-counts {
			total += n
		}
	}
	if total != count {
		t.Errorf("the workers kept %d encodings between them, want %d", total, count)
	}
	if _, left := missingTasks(s, fills); left != 0 {
		t.Errorf("%d encodings still missing", left)
	}
}

// An assembly that fails part way fails the response: the writer returns
// the failure, and serving panics for the HTTP server to cut the response
// short, rather than ending it as if it were whole.
func TestFedReadFailsWithItsAssembly(t *testing.T) {
	b := &body{lazy: newDeferred(4), feed: newFeed()}
	b.add([]byte(`{"frameworks":[`))
	b.feed.publish(b, false)
	go b.feed.fail("boom")
	var got bytes.Buffer
	if err := b.writeTo(&got); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("write: %v, want the assembly's failure", err)
	}
	defer func() {
		if p := recover(); p == nil || !strings.Contains(fmt.Sprint(p), "boom") {
			t.Errorf("serve recovered %v, want a panic naming the failure", p)
		}
	}()
	b.serve(httptest.NewRecorder(), "application/json")
}
