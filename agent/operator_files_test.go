package agent

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/proto/codec"
	agentapi "github.com/agoraproject/agora/proto/mesos/v1/agent"
)

// TestOperatorFilesAndMetrics lists and reads a sandbox through /api/v1
// in both encodings, as /files/browse and /files/read would.
func TestOperatorFilesAndMetrics(t *testing.T) {
	m := newFakeMaster(t)
	cfg := testConfig(t, m)
	a := startAgent(t, cfg)
	m.subscribe("M-S0", 30)
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()
	run := filepath.Join(cfg.WorkDir, "slaves", "M-S0", "frameworks", "fw", "executors", "t1", "runs", "r1")
	if err := os.MkdirAll(run, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(run, "stdout"), []byte("hello sandbox\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []codec.Codec{codec.JSON, codec.Protobuf} {
		call := func(in *agentapi.Call) (int, *agentapi.Response, string) {
			body, _ := c.Marshal(in)
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v1", bytes.NewReader(body))
			req.Header.Set("Content-Type", c.MediaType())
			req.Header.Set("Accept", c.MediaType())
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != 200 {
				return resp.StatusCode, nil, string(b)
			}
			out := &agentapi.Response{}
			if err := c.Unmarshal(b, out); err != nil {
				t.Fatalf("%s: %v", c.MediaType(), err)
			}
			return 200, out, ""
		}
		_, list, _ := call(&agentapi.Call{Type: agentapi.Call_LIST_FILES.Enum(), ListFiles: &agentapi.Call_ListFiles{Path: proto.String(run)}})
		fi := list.GetListFiles().GetFileInfos()
		if len(fi) != 1 || fi[0].GetPath() != filepath.Join(run, "stdout") || fi[0].GetSize() != 14 || fi[0].GetMode()&0o777 != 0o644 {
			t.Errorf("%s LIST_FILES = %v", c.MediaType(), fi)
		}
		_, read, _ := call(&agentapi.Call{Type: agentapi.Call_READ_FILE.Enum(), ReadFile: &agentapi.Call_ReadFile{
			Path: proto.String(filepath.Join(run, "stdout")), Offset: proto.Uint64(6), Length: proto.Uint64(7)}})
		if rf := read.GetReadFile(); string(rf.GetData()) != "sandbox" || rf.GetSize() != 14 {
			t.Errorf("%s READ_FILE = %v", c.MediaType(), rf)
		}
		if status, _, msg := call(&agentapi.Call{Type: agentapi.Call_READ_FILE.Enum(), ReadFile: &agentapi.Call_ReadFile{
			Path: proto.String("/etc/passwd"), Offset: proto.Uint64(0)}}); status != 404 || !strings.Contains(msg, "sandbox") {
			t.Errorf("%s READ_FILE outside the sandboxes: %d %q", c.MediaType(), status, msg)
		}
		if status, _, _ := call(&agentapi.Call{Type: agentapi.Call_LIST_FILES.Enum()}); status != 400 {
			t.Errorf("%s LIST_FILES without a path: %d", c.MediaType(), status)
		}
		_, metrics, _ := call(&agentapi.Call{Type: agentapi.Call_GET_METRICS.Enum()})
		found := false
		for _, mt := range metrics.GetGetMetrics().GetMetrics() {
			found = found || mt.GetName() == "slave/uptime_secs"
		}
		if !found {
			t.Errorf("%s GET_METRICS = %v", c.MediaType(), metrics)
		}
	}
}
