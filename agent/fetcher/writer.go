package fetcher

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// errEscapes marks a name that would leave the sandbox.
var errEscapes = errors.New("escapes the sandbox")

// maxHops bounds symlink resolution, as the kernel's ELOOP limit does.
const maxHops = 40

// writer writes into one sandbox for one Fetch. Every path it takes is
// relative to the sandbox and goes through root, which refuses to leave
// it; on top of that the writer never writes through a symlink, so an
// archive cannot plant a link and then write via it even inside the
// sandbox. It remembers what it created, to chown it and to re-check the
// symlinks at the end.
type writer struct {
	root    *os.Root
	owner   owner
	maxSize int64    // bytes extracted per archive, when positive
	created []string // in creation order
	links   []string
}

// localName cleans a destination or entry name. It refuses NUL, absolute
// names and names that climb out with "..". "" means the sandbox itself.
func localName(name string) (string, error) {
	if strings.ContainsRune(name, 0) || filepath.IsAbs(name) {
		return "", errEscapes
	}
	clean := filepath.Clean(name)
	if clean == "." {
		return "", nil
	}
	if !filepath.IsLocal(clean) {
		return "", errEscapes
	}
	return clean, nil
}

// mkdirAll creates dir and its missing parents, refusing to go through a
// symlink or a file.
func (w *writer) mkdirAll(dir string, perm os.FileMode) error {
	if dir == "" || dir == "." {
		return nil
	}
	p := ""
	for _, elem := range strings.Split(dir, "/") {
		p = filepath.Join(p, elem)
		fi, err := w.root.Lstat(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			if err := w.root.Mkdir(p, perm); err != nil {
				return err
			}
			if err := w.root.Chmod(p, perm); err != nil { // past the umask
				return err
			}
			w.created = append(w.created, p)
		case err != nil:
			return err
		case fi.Mode()&fs.ModeSymlink != 0:
			return fmt.Errorf("%s goes through the symlink %s", dir, p)
		case !fi.IsDir():
			return fmt.Errorf("%s is not a directory", p)
		}
	}
	return nil
}

// replace makes room for a new non-directory at name: its parents exist,
// and whatever was there is gone (a symlink is removed, never followed).
func (w *writer) replace(name string) error {
	if err := w.mkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	fi, err := w.root.Lstat(name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	case fi.IsDir():
		return fmt.Errorf("%s is a directory", name)
	}
	return w.root.Remove(name)
}

// create creates the regular file name, replacing what was there.
func (w *writer) create(name string, perm os.FileMode) (*os.File, error) {
	if err := w.replace(name); err != nil {
		return nil, err
	}
	// O_EXCL: should anything have appeared at name since replace, fail
	// rather than open it.
	f, err := w.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return nil, err
	}
	w.created = append(w.created, name)
	return f, nil
}

// writeFile creates name with r's content and exactly perm, charging the
// bytes to budget (nil: unbounded).
func (w *writer) writeFile(name string, r io.Reader, perm os.FileMode, budget *int64) error {
	f, err := w.create(name, perm)
	if err != nil {
		return err
	}
	var n int64
	if budget == nil {
		_, err = io.Copy(f, r)
	} else {
		n, err = io.Copy(f, io.LimitReader(r, *budget+1))
		if *budget -= n; err == nil && *budget < 0 {
			err = fmt.Errorf("the archive unpacks to more than %d bytes", w.maxSize)
		}
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return w.root.Chmod(name, perm)
}

// symlink creates name pointing at target, which must resolve inside the
// sandbox from name's directory.
func (w *writer) symlink(name, target string) error {
	if _, ok := w.resolve(filepath.Dir(name), target); !ok {
		return fmt.Errorf("symlink to %s %w", target, errEscapes)
	}
	if err := w.replace(name); err != nil {
		return err
	}
	if err := w.root.Symlink(target, name); err != nil {
		return err
	}
	w.created = append(w.created, name)
	w.links = append(w.links, name)
	return nil
}

// hardlink links name to target, a regular file the sandbox already holds.
func (w *writer) hardlink(name, target string) error {
	t, err := localName(target)
	if err != nil || t == "" {
		return fmt.Errorf("hard link to %s %w", target, errEscapes)
	}
	if err := w.mkdirAll(filepath.Dir(t), 0o755); err != nil {
		return err
	}
	fi, err := w.root.Lstat(t)
	if err != nil {
		return fmt.Errorf("hard link to %s: %w", target, err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("hard link to %s, which is not a regular file", target)
	}
	if err := w.replace(name); err != nil {
		return err
	}
	if err := w.root.Link(t, name); err != nil {
		return err
	}
	w.created = append(w.created, name)
	return nil
}

// resolve follows target from dir (relative to the sandbox) the way the
// kernel would, reading the symlinks already on disk, and reports where it
// lands and whether that is inside the sandbox. Components that do not
// exist yet are taken as they are written.
func (w *writer) resolve(dir, target string) (string, bool) {
	hops := 0
	return w.resolveFrom(dir, target, &hops)
}

func (w *writer) resolveFrom(dir, target string, hops *int) (string, bool) {
	// Absolute targets are refused even when they name the sandbox: the
	// sandbox is mounted elsewhere inside containers, so they would break.
	if target == "" || filepath.IsAbs(target) {
		return "", false
	}
	var cur []string
	if dir != "" && dir != "." {
		cur = strings.Split(dir, "/")
	}
	for _, elem := range strings.Split(target, "/") {
		switch elem {
		case "", ".":
			continue
		case "..":
			if len(cur) == 0 {
				return "", false
			}
			cur = cur[:len(cur)-1]
			continue
		}
		cur = append(cur, elem)
		p := strings.Join(cur, "/")
		fi, err := w.root.Lstat(p)
		if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			continue
		}
		if *hops++; *hops > maxHops {
			return "", false
		}
		link, err := w.root.Readlink(p)
		if err != nil {
			return "", false
		}
		landed, ok := w.resolveFrom(strings.Join(cur[:len(cur)-1], "/"), link, hops)
		if !ok {
			return "", false
		}
		cur = nil
		if landed != "" {
			cur = strings.Split(landed, "/")
		}
	}
	return strings.Join(cur, "/"), true
}

// checkLinks re-resolves every symlink written: an entry written after a
// link (a file replaced by another link, say) can change where it leads.
// An escaping link is removed, so that nothing can follow it later.
func (w *writer) checkLinks() error {
	var first error
	for _, name := range w.links {
		target, err := w.root.Readlink(name)
		if err != nil {
			continue // replaced by a later entry
		}
		if _, ok := w.resolve(filepath.Dir(name), target); !ok {
			_ = w.root.Remove(name)
			if first == nil {
				first = fmt.Errorf("symlink %s -> %s %w", name, target, errEscapes)
			}
		}
	}
	return first
}

// chownAll gives what was written to the task's user.
func (w *writer) chownAll() error {
	if !w.owner.act {
		return nil
	}
	for _, name := range w.created {
		err := w.root.Lchown(name, w.owner.uid, w.owner.gid)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("fetching URIs: chown %s to %s: %w", name, w.owner.name, err)
		}
	}
	return nil
}
