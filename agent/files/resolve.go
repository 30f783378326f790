package files

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// sandboxDepth is the number of path elements from the sandboxes root to a
// run directory: <agent>/frameworks/<fw>/executors/<executor>/runs/<run>.
const sandboxDepth = 7

// httpError is a refusal with the status code and message the client gets.
type httpError struct {
	code int
	msg  string
}

func (e *httpError) Error() string { return e.msg }

func refuse(code int, format string, args ...any) *httpError {
	return &httpError{code: code, msg: fmt.Sprintf(format, args...)}
}

// target is a request path resolved to a file inside one sandbox. Every
// access goes through root, which the kernel-level checks of os.Root keep
// inside the sandbox even if a task swaps a file for a symlink between
// resolve and the read.
type target struct {
	virtual string   // the requested path, cleaned
	root    *os.Root // the sandbox's run directory; the caller closes it
	rel     string   // the file inside the sandbox, "." for the sandbox
}

// resolve maps a requested path to a file inside a sandbox, or explains
// why it cannot: 400 for an empty path, 403 for '..' and for symlinks that
// lead out of the sandbox, 404 for anything that is not inside a sandbox
// of this agent or does not exist.
func (s *Server) resolve(requested string) (*target, *httpError) {
	if requested == "" {
		return nil, refuse(http.StatusBadRequest, "Expecting 'path=value' in query")
	}
	if !strings.HasPrefix(requested, "/") {
		return nil, refuse(http.StatusNotFound, "'%s' is not a sandbox path: sandbox paths are absolute, under %s", requested, s.root)
	}
	var elems []string
	for _, e := range strings.Split(requested, "/") {
		switch e {
		case "", ".":
		case "..":
			// Refused outright rather than cleaned: no client needs it, and
			// a cleaned path could land in another sandbox.
			return nil, refuse(http.StatusForbidden, "'%s': '..' is not allowed in paths", requested)
		default:
			elems = append(elems, e)
		}
	}
	virtual := "/" + strings.Join(elems, "/")
	rel, ok := strings.CutPrefix(virtual, s.root+"/")
	if !ok {
		return nil, refuse(http.StatusNotFound, "'%s' is not inside a sandbox of this agent (under %s)", virtual, s.root)
	}
	relElems := strings.Split(rel, "/")
	if len(relElems) < sandboxDepth || relElems[1] != "frameworks" || relElems[3] != "executors" || relElems[5] != "runs" {
		return nil, refuse(http.StatusNotFound, "'%s' is not inside a sandbox of this agent "+
			"(<work_dir>/slaves/<agent>/frameworks/<framework>/executors/<executor>/runs/<run or latest>)", virtual)
	}
	sandbox := filepath.Join(s.root, filepath.Join(relElems[:sandboxDepth]...))
	inner := "."
	if len(relElems) > sandboxDepth {
		inner = filepath.Join(relElems[sandboxDepth:]...)
	}

	// The sandbox itself may be reached through runs/latest; it must still
	// be a directory under the sandboxes root.
	rootReal, err := filepath.EvalSymlinks(s.root)
	if err != nil {
		return nil, notFound(virtual, err)
	}
	sandboxReal, err := filepath.EvalSymlinks(sandbox)
	if err != nil {
		return nil, notFound(virtual, err)
	}
	if !within(rootReal, sandboxReal) {
		return nil, refuse(http.StatusForbidden, "'%s' resolves outside the sandboxes of this agent", virtual)
	}
	// Resolving by hand first tells an escape (403) from a missing file
	// (404); os.Root below enforces it either way.
	full, err := filepath.EvalSymlinks(filepath.Join(sandboxReal, inner))
	if err != nil {
		return nil, notFound(virtual, err)
	}
	if !within(sandboxReal, full) {
		return nil, refuse(http.StatusForbidden, "'%s' resolves outside its sandbox", virtual)
	}
	root, err := os.OpenRoot(sandboxReal)
	if err != nil {
		return nil, notFound(virtual, err)
	}
	return &target{virtual: virtual, root: root, rel: filepath.ToSlash(inner)}, nil
}

// notFound turns a resolution error into a 404, or a 403 when the file
// exists but the agent may not look at it.
func notFound(virtual string, err error) *httpError {
	if errors.Is(err, fs.ErrPermission) {
		return refuse(http.StatusForbidden, "'%s': permission denied", virtual)
	}
	return refuse(http.StatusNotFound, "No such file or directory: '%s'", virtual)
}

// escaped turns an error of an os.Root operation into a refusal. Anything
// other than a missing or unreadable file means the path left the sandbox:
// os.Root's own escape error is not exported, and it is the only other way
// these fail after resolve succeeded (a task swapped in a symlink).
func escaped(virtual string, err error) *httpError {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return refuse(http.StatusNotFound, "No such file or directory: '%s'", virtual)
	case errors.Is(err, fs.ErrPermission):
		return refuse(http.StatusForbidden, "'%s': permission denied", virtual)
	}
	return refuse(http.StatusForbidden, "'%s' resolves outside its sandbox", virtual)
}

// within reports whether p is base or below it; both are clean absolute
// paths.
func within(base, p string) bool {
	return p == base || base == "/" || strings.HasPrefix(p, base+"/")
}

// child is the virtual path of an entry of a directory.
func child(dir, name string) string { return path.Join(dir, name) }
