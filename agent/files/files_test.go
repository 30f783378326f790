package files

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/gorilla/mux"
)

// fixture is a sandboxes root with two sandboxes. The first holds what a
// hostile or careless task could leave in its sandbox: symlinks out of it
// (to /etc, to /etc/passwd, to a sibling sandbox, relative ones climbing
// out), a dangling link and a FIFO.
type fixture struct {
	srv              *httptest.Server
	root, sandbox    string // sandbox is a run directory
	latest, neighbor string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	root := filepath.Join(t.TempDir(), "slaves")
	runs := filepath.Join(root, "A-S0", "frameworks", "F-0000", "executors", "task-1", "runs")
	f := &fixture{
		root: root, sandbox: filepath.Join(runs, "run-1"), latest: filepath.Join(runs, "latest"),
		neighbor: filepath.Join(root, "A-S0", "frameworks", "F-0000", "executors", "task-2", "runs", "run-2"),
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{filepath.Join(f.sandbox, "sub", "dir"), f.neighbor} {
		must(os.MkdirAll(d, 0o755))
	}
	write := func(p, s string) { must(os.WriteFile(p, []byte(s), 0o644)) }
	write(filepath.Join(f.sandbox, "stdout"), "hello world\n")
	write(filepath.Join(f.sandbox, "sub", "dir", "file.txt"), "nested")
	write(filepath.Join(f.sandbox, "big"), strings.Repeat("x", 100<<10))
	write(filepath.Join(f.neighbor, "secret"), "other task's data")
	must(os.Symlink("run-1", f.latest))
	must(os.Symlink("/etc", filepath.Join(f.sandbox, "etc")))
	must(os.Symlink("/etc/passwd", filepath.Join(f.sandbox, "passwd")))
	must(os.Symlink(filepath.Join(f.neighbor, "secret"), filepath.Join(f.sandbox, "neighbor")))
	must(os.Symlink("../../../../../../../../../../../etc/passwd", filepath.Join(f.sandbox, "climb")))
	must(os.Symlink("stdout", filepath.Join(f.sandbox, "alias")))
	must(os.Symlink("sub/dir", filepath.Join(f.sandbox, "dirlink")))
	must(os.Symlink("nowhere", filepath.Join(f.sandbox, "dangling")))
	must(syscall.Mkfifo(filepath.Join(f.sandbox, "fifo"), 0o644))

	s, err := New(root, nil)
	must(err)
	r := mux.NewRouter()
	s.Register(r)
	f.srv = httptest.NewServer(r)
	t.Cleanup(f.srv.Close)
	return f
}

// get requests endpoint with the given query (path, offset, length as
// name=value pairs) and returns the status and body.
func (f *fixture) get(t *testing.T, endpoint string, params ...string) (int, http.Header, []byte) {
	t.Helper()
	q := url.Values{}
	for i := 0; i+1 < len(params); i += 2 {
		q.Set(params[i], params[i+1])
	}
	resp, err := http.Get(f.srv.URL + endpoint + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

// refusals apply to every endpoint alike.
func refusalCases(f *fixture) []struct {
	name, path string
	code       int
	msg        string
} {
	return []struct {
		name, path string
		code       int
		msg        string
	}{
		{"no path", "", 400, "Expecting 'path=value'"},
		{"relative", "etc/passwd", 404, "absolute"},
		{"foreign absolute", "/etc/passwd", 404, "not inside a sandbox"},
		{"sandboxes root", f.root, 404, "not inside a sandbox"},
		{"above a sandbox", filepath.Join(f.root, "A-S0", "frameworks"), 404, "not inside a sandbox"},
		{"wrong layout", filepath.Join(f.root, "A-S0", "x", "F", "executors", "e", "runs", "r"), 404, "not inside a sandbox"},
		{"dotdot out", f.sandbox + "/../../../../../../../../../etc/passwd", 403, "'..'"},
		{"dotdot sideways", f.sandbox + "/../../../task-2/runs/run-2/secret", 403, "'..'"},
		{"dotdot inside", f.sandbox + "/sub/../stdout", 403, "'..'"},
		{"symlink to /etc/passwd", f.sandbox + "/passwd", 403, "outside its sandbox"},
		{"through symlinked /etc", f.sandbox + "/etc/passwd", 403, "outside its sandbox"},
		{"through latest and symlink", f.latest + "/etc/passwd", 403, "outside its sandbox"},
		{"symlink to another sandbox", f.sandbox + "/neighbor", 403, "outside its sandbox"},
		{"relative symlink climbing out", f.sandbox + "/climb", 403, "outside its sandbox"},
		{"missing", f.sandbox + "/nope", 404, "No such file"},
		{"missing sandbox", filepath.Join(filepath.Dir(f.sandbox), "run-9"), 404, "No such file"},
		{"dangling symlink", f.sandbox + "/dangling", 404, "No such file"},
	}
}

func TestRefusals(t *testing.T) {
	f := newFixture(t)
	for _, endpoint := range []string{"/files/browse", "/files/read", "/files/download"} {
		for _, c := range refusalCases(f) {
			t.Run(endpoint+"/"+c.name, func(t *testing.T) {
				code, _, body := f.get(t, endpoint, "path", c.path)
				if code != c.code || !strings.Contains(string(body), c.msg) {
					t.Fatalf("%s %q: %d %q, want %d mentioning %q", endpoint, c.path, code, body, c.code, c.msg)
				}
				if strings.Contains(string(body), "root:") {
					t.Fatalf("leaked /etc/passwd: %q", body)
				}
			})
		}
	}
}

func TestBrowse(t *testing.T) {
	f := newFixture(t)
	list := func(p string) map[string]fileJSON {
		t.Helper()
		code, h, body := f.get(t, "/files/browse", "path", p)
		if code != 200 || h.Get("Content-Type") != "application/json" {
			t.Fatalf("browse %s: %d %s", p, code, body)
		}
		var entries []fileJSON
		if err := json.Unmarshal(body, &entries); err != nil {
			t.Fatal(err)
		}
		out := map[string]fileJSON{}
		for i, e := range entries {
			if i > 0 && entries[i-1].Path >= e.Path {
				t.Errorf("listing not sorted by path: %q before %q", entries[i-1].Path, e.Path)
			}
			out[filepath.Base(e.Path)] = e
		}
		return out
	}
	got := list(f.sandbox)
	out := got["stdout"]
	if out.Path != f.sandbox+"/stdout" || out.Size != 12 || out.Mode != "-rw-r--r--" || out.Nlink != 1 || out.Mtime == 0 {
		t.Errorf("stdout entry %+v", out)
	}
	if os.Geteuid() == 0 && (out.UID != "root" || out.GID != "root") {
		t.Errorf("owner %q:%q, want root:root", out.UID, out.GID)
	}
	if sub := got["sub"]; sub.Mode != "drwxr-xr-x" {
		t.Errorf("sub entry %+v", sub)
	}
	if a := got["alias"]; a.Mode != "-rw-r--r--" || a.Size != 12 {
		t.Errorf("a symlink inside the sandbox is described as its target: %+v", a)
	}
	// Links out of the sandbox are listed as links, telling nothing about
	// their targets.
	for _, name := range []string{"etc", "passwd", "neighbor", "climb", "dangling"} {
		if e, ok := got[name]; !ok || e.Mode[0] != 'l' {
			t.Errorf("%s entry %+v, want a link", name, e)
		}
	}
	if e := got["fifo"]; e.Mode != "prw-r--r--" {
		t.Errorf("fifo entry %+v", e)
	}

	// The latest alias lists the same run under its own name.
	if e := list(f.latest + "/")["stdout"]; e.Path != f.latest+"/stdout" {
		t.Errorf("latest listing path %q", e.Path)
	}
	if e := list(f.sandbox + "//sub/./dir")["file.txt"]; e.Path != f.sandbox+"/sub/dir/file.txt" || e.Size != 6 {
		t.Errorf("nested listing %+v", e)
	}
	if e := list(f.sandbox + "/dirlink")["file.txt"]; e.Size != 6 {
		t.Errorf("listing through an inner symlink %+v", e)
	}
	// Browsing a file describes it.
	if got := list(f.sandbox + "/stdout"); len(got) != 1 || got["stdout"].Size != 12 {
		t.Errorf("browse of a file: %+v", got)
	}
}

func TestRead(t *testing.T) {
	f := newFixture(t)
	stdout := f.sandbox + "/stdout"
	cases := []struct {
		name   string
		params []string
		code   int
		data   string // or, for errors, a part of the message
		offset int64
	}{
		{"from the start", []string{"path", stdout, "offset", "0"}, 200, "hello world\n", 0},
		{"no offset is the size", []string{"path", stdout}, 200, "", 12},
		{"offset -1 is the size", []string{"path", stdout, "offset", "-1", "length", "100"}, 200, "", 12},
		{"window", []string{"path", stdout, "offset", "6", "length", "5"}, 200, "world", 6},
		{"to the end", []string{"path", stdout, "offset", "6"}, 200, "world\n", 6},
		{"length -1 to the end", []string{"path", stdout, "offset", "6", "length", "-1"}, 200, "world\n", 6},
		{"past the end", []string{"path", stdout, "offset", "100"}, 200, "", 12},
		{"at the end", []string{"path", stdout, "offset", "12", "length", "5"}, 200, "", 12},
		{"zero length", []string{"path", stdout, "offset", "2", "length", "0"}, 200, "", 2},
		{"through latest", []string{"path", f.latest + "/stdout", "offset", "0", "length", "5"}, 200, "hello", 0},
		{"symlink inside", []string{"path", f.sandbox + "/alias", "offset", "0"}, 200, "hello world\n", 0},
		{"nested", []string{"path", f.sandbox + "/sub/dir/file.txt", "offset", "0"}, 200, "nested", 0},
		{"bad offset", []string{"path", stdout, "offset", "abc"}, 400, "offset", 0},
		{"empty offset", []string{"path", stdout, "offset", ""}, 400, "offset", 0},
		{"bad length", []string{"path", stdout, "offset", "0", "length", "1.5"}, 400, "length", 0},
		{"negative offset", []string{"path", stdout, "offset", "-2"}, 400, "offset", 0},
		{"negative length", []string{"path", stdout, "offset", "0", "length", "-7"}, 400, "length", 0},
		{"directory", []string{"path", f.sandbox + "/sub"}, 400, "directory", 0},
		{"sandbox", []string{"path", f.latest}, 400, "directory", 0},
		{"fifo", []string{"path", f.sandbox + "/fifo", "offset", "0"}, 400, "special file", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, body := f.get(t, "/files/read", c.params...)
			if code != c.code {
				t.Fatalf("%d %q, want %d", code, body, c.code)
			}
			if code != 200 {
				if !strings.Contains(string(body), c.data) {
					t.Fatalf("message %q should name %q", body, c.data)
				}
				return
			}
			var got struct {
				Data   string `json:"data"`
				Offset int64  `json:"offset"`
			}
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatal(err)
			}
			if got.Data != c.data || got.Offset != c.offset {
				t.Fatalf("got %q at %d, want %q at %d", got.Data, got.Offset, c.data, c.offset)
			}
		})
	}

	// A read returns at most 64 KiB, however much is asked for.
	for _, length := range []string{"-1", "1000000"} {
		_, _, body := f.get(t, "/files/read", "path", f.sandbox+"/big", "offset", "10", "length", length)
		var got struct{ Data string }
		_ = json.Unmarshal(body, &got)
		if len(got.Data) != MaxReadLength {
			t.Errorf("length %s: read %d bytes, want %d", length, len(got.Data), MaxReadLength)
		}
	}
}

func TestDownload(t *testing.T) {
	f := newFixture(t)
	code, h, body := f.get(t, "/files/download", "path", f.latest+"/stdout")
	if code != 200 || string(body) != "hello world\n" {
		t.Fatalf("download: %d %q", code, body)
	}
	if cd := h.Get("Content-Disposition"); cd != "attachment; filename=stdout" {
		t.Errorf("Content-Disposition %q", cd)
	}
	if ct := h.Get("Content-Type"); ct != "application/octet-stream" {
		t.Errorf("Content-Type %q", ct)
	}
	if _, h, _ := f.get(t, "/files/download.json", "path", f.sandbox+"/sub/dir/file.txt"); !strings.HasPrefix(h.Get("Content-Type"), "text/plain") {
		t.Errorf("Content-Type by extension %q", h.Get("Content-Type"))
	}
	for _, p := range []string{f.sandbox + "/sub", f.sandbox + "/fifo"} {
		if code, _, body := f.get(t, "/files/download", "path", p); code != 400 {
			t.Errorf("download %s: %d %q, want 400", p, code, body)
		}
	}
}

func TestDebugListsSandboxes(t *testing.T) {
	f := newFixture(t)
	code, _, body := f.get(t, "/files/debug")
	var got map[string]string
	if err := json.Unmarshal(body, &got); code != 200 || err != nil {
		t.Fatalf("debug: %d %s", code, body)
	}
	want := map[string]string{f.sandbox: f.sandbox, f.latest: f.sandbox, f.neighbor: f.neighbor}
	for k, v := range want {
		if got[k] != evalOrSame(v) {
			t.Errorf("debug[%s] = %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
	if len(got) != len(want) {
		t.Errorf("debug lists %v", got)
	}
}

func evalOrSame(p string) string {
	if r, err := filepath.EvalSymlinks(p); err == nil {
		return r
	}
	return p
}

// TestSwapAfterResolve plays a task that replaces a file with a symlink
// out of the sandbox between the check and the open: os.Root refuses it.
func TestSwapAfterResolve(t *testing.T) {
	f := newFixture(t)
	victim := filepath.Join(f.sandbox, "victim")
	if err := os.WriteFile(victim, []byte("ok"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, _ := New(f.root, nil)
	tg, herr := s.resolve(victim)
	if herr != nil {
		t.Fatal(herr)
	}
	defer tg.root.Close()
	if err := os.Remove(victim); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/passwd", victim); err != nil {
		t.Fatal(err)
	}
	if file, _, herr := openRegular(tg, "read"); herr == nil || herr.code != http.StatusForbidden {
		if file != nil {
			file.Close()
		}
		t.Fatalf("open after the swap: %v, want 403", herr)
	}
}
