package agent

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"
	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/agent/files"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	agentapi "github.com/agoraproject/agora/proto/mesos/v1/agent"
)

// The operator API's LIST_FILES and READ_FILE are answered by the same
// code as /files/browse and /files/read (agent/files), called in process,
// so paths, sandbox confinement and errors are the same on both. READ_FILE
// reads at most files.MaxReadLength bytes, as /files/read does; its data
// passes through that endpoint's JSON, so bytes that are not UTF-8 come
// back replaced (U+FFFD).

// filesError is a refusal with its HTTP status.
type filesError struct {
	status int
	msg    string
}

func (e *filesError) Error() string { return e.msg }

// filesCall runs one /files request and decodes its JSON answer into out.
func (a *Agent) filesCall(endpoint string, q url.Values, out any) error {
	fs, err := files.New(filepath.Join(a.cfg.WorkDir, "slaves"), a.log)
	if err != nil {
		return &filesError{http.StatusInternalServerError, "files are not served: " + err.Error()}
	}
	r := mux.NewRouter()
	fs.Register(r)
	w := httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/files/"+endpoint+"?"+q.Encode(), nil))
	if w.Code != http.StatusOK {
		return &filesError{w.Code, strings.TrimSpace(w.Body.String())}
	}
	if err := json.Unmarshal(w.Body.Bytes(), out); err != nil {
		return &filesError{http.StatusInternalServerError, "decoding /files/" + endpoint + ": " + err.Error()}
	}
	return nil
}

type filesEntry struct {
	Path  string `json:"path"`
	Nlink int32  `json:"nlink"`
	Size  uint64 `json:"size"`
	Mtime int64  `json:"mtime"`
	Mode  string `json:"mode"`
	UID   string `json:"uid"`
	GID   string `json:"gid"`
}

func (a *Agent) listFiles(c *agentapi.Call_ListFiles) (*agentapi.Response_ListFiles, error) {
	if c.GetPath() == "" {
		return nil, &filesError{http.StatusBadRequest, "Expecting 'list_files.path' to be present"}
	}
	var entries []filesEntry
	if err := a.filesCall("browse", url.Values{"path": {c.GetPath()}}, &entries); err != nil {
		return nil, err
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Path < entries[j].Path })
	out := &agentapi.Response_ListFiles{}
	for _, e := range entries {
		out.FileInfos = append(out.FileInfos, &mesos.FileInfo{
			Path: proto.String(e.Path), Nlink: proto.Int32(e.Nlink), Size: proto.Uint64(e.Size),
			Mtime: &mesos.TimeInfo{Nanoseconds: proto.Int64(e.Mtime * int64(time.Second))},
			Mode:  proto.Uint32(modeBits(e.Mode)), Uid: proto.String(e.UID), Gid: proto.String(e.GID),
		})
	}
	return out, nil
}

func (a *Agent) readFile(c *agentapi.Call_ReadFile) (*agentapi.Response_ReadFile, error) {
	if c.GetPath() == "" || c.Offset == nil {
		return nil, &filesError{http.StatusBadRequest, "Expecting 'read_file.path' and 'read_file.offset' to be present"}
	}
	var info []filesEntry
	if err := a.filesCall("browse", url.Values{"path": {c.GetPath()}}, &info); err != nil {
		return nil, err
	}
	if len(info) != 1 || info[0].Mode == "" || info[0].Mode[0] == 'd' {
		return nil, &filesError{http.StatusBadRequest, "'" + c.GetPath() + "' is a directory"}
	}
	q := url.Values{"path": {c.GetPath()}, "offset": {strconv.FormatUint(min(c.GetOffset(), 1<<62), 10)}}
	if c.Length != nil {
		q.Set("length", strconv.FormatUint(min(c.GetLength(), 1<<62), 10))
	}
	var read struct {
		Data string `json:"data"`
	}
	if err := a.filesCall("read", q, &read); err != nil {
		return nil, err
	}
	return &agentapi.Response_ReadFile{Size: proto.Uint64(info[0].Size), Data: []byte(read.Data)}, nil
}

// modeBits turns an ls-style mode ("-rw-r--r--") back into permission and
// type bits as Mesos's FileInfo.mode carries them.
func modeBits(s string) uint32 {
	if len(s) != 10 {
		return 0
	}
	var m uint32
	switch s[0] {
	case 'd':
		m = 0o040000
	case 'l':
		m = 0o120000
	default:
		m = 0o100000
	}
	for i, c := range s[1:] {
		if c != '-' {
			m |= 1 << (8 - i)
		}
	}
	return m
}

// operatorMetrics answers GET_METRICS from the published snapshot.
func (a *Agent) operatorMetrics(ctx context.Context) *agentapi.Response_GetMetrics {
	values, _ := a.metrics(ctx)
	names := make([]string, 0, len(values))
	for n := range values {
		names = append(names, n)
	}
	sort.Strings(names)
	out := &agentapi.Response_GetMetrics{}
	for _, n := range names {
		out.Metrics = append(out.Metrics, &mesos.Metric{Name: proto.String(n), Value: proto.Float64(values[n])})
	}
	return out
}
