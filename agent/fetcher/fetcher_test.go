package fetcher

import (
	"archive/tar"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

func TestFetchFromHTTP(t *testing.T) {
	script := "#!/bin/sh\necho hello\n"
	tgz := gzipBytes(t, tarBytes(t,
		member{name: "./", typ: tar.TypeDir},
		member{name: "app/", typ: tar.TypeDir},
		member{name: "app/run.sh", body: script, mode: 0o755},
		member{name: "app/conf", body: "x=1\n", mode: 0o600},
		member{name: "app/current", typ: tar.TypeSymlink, link: "run.sh"},
		member{name: "app/again", typ: tar.TypeLink, link: "app/conf"},
	))
	srv := newFileServer(t, map[string][]byte{
		"/files/notes.txt": []byte("notes"),
		"/bin/tool":        []byte("#!/bin/sh\n"),
		"/app.tar.gz":      tgz,
		"/app.tgz":         tgz,
		"/plain.tar":       tarBytes(t, member{name: "in-tar", body: "t"}),
		"/site.zip": zipBytes(t,
			member{name: "site/", typ: tar.TypeDir},
			member{name: "site/index.html", body: "<p>hi</p>"},
			member{name: "site/start", body: script, mode: 0o755},
			member{name: "site/link", typ: tar.TypeSymlink, link: "index.html"}),
		"/data.json.gz": gzipBytes(t, []byte(`{"a":1}`)),
	})
	for _, tc := range []struct {
		name string
		uris []*mesos.CommandInfo_URI
		want []string          // the sandbox's tree
		mode map[string]uint32 // permission bits of some files
		body map[string]string
	}{
		{
			name: "plain file named after the path, query dropped",
			uris: []*mesos.CommandInfo_URI{uri(srv.URL + "/files/notes.txt?token=abc")},
			want: []string{"notes.txt"},
			mode: map[string]uint32{"notes.txt": 0o644}, body: map[string]string{"notes.txt": "notes"},
		},
		{
			name: "executable",
			uris: []*mesos.CommandInfo_URI{uri(srv.URL+"/bin/tool", executable)},
			want: []string{"tool"}, mode: map[string]uint32{"tool": 0o755},
		},
		{
			name: "executable archives are not extracted",
			uris: []*mesos.CommandInfo_URI{uri(srv.URL+"/app.tgz", executable)},
			want: []string{"app.tgz"}, mode: map[string]uint32{"app.tgz": 0o755},
		},
		{
			name: "output_file with directories",
			uris: []*mesos.CommandInfo_URI{uri(srv.URL+"/files/notes.txt", output("etc/conf/notes"))},
			want: []string{"etc/", "etc/conf/", "etc/conf/notes"}, body: map[string]string{"etc/conf/notes": "notes"},
		},
		{
			name: "tar.gz extracted next to the kept archive",
			uris: []*mesos.CommandInfo_URI{uri(srv.URL + "/app.tar.gz")},
			want: []string{"app.tar.gz", "app/", "app/again", "app/conf", "app/current -> run.sh", "app/run.sh"},
			mode: map[string]uint32{"app/run.sh": 0o755, "app/conf": 0o600},
			body: map[string]string{"app/run.sh": script, "app/again": "x=1\n"},
		},
		{
			name: "tgz under output_file is extracted into the sandbox's top",
			uris: []*mesos.CommandInfo_URI{uri(srv.URL+"/app.tgz", output("dl/a.tgz"))},
			want: []string{"app/", "app/again", "app/conf", "app/current -> run.sh", "app/run.sh", "dl/", "dl/a.tgz"},
		},
		{
			name: "extract false",
			uris: []*mesos.CommandInfo_URI{uri(srv.URL+"/app.tgz", noExtract)},
			want: []string{"app.tgz"},
		},
		{
			name: "tar",
			uris: []*mesos.CommandInfo_URI{uri(srv.URL + "/plain.tar")},
			want: []string{"in-tar", "plain.tar"},
		},
		{
			name: "zip",
			uris: []*mesos.CommandInfo_URI{uri(srv.URL + "/site.zip")},
			want: []string{"site.zip", "site/", "site/index.html", "site/link -> index.html", "site/start"},
			mode: map[string]uint32{"site/start": 0o755}, body: map[string]string{"site/index.html": "<p>hi</p>"},
		},
		{
			name: "bare gz is gunzipped",
			uris: []*mesos.CommandInfo_URI{uri(srv.URL + "/data.json.gz")},
			want: []string{"data.json", "data.json.gz"}, body: map[string]string{"data.json": `{"a":1}`},
		},
		{
			name: "several URIs, leading whitespace trimmed",
			uris: []*mesos.CommandInfo_URI{uri("  " + srv.URL + "/files/notes.txt"), uri(srv.URL+"/bin/tool", executable)},
			want: []string{"notes.txt", "tool"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			outer, sandbox := newSandbox(t)
			f := newFetcher(t, Config{})
			if err := f.Fetch(context.Background(), tc.uris, sandbox, ""); err != nil {
				t.Fatal(err)
			}
			if got := tree(t, sandbox); !slices.Equal(got, tc.want) {
				t.Errorf("sandbox holds %q, want %q", got, tc.want)
			}
			for name, mode := range tc.mode {
				fi, err := os.Stat(filepath.Join(sandbox, name))
				if err != nil || uint32(fi.Mode().Perm()) != mode {
					t.Errorf("%s: mode %v (%v), want %o", name, fi.Mode(), err, mode)
				}
			}
			for name, body := range tc.body {
				if got := readFile(t, filepath.Join(sandbox, name)); got != body {
					t.Errorf("%s holds %q, want %q", name, got, body)
				}
			}
			if got := tree(t, outer); got[0] != "sandbox/" || slices.ContainsFunc(got, func(p string) bool { return !strings.HasPrefix(p, "sandbox/") }) {
				t.Errorf("written outside the sandbox: %q", got)
			}
		})
	}
}

func TestFetchErrors(t *testing.T) {
	srv := newFileServer(t, map[string][]byte{"/a": []byte("a"), "/big": make([]byte, 100), "/bad.tgz": []byte("not gzip")})
	dir := t.TempDir()
	local := filepath.Join(dir, "dir")
	if err := os.Mkdir(local, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		uri   *mesos.CommandInfo_URI
		parts []string
	}{
		{"404", uri(srv.URL + "/missing.tgz"), []string{"fetching " + srv.URL + "/missing.tgz: HTTP 404 Not Found"}},
		{"connection refused", uri("http://127.0.0.1:1/x"), []string{"fetching http://127.0.0.1:1/x: ", "refused"}},
		{"too large", uri(srv.URL + "/big"), []string{"larger than the limit of 50 bytes"}},
		{"corrupt archive", uri(srv.URL + "/bad.tgz"), []string{"fetching " + srv.URL + "/bad.tgz: extracting: bad.tgz: not gzip data"}},
		{"no file name", uri(srv.URL + "/"), []string{"set output_file"}},
		{"output_file climbs", uri(srv.URL+"/a", output("../a")), []string{`destination "../a" escapes the sandbox`}},
		{"output_file absolute", uri(srv.URL+"/a", output("/tmp/a")), []string{`destination "/tmp/a" escapes the sandbox`}},
		{"unsupported scheme", uri("ftp://host/x"), []string{`fetching ftp://host/x: unsupported scheme "ftp"`}},
		{"relative path", uri("x/y"), []string{"relative path"}},
		{"remote file URI", uri("file://other/etc/x"), []string{"only local files"}},
		{"missing local file", uri(filepath.Join(dir, "nope")), []string{"no such file"}},
		{"local directory", uri("file://" + local), []string{"is not a regular file"}},
		{"xz", uri(srv.URL+"/a", output("a.tar.xz")), []string{"xz archives are not supported"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			outer, sandbox := newSandbox(t)
			f := newFetcher(t, Config{MaxSize: 50})
			err := f.Fetch(context.Background(), []*mesos.CommandInfo_URI{tc.uri}, sandbox, "")
			wantErr(t, err, tc.parts...)
			if got := tree(t, outer); slices.ContainsFunc(got, func(p string) bool { return !strings.HasPrefix(p, "sandbox") }) {
				t.Errorf("written outside the sandbox: %q", got)
			}
		})
	}
}

func TestFetchLocalFile(t *testing.T) {
	src := filepath.Join(t.TempDir(), "artifact.txt")
	if err := os.WriteFile(src, []byte("local"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, sandbox := newSandbox(t)
	f := newFetcher(t, Config{})
	uris := []*mesos.CommandInfo_URI{uri(src), uri("file://"+src, output("copy"))}
	if err := f.Fetch(context.Background(), uris, sandbox, ""); err != nil {
		t.Fatal(err)
	}
	if readFile(t, filepath.Join(sandbox, "artifact.txt")) != "local" || readFile(t, filepath.Join(sandbox, "copy")) != "local" {
		t.Errorf("sandbox: %q", tree(t, sandbox))
	}
}

// TestStall checks that a server falling silent, before the headers or in
// the body, fails the fetch after the stall timeout and names the stall.
func TestStall(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/body" {
			w.Header().Set("Content-Length", "1000")
			_, _ = w.Write([]byte("some"))
			w.(http.Flusher).Flush()
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	f := newFetcher(t, Config{StallTimeout: 50 * time.Millisecond})
	for _, path := range []string{"/headers", "/body"} {
		_, sandbox := newSandbox(t)
		err := f.Fetch(context.Background(), []*mesos.CommandInfo_URI{uri(srv.URL + path)}, sandbox, "")
		wantErr(t, err, "fetching "+srv.URL+path+": download stalled: no data for 50ms")
	}
}

// TestCancel checks that cancelling the context (a task killed while it is
// fetched) stops the download at once and says so.
func TestCancel(t *testing.T) {
	started := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-r.Context().Done()
	}))
	defer srv.Close()
	f := newFetcher(t, Config{})
	_, sandbox := newSandbox(t)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-started; cancel() }()
	err := f.Fetch(ctx, []*mesos.CommandInfo_URI{uri(srv.URL + "/slow.tgz")}, sandbox, "")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Fetch = %v, want context.Canceled", err)
	}
	wantErr(t, err, "fetching "+srv.URL+"/slow.tgz: context canceled")
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"2GB": 2 << 30, "512MB": 512 << 20, "1024": 1024, "10KB": 10240, "1TB": 1 << 40, "7B": 7, " 3 gb ": 3 << 30} {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "GB", "-1MB", "1.5GB", "10PB", "99999999999TB"} {
		if _, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) succeeded", in)
		}
	}
}
