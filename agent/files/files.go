// Package files serves the agent's sandboxes over HTTP with the Mesos
// agent's /files endpoints, which the Mesos web UI, the DC/OS and Mesos
// CLIs and log tailers use:
//
//	GET /files/browse?path=P                   JSON array describing P's entries
//	GET /files/read?path=P&offset=O&length=L   {"data": "...", "offset": O}
//	GET /files/download?path=P                 the file as an attachment
//	GET /files/debug                           the sandboxes it serves
//
// (each also as .json, as Mesos registers them). Paths are the sandboxes'
// real absolute paths, <work_dir>/slaves/<agent>/frameworks/<framework>/
// executors/<executor>/runs/<run>, where <run> may be the "latest" alias,
// followed by a path inside the sandbox. Reads follow Mesos: offset -1 (or
// none) answers the file's size with no data, length -1 (or none) reads to
// the end, and a read returns at most 64 KiB.
//
// Nothing outside a sandbox is served: '..' is refused, paths outside the
// sandboxes root are not found, and a symlink that leads out of its own
// sandbox (a task can plant one) is refused, checked again at open time
// through os.Root so that a task racing the check cannot win.
//
// It is not an authorizer (Mesos's authenticated /files is not supported)
// and it does not serve the agent's own log. JSONP is not supported.
package files

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"

	"github.com/gorilla/mux"
	"go.uber.org/zap"
)

// MaxReadLength caps one /files/read, as Mesos does (16 pages of 4 KiB).
const MaxReadLength = 64 << 10

// Server serves the sandboxes below one root. It keeps no state between
// requests: the file system is the truth.
type Server struct {
	root string // <work_dir>/slaves, clean and absolute
	log  *zap.Logger
}

// New returns a Server for the sandboxes below root (the agent's
// <work_dir>/slaves). root need not exist yet.
func New(root string, log *zap.Logger) (*Server, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = zap.NewNop()
	}
	return &Server{root: filepath.Clean(abs), log: log.Named("files")}, nil
}

// Register adds the /files endpoints to r.
func (s *Server) Register(r *mux.Router) {
	handlers := map[string]http.HandlerFunc{
		"browse": s.browse, "read": s.read, "download": s.download, "debug": s.debug,
	}
	for name, h := range handlers {
		r.HandleFunc("/files/"+name, h).Methods(http.MethodGet, http.MethodHead)
		r.HandleFunc("/files/"+name+".json", h).Methods(http.MethodGet, http.MethodHead)
	}
}

// fileJSON is one entry of a listing, in the shape of Mesos's.
type fileJSON struct {
	Path  string `json:"path"`
	Nlink uint64 `json:"nlink"`
	Size  int64  `json:"size"`
	Mtime int64  `json:"mtime"`
	Mode  string `json:"mode"`
	UID   string `json:"uid"`
	GID   string `json:"gid"`
}

func (s *Server) browse(w http.ResponseWriter, r *http.Request) {
	t, herr := s.resolve(r.URL.Query().Get("path"))
	if herr != nil {
		s.fail(w, herr)
		return
	}
	defer t.root.Close()
	fi, err := t.root.Stat(t.rel)
	if err != nil {
		s.fail(w, escaped(t.virtual, err))
		return
	}
	names := &ownerNames{}
	out := []fileJSON{}
	if !fi.IsDir() {
		// Browsing a file describes that file.
		s.writeJSON(w, append(out, names.describe(t.virtual, fi)))
		return
	}
	dir, err := t.root.Open(t.rel)
	if err != nil {
		s.fail(w, escaped(t.virtual, err))
		return
	}
	entries, err := dir.ReadDir(-1)
	dir.Close()
	if err != nil {
		s.fail(w, escaped(t.virtual, err))
		return
	}
	for _, e := range entries {
		rel := filepath.Join(t.rel, e.Name())
		// Stat follows symlinks that stay in the sandbox; one that leads
		// out is described as the link itself, revealing nothing beyond.
		st, err := t.root.Stat(rel)
		if err != nil {
			if st, err = t.root.Lstat(rel); err != nil {
				continue // removed while listing
			}
		}
		out = append(out, names.describe(child(t.virtual, e.Name()), st))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	s.writeJSON(w, out)
}

func (s *Server) read(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	offset, herr := intParam(q.Get("offset"), q.Has("offset"), "offset")
	if herr != nil {
		s.fail(w, herr)
		return
	}
	length, herr := intParam(q.Get("length"), q.Has("length"), "length")
	if herr != nil {
		s.fail(w, herr)
		return
	}
	t, herr := s.resolve(q.Get("path"))
	if herr != nil {
		s.fail(w, herr)
		return
	}
	defer t.root.Close()
	f, size, herr := openRegular(t, "read")
	if herr != nil {
		s.fail(w, herr)
		return
	}
	defer f.Close()
	if offset == -1 {
		offset = size
	}
	if length == -1 {
		length = size - offset
	}
	length = min(length, MaxReadLength)
	if offset >= size || length <= 0 {
		// Past the end (a tailer polling a file that has not grown) or an
		// empty read: no data, and the offset to poll from.
		s.writeJSON(w, map[string]any{"data": "", "offset": min(offset, size)})
		return
	}
	buf := make([]byte, length)
	n, err := f.ReadAt(buf, offset)
	if n == 0 && err != nil && !errors.Is(err, io.EOF) {
		s.log.Warn("reading a sandbox file", zap.String("path", t.virtual), zap.Error(err))
		http.Error(w, "Failed to read '"+t.virtual+"': "+err.Error(), http.StatusInternalServerError)
		return
	}
	s.writeJSON(w, map[string]any{"data": string(buf[:n]), "offset": offset})
}

func (s *Server) download(w http.ResponseWriter, r *http.Request) {
	t, herr := s.resolve(r.URL.Query().Get("path"))
	if herr != nil {
		s.fail(w, herr)
		return
	}
	defer t.root.Close()
	f, _, herr := openRegular(t, "download")
	if herr != nil {
		s.fail(w, herr)
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		s.fail(w, escaped(t.virtual, err))
		return
	}
	name := filepath.Base(t.virtual)
	ctype := mime.TypeByExtension(filepath.Ext(name))
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	// ServeContent answers Range and HEAD requests too.
	http.ServeContent(w, r, name, fi.ModTime(), f)
}

// debug lists the sandboxes served, as Mesos's /files/debug lists its
// attached paths: each run directory and each runs/latest alias, mapped to
// the directory it serves.
func (s *Server) debug(w http.ResponseWriter, _ *http.Request) {
	out := map[string]string{}
	for _, runs := range s.runsDirs() {
		entries, _ := os.ReadDir(runs)
		for _, e := range entries {
			p := filepath.Join(runs, e.Name())
			real, err := filepath.EvalSymlinks(p)
			if err != nil {
				continue
			}
			if fi, err := os.Stat(real); err == nil && fi.IsDir() {
				out[p] = real
			}
		}
	}
	s.writeJSON(w, out)
}

// runsDirs returns every <root>/<agent>/frameworks/<fw>/executors/<ex>/runs
// directory. It walks by hand: a glob pattern would misread work
// directories or IDs containing '[' or '*'.
func (s *Server) runsDirs() []string {
	dirs := []string{s.root}
	for _, level := range []string{"", "frameworks", "", "executors", "", "runs"} {
		var next []string
		for _, d := range dirs {
			if level != "" {
				if fi, err := os.Stat(filepath.Join(d, level)); err == nil && fi.IsDir() {
					next = append(next, filepath.Join(d, level))
				}
				continue
			}
			entries, _ := os.ReadDir(d)
			for _, e := range entries {
				if e.IsDir() {
					next = append(next, filepath.Join(d, e.Name()))
				}
			}
		}
		dirs = next
	}
	return dirs
}

// openRegular opens t for reading, refusing directories (400, as Mesos)
// and special files: opening a FIFO a task left in its sandbox would block
// the request forever, so the open does not block and the type is checked.
func openRegular(t *target, verb string) (*os.File, int64, *httpError) {
	f, err := t.root.OpenFile(t.rel, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, 0, escaped(t.virtual, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, escaped(t.virtual, err)
	}
	switch {
	case fi.IsDir():
		f.Close()
		return nil, 0, refuse(http.StatusBadRequest, "Cannot %s a directory: '%s'", verb, t.virtual)
	case !fi.Mode().IsRegular():
		f.Close()
		return nil, 0, refuse(http.StatusBadRequest, "Cannot %s a special file: '%s'", verb, t.virtual)
	}
	return f, fi.Size(), nil
}

// intParam parses offset or length: absent means -1, -1 is the only
// negative value with a meaning.
func intParam(v string, present bool, name string) (int64, *httpError) {
	if !present {
		return -1, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, refuse(http.StatusBadRequest, "Failed to parse %s: '%s' is not an integer", name, v)
	}
	if n < -1 {
		return 0, refuse(http.StatusBadRequest, "Negative %s provided: %d (only -1 is allowed)", name, n)
	}
	return n, nil
}

func (s *Server) fail(w http.ResponseWriter, e *httpError) {
	if e.code == http.StatusForbidden {
		s.log.Warn("refused a sandbox path", zap.String("reason", e.msg))
	}
	http.Error(w, e.msg, e.code)
}

func (s *Server) writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		s.log.Error("encoding a response", zap.Error(err))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}
